"""The Starlette app: Bot API at /bot<token>/<method>, files under /file/bot<token>/, control."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.telegram_emulator import api_bot, api_messages, api_payments
from tests.telegram_emulator.api_messages import Handler
from tests.telegram_emulator.control import Emulator
from tests.telegram_emulator.params import Params, read_params
from tests.telegram_emulator.state import (
    ApiError,
    CallbackAnswer,
    ControlError,
    SentMessage,
)
from tests.telegram_emulator.world import World

logger = logging.getLogger(__name__)


class AsciiJSONResponse(JSONResponse):
    """JSON with non-ASCII escaped, as Telegram answers: a name or text holding a lone
    surrogate (which a client may send) is echoed as `\\udXXX`, not refused by UTF-8."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":")).encode("ascii")


HANDLERS: dict[str, tuple[str, Handler]] = {
    name.lower(): (name, handler)
    for name, handler in (api_bot.HANDLERS | api_messages.HANDLERS | api_payments.HANDLERS).items()
}
# Control operations reachable over HTTP; the ones taking callables stay in-process.
CONTROL_OPS = frozenset(
    {
        "create_user",
        "create_group",
        "join",
        "block",
        "unblock",
        "migrate",
        "send_message",
        "press",
        "pay_invoice",
        "forward",
        "refunds",
        "answers",
        "messages",
        "last",
        "file_bytes",
        "calls",
        "count_429",
        "edit_times",
        "commands",
        "webhook_stats",
        "fail_next",
        "slow_next",
        "set_outage",
        "reset",
        "bot_info",
    }
)


@dataclass(frozen=True, slots=True)
class _Routes:
    emulator: Emulator

    @property
    def world(self) -> World:
        return self.emulator.world

    async def bot_api(self, request: Request) -> Response:
        if request.path_params["token"] != self.world.token:
            return _error(ApiError(401, "Unauthorized"))
        found = HANDLERS.get(request.path_params["method"].lower())
        if found is None:
            return _error(ApiError(404, "Not Found"))
        name, handler = found
        self.world.stats.calls[name] += 1
        params = Params()
        try:
            params = await read_params(request)
            await self._faults(name)
            result = await handler(self.world, params)
        except ApiError as err:
            self._count(name, err, params)
            return _error(err)
        return AsciiJSONResponse({"ok": True, "result": result})

    async def _faults(self, name: str) -> None:
        if self.world.delay_s > 0:
            await asyncio.sleep(self.world.delay_s)
        if self.world.outage_status is not None:
            status = self.world.outage_status
            raise ApiError(status, HTTPStatus(status).phrase)  # 502: "Bad Gateway"
        queued = self.world.faults.get(name.lower())
        if queued:
            fault = queued.pop(0)
            if fault.delay_s > 0:
                await asyncio.sleep(fault.delay_s)
            if fault.error_code is not None:
                params = {"retry_after": fault.retry_after} if fault.retry_after else None
                raise ApiError(fault.error_code, fault.description, params)

    def _count(self, name: str, err: ApiError, params: Params) -> None:
        self.world.stats.errors[f"{name}:{err.code}"] += 1
        if err.code == 429:
            try:
                chat = params.int_("chat_id") or 0
            except ApiError:
                chat = 0
            self.world.stats.too_many[chat] += 1

    async def file(self, request: Request) -> Response:
        if request.path_params["token"] != self.world.token:
            return _error(ApiError(401, "Unauthorized"))
        path = request.path_params["path"]
        for stored in self.world.files.values():
            if stored.file_path == path:
                media = stored.mime_type or "application/octet-stream"
                return Response(stored.data, media_type=media)
        return _error(ApiError(404, "Not Found"))

    async def control(self, request: Request) -> Response:
        op = request.path_params["op"]
        if op not in CONTROL_OPS:
            return JSONResponse({"ok": False, "error": f"unknown control op {op}"}, 404)
        kwargs = await request.json() if await request.body() else {}
        method: Callable[..., Awaitable[Any]] = getattr(self.emulator, op)
        try:
            result = await method(**kwargs)
        except (ControlError, TypeError) as exc:
            return JSONResponse({"ok": False, "error": str(exc)}, 400)
        return JSONResponse({"ok": True, "result": to_jsonable(result)})


def to_jsonable(value: Any) -> Any:
    if isinstance(value, SentMessage | CallbackAnswer):
        return value.to_json()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, list):
        return [to_jsonable(v) for v in value]
    return value


def _error(err: ApiError) -> JSONResponse:
    return AsciiJSONResponse(err.body(), status_code=err.code)


def build_app(emulator: Emulator) -> Starlette:
    routes = _Routes(emulator)
    return Starlette(
        routes=[
            Route("/bot{token}/{method}", routes.bot_api, methods=["GET", "POST"]),
            Route("/file/bot{token}/{path:path}", routes.file, methods=["GET"]),
            Route("/_emu/{op}", routes.control, methods=["POST"]),
        ]
    )
