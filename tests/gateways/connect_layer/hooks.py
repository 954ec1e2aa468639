"""Connect webhooks: a registry of their own, and `account.updated` events posted to it.

Mirrors localstripe's platform webhooks (`/_config/webhooks/{id}`, localstripe.webhooks):
the same JSON body and the same `Stripe-Signature: t=<created>,v1=<HMAC-SHA256 of
"{t}.{body}">`, posted from the server's event loop, here after DELAY_S, to each
endpoint on its own (so are localstripe's platform webhooks now: `install`). An event is a
localstripe Event (so `GET /v1/events` lists it) with Stripe's Connect fields: the top-level
`account` and `data.previous_attributes`. Platform endpoints never see these; Connect
endpoints never see platform events.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
import localstripe.webhooks
from localstripe.resources import Event
from localstripe.webhooks import _webhooks as platform_webhooks

DELAY_S = 0.2
PLATFORM_DELAY_S = 1.0  # localstripe's
TIMEOUT_S = 10.0
log = logging.getLogger("aiohttp.access")


@dataclass(frozen=True)
class Endpoint:
    url: str
    secret: str
    events: tuple[str, ...] | None  # None: every type


_endpoints: dict[str, Endpoint] = {}
_sending: set[asyncio.Task[None]] = set()


def register(endpoint_id: str, endpoint: Endpoint) -> None:
    _endpoints[endpoint_id] = endpoint


def unregister(endpoint_id: str) -> bool:
    return _endpoints.pop(endpoint_id, None) is not None


class AccountEvent(Event):  # type: ignore[misc]  # localstripe is untyped
    """An event of a connected account, as Stripe sends it to Connect endpoints."""

    def __init__(self, event_type: str, account: Any, previous: dict[str, Any]) -> None:
        super().__init__(event_type, account)
        self.data: dict[str, Any] = copy.deepcopy(
            self.data
        )  # as the account was: later changes stay out
        self.account = account.id
        if previous:
            self.data["previous_attributes"] = previous


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Stripe's `previous_attributes`: the earlier value of each changed field (nested
    hashes compared key by key; a key that was absent is null)."""
    found: dict[str, Any] = {}
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if isinstance(old, dict) and isinstance(new, dict):
            inner = changes(old, new)
            if inner:
                found[key] = inner
        elif old != new:
            found[key] = old
    return found


def account_updated(account: Any, before: dict[str, Any]) -> None:
    """`account.updated` to every Connect endpoint, if anything changed since `before`
    (an export of the account)."""
    previous = changes(before, account._export())
    previous.pop("created", None)
    if previous:
        send(AccountEvent("account.updated", account, previous))


def send(event: Any) -> None:
    task = asyncio.get_running_loop().create_task(_deliver(event))
    _sending.add(task)
    task.add_done_callback(_sending.discard)


async def _deliver(event: Any) -> None:
    payload = json.dumps(event._export(), indent=2, sort_keys=True).encode("utf-8")
    await asyncio.sleep(DELAY_S)
    await _post_all(list(_endpoints.values()), event, payload)


async def _deliver_platform(event: Any) -> None:
    """localstripe's own `_send_webhook` (same body, signature and 1 s delay), but each
    endpoint on its own and with a timeout: one that never answers (a test's hook port,
    bound between tests) holds up no other."""
    payload = json.dumps(event._export(), indent=2, sort_keys=True).encode("utf-8")
    await asyncio.sleep(PLATFORM_DELAY_S)
    endpoints = [
        Endpoint(hook.url, hook.secret, None if hook.events is None else tuple(hook.events))
        for hook in platform_webhooks.values()
    ]
    await _post_all(endpoints, event, payload)


def install() -> None:
    """Platform webhooks go out as `_deliver_platform` does (localstripe looks the sender
    up at each event)."""
    localstripe.webhooks._send_webhook = _deliver_platform


async def _post_all(endpoints: list[Endpoint], event: Any, payload: bytes) -> None:
    wanted = [e for e in endpoints if e.events is None or event.type in e.events]
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await asyncio.gather(*(_post(session, e, event, payload) for e in wanted))


async def _post(
    session: aiohttp.ClientSession, endpoint: Endpoint, event: Any, payload: bytes
) -> None:
    signed_payload = b"%d.%s" % (event.created, payload)
    digest = hmac.new(endpoint.secret.encode("utf-8"), signed_payload, hashlib.sha256)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": f"t={event.created},v1={digest.hexdigest()}",
    }
    try:
        async with session.post(endpoint.url, data=payload, headers=headers) as answer:
            log.info("webhook %r to %s: %d", event.type, endpoint.url, answer.status)
    except (aiohttp.ClientError, TimeoutError) as exc:
        log.info("webhook %r to %s failed: %r", event.type, endpoint.url, exc)
