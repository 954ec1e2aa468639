"""Pending updates: getUpdates long polling, or webhook delivery with the secret-token header."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass

import httpx

from tests.telegram_emulator.state import JSON, ApiError, Signal, bad_request

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# What Telegram sends when allowed_updates is empty or was never given.
DEFAULT_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "callback_query",
        "inline_query",
        "chosen_inline_result",
        "shipping_query",
        "pre_checkout_query",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
    }
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


@dataclass(slots=True)
class Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


class UpdateQueue:
    """Updates wait here until confirmed by a getUpdates offset or delivered to the webhook."""

    def __init__(self, signal: Signal, retries: int, retry_delay_s: float) -> None:
        self.signal = signal
        self.retries = retries
        self.retry_delay_s = retry_delay_s
        self.next_id = 1
        self.pending: list[JSON] = []
        self.allowed: frozenset[str] | None = None
        self.webhook: Webhook | None = None
        self.delivered = 0
        self.webhook_failures = 0
        self.closing = False
        self._poll_generation = 0
        self._worker: asyncio.Task[None] | None = None

    def open(self) -> None:
        """Serve again after `aclose` (a new server over the same emulator)."""
        self.closing = False

    def clear(self) -> None:
        """Forget pending updates and settings; update ids keep increasing, like Telegram's."""
        self.pending.clear()
        self.allowed = None
        self.webhook = None
        self.delivered = 0
        self.webhook_failures = 0
        self._stop_worker()

    def push(self, kind: str, payload: JSON) -> int | None:
        """Queue an update of `kind`; None when allowed_updates excludes it (never created)."""
        if kind not in (self.allowed or DEFAULT_TYPES):
            return None
        update_id = self.next_id
        self.next_id += 1
        self.pending.append({"update_id": update_id, kind: payload})
        self.signal.fire()
        return update_id

    def confirm(self, offset: int | None) -> None:
        if offset is None:
            return
        if offset < 0:
            self.pending = self.pending[offset:]
        else:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]

    def set_allowed(self, allowed: list[str] | None) -> None:
        if allowed is not None:
            self.allowed = frozenset(allowed) if allowed else None

    async def get_updates(
        self, offset: int | None, limit: int, timeout_s: float, allowed: list[str] | None
    ) -> list[JSON]:
        """Long polling: a newer getUpdates ends an older one with 409, as on Telegram."""
        if self.webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        self.confirm(offset)
        self.set_allowed(allowed)
        self._poll_generation += 1
        generation = self._poll_generation
        self.signal.fire()

        def ready() -> bool:
            return bool(self.pending) or self.closing or generation != self._poll_generation

        await self.signal.wait_until(ready, timeout_s)
        if generation != self._poll_generation:
            raise ApiError(409, POLL_CONFLICT)
        return self.pending[:limit]

    def set_webhook(self, hook: Webhook | None, drop_pending: bool) -> None:
        if drop_pending:
            self.pending.clear()
        self._stop_worker()
        self.webhook = hook
        if hook is not None:
            self.set_allowed(hook.allowed_updates)
            self._worker = asyncio.get_running_loop().create_task(self._deliver_loop())
        self.signal.fire()

    def webhook_info(self) -> JSON:
        hook = self.webhook
        info: JSON = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.pending),
        }
        if hook is not None:
            info.update(max_connections=hook.max_connections, ip_address="127.0.0.1")
            if self.allowed is not None:
                info["allowed_updates"] = sorted(self.allowed)
            if hook.last_error_date is not None:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    async def aclose(self) -> None:
        self.closing = True
        self.signal.fire()
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker

    def _stop_worker(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None

    def _head(self) -> JSON | None:
        return self.pending[0] if self.pending and self.webhook is not None else None

    async def _deliver_loop(self) -> None:
        async with httpx.AsyncClient(timeout=httpx.Timeout(10.0)) as client:
            while self.webhook is not None and not self.closing:
                update = await self.signal.wait_until(self._head, 1.0)
                hook = self.webhook
                if update is None or hook is None:
                    continue
                await self._deliver(client, hook, update)
                if self.pending and self.pending[0] is update:
                    self.pending.pop(0)
                self.signal.fire()

    async def _deliver(self, client: httpx.AsyncClient, hook: Webhook, update: JSON) -> bool:
        """POST one update; a non-2xx answer or a connection error is retried a few times."""
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers[SECRET_HEADER] = hook.secret_token
        body = json.dumps(update).encode()
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(self.retry_delay_s)
            try:
                response = await client.post(hook.url, content=body, headers=headers)
            except httpx.HTTPError as exc:
                error = f"Connection failed: {exc.__class__.__name__}"
            else:
                if response.is_success:
                    self.delivered += 1
                    return True
                error = f"Wrong response from the webhook: {response.status_code} "
                error += response.reason_phrase
            hook.last_error_date = int(time.time())
            hook.last_error_message = error
        self.webhook_failures += 1
        logger.warning("update %s dropped after %s", update["update_id"], hook.last_error_message)
        return False


def parse_webhook(url: str, secret: str | None, allowed: object, max_conn: int) -> Webhook:
    if not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if secret is not None and not _valid_secret(secret):
        raise bad_request("secret token contains unallowed characters")
    if allowed is not None and not (
        isinstance(allowed, list) and all(isinstance(a, str) for a in allowed)
    ):
        raise bad_request("can't parse allowed_updates JSON object")
    return Webhook(url=url, secret_token=secret, max_connections=max_conn, allowed_updates=allowed)


def _valid_secret(secret: str) -> bool:
    ok = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
    return 1 <= len(secret) <= 256 and set(secret) <= ok
