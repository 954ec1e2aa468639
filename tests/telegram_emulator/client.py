"""`EmulatorClient`: the control methods over HTTP, for an emulator serving another process."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

import httpx

from tests.telegram_emulator.state import JSON, CallbackAnswer, ControlError, SentMessage

POLL_INTERVAL_S = 0.05


class EmulatorClient:
    """Mirrors `Emulator`'s control methods (not `wait_for`, which takes a local callable)."""

    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self._http = httpx.AsyncClient(base_url=f"{url.rstrip('/')}/_emu", timeout=timeout_s)

    async def __aenter__(self) -> EmulatorClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _op(self, op: str, **kwargs: Any) -> Any:
        response = await self._http.post(f"/{op}", json=kwargs)
        body = response.json()
        if not body.get("ok"):
            raise ControlError(body.get("error", f"control op {op} failed"))
        return body["result"]

    async def bot_info(self) -> JSON:
        result: JSON = await self._op("bot_info")
        return result

    async def create_user(self, first_name: str, **kwargs: Any) -> int:
        return int(await self._op("create_user", first_name=first_name, **kwargs))

    async def create_group(self, title: str, members: Iterable[int] = (), **kwargs: Any) -> int:
        return int(await self._op("create_group", title=title, members=list(members), **kwargs))

    async def join(self, user: int, chat: int) -> JSON:
        result: JSON = await self._op("join", user=user, chat=chat)
        return result

    async def block(self, user: int) -> None:
        await self._op("block", user=user)

    async def unblock(self, user: int) -> None:
        await self._op("unblock", user=user)

    async def migrate(self, chat: int) -> int:
        return int(await self._op("migrate", chat=chat))

    async def send_message(
        self, user: int, chat: int | None = None, text: str = "", *, reply_to: int | None = None
    ) -> JSON:
        result: JSON = await self._op(
            "send_message", user=user, chat=chat, text=text, reply_to=reply_to
        )
        return result

    async def press(self, user: int, chat: int, message_id: int, data: str) -> str:
        return str(await self._op("press", user=user, chat=chat, message_id=message_id, data=data))

    async def pay_invoice(
        self, user: int, chat: int, message_id: int, *, timeout_s: float = 10.0
    ) -> JSON:
        response = await self._http.post(
            "/pay_invoice",
            json={"user": user, "chat": chat, "message_id": message_id, "timeout_s": timeout_s},
            timeout=timeout_s + 5.0,
        )
        body = response.json()
        if not body.get("ok"):
            raise ControlError(body.get("error", "control op pay_invoice failed"))
        result: JSON = body["result"]
        return result

    async def forward(self, user: int, from_chat: int, message_id: int, to_chat: int) -> int:
        return int(
            await self._op(
                "forward", user=user, from_chat=from_chat, message_id=message_id, to_chat=to_chat
            )
        )

    async def refunds(self) -> list[JSON]:
        result: list[JSON] = await self._op("refunds")
        return result

    async def answers(self, query_id: str) -> CallbackAnswer | None:
        result = await self._op("answers", query_id=query_id)
        return None if result is None else CallbackAnswer.from_json(result)

    async def messages(self, chat: int) -> list[SentMessage]:
        return [SentMessage.from_json(m) for m in await self._op("messages", chat=chat)]

    async def last(self, chat: int) -> SentMessage | None:
        result = await self._op("last", chat=chat)
        return None if result is None else SentMessage.from_json(result)

    async def wait_for_message(
        self,
        chat: int,
        match: Callable[[SentMessage], bool] | None = None,
        *,
        after_id: int = 0,
        timeout_s: float = 5.0,
    ) -> SentMessage:
        """Polls `messages(chat)` until one after `after_id` matches; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout_s
        while True:
            for sent in await self.messages(chat):
                if sent.message_id > after_id and (match is None or match(sent)):
                    return sent
            if time.monotonic() >= deadline:
                raise TimeoutError(f"no matching message in chat {chat} within {timeout_s} s")
            await asyncio.sleep(POLL_INTERVAL_S)

    async def file_bytes(self, file_id: str) -> bytes:
        return base64.b64decode(await self._op("file_bytes", file_id=file_id))

    async def calls(self) -> dict[str, int]:
        result: dict[str, int] = await self._op("calls")
        return result

    async def count_429(self, chat: int | None = None) -> int:
        return int(await self._op("count_429", chat=chat))

    async def edit_times(self, chat: int) -> list[float]:
        return [float(t) for t in await self._op("edit_times", chat=chat)]

    async def commands(self) -> list[JSON]:
        result: list[JSON] = await self._op("commands")
        return result

    async def webhook_stats(self) -> dict[str, int]:
        result: dict[str, int] = await self._op("webhook_stats")
        return result

    async def fail_next(
        self, method: str, error_code: int, description: str, retry_after: int | None = None
    ) -> None:
        await self._op(
            "fail_next",
            method=method,
            error_code=error_code,
            description=description,
            retry_after=retry_after,
        )

    async def slow_next(self, method: str, delay_s: float) -> None:
        await self._op("slow_next", method=method, delay_s=delay_s)

    async def set_outage(self, status_code: int | None = None, delay_s: float = 0.0) -> None:
        await self._op("set_outage", status_code=status_code, delay_s=delay_s)

    async def reset(self) -> None:
        await self._op("reset")
