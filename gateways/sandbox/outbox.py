"""At-least-once webhook delivery from the persistent outbox, with exponential backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.domain.errors import GatewayRetryable, invariant
from core.ports.store import Clock
from gateways.sandbox.events import EventData, encode_event
from gateways.sandbox.records import new_ref
from gateways.sandbox.signing import SIGNATURE_HEADER, sign_header
from gateways.sandbox.tables import outbox

log = logging.getLogger(__name__)

Transactions = Callable[[], AbstractAsyncContextManager[AsyncConnection]]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delay before the next attempt: first_s, doubling, at most max_s."""

    first_s: float = 1.0
    max_s: float = 60.0
    factor: float = 2.0

    def __post_init__(self) -> None:
        if not (0 <= self.first_s <= self.max_s and self.factor >= 1):
            raise ValueError("backoff needs 0 <= first_s <= max_s and factor >= 1")

    def delay_s(self, failures: int) -> float:
        invariant(failures >= 1, "a delay follows at least one failure")
        # The exponent is clamped so a long outage cannot overflow the float.
        return min(self.max_s, self.first_s * self.factor ** min(failures - 1, 64))


@dataclass(frozen=True, slots=True)
class _Pending:
    id: int
    event_id: str
    checkout_ref: str
    payload: bytes
    attempts: int
    next_attempt_at: datetime


async def enqueue(conn: AsyncConnection, event_type: str, data: EventData, now: datetime) -> str:
    """Add an event to the outbox in the caller's transaction; returns its id."""
    event_id = new_ref("evt")
    body = encode_event(event_id, event_type, int(now.timestamp()), data)
    await conn.execute(
        insert(outbox).values(
            event_id=event_id,
            event_type=event_type,
            checkout_ref=data.checkout_ref,
            payload=body.decode(),
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
    )
    log.info("outbox: %s %s for checkout %s", event_id, event_type, data.checkout_ref)
    return event_id


class Deliverer:
    """POSTs pending outbox events to the webhook URL, signed at send time, until a 2xx."""

    def __init__(
        self,
        *,
        transactions: Transactions,
        client: httpx.AsyncClient,
        webhook_url: str,
        secret: bytes,
        clock: Clock,
        backoff: Backoff,
        batch: int = 100,
        concurrency: int = 8,
    ) -> None:
        self._tx = transactions
        self._client = client
        self._url = webhook_url
        self._secret = secret
        self._clock = clock
        self._backoff = backoff
        self._batch = batch
        self._concurrency = concurrency

    async def run(self, wake: asyncio.Event, poll_s: float) -> None:
        """Deliver forever: at once when woken, else every poll_s (due retries, leftovers)."""
        while True:
            wake.clear()
            try:
                delivered = await self.deliver_due()
            except GatewayRetryable as exc:
                log.warning("webhook delivery pass failed: %s", exc)
                delivered = 0
            except Exception:
                # Delivery must outlive any one bad pass: the events stay in the outbox.
                log.exception("webhook delivery pass failed unexpectedly")
                delivered = 0
            if delivered:
                continue  # there may be more behind a full batch
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(poll_s):
                    await wake.wait()

    async def deliver_due(self) -> int:
        """One pass over the pending events; returns how many were delivered.

        Events of one checkout go in order of creation: a later one waits while an
        earlier one is failing. Different checkouts are delivered concurrently.
        """
        now = self._clock.now()
        groups: dict[str, list[_Pending]] = {}
        for item in await self._pending():
            groups.setdefault(item.checkout_ref, []).append(item)
        limit = asyncio.Semaphore(self._concurrency)
        async with asyncio.TaskGroup() as tg:
            tasks = [tg.create_task(self._deliver_group(g, now, limit)) for g in groups.values()]
        return sum(t.result() for t in tasks)

    async def _pending(self) -> list[_Pending]:
        o = outbox.c
        query = (
            select(o.id, o.event_id, o.checkout_ref, o.payload, o.attempts, o.next_attempt_at)
            .where(o.delivered_at.is_(None))
            .order_by(o.id)
            .limit(self._batch)
        )
        async with self._tx() as conn:
            rows = (await conn.execute(query)).all()
        return [
            _Pending(
                r.id, r.event_id, r.checkout_ref, r.payload.encode(), r.attempts, r.next_attempt_at
            )
            for r in rows
        ]

    async def _deliver_group(
        self, group: list[_Pending], now: datetime, limit: asyncio.Semaphore
    ) -> int:
        delivered = 0
        for item in group:
            if item.next_attempt_at > now:
                break
            try:
                async with limit:
                    ok = await self._attempt(item)
            except GatewayRetryable as exc:
                # The outbox could not be updated; the event stays pending and is sent again.
                log.warning("webhook %s: outbox unavailable: %s", item.event_id, exc)
                break
            if not ok:
                break
            delivered += 1
        return delivered

    async def _attempt(self, item: _Pending) -> bool:
        sent_s = int(self._clock.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign_header(self._secret, sent_s, item.payload),
        }
        try:
            response = await self._client.post(self._url, content=item.payload, headers=headers)
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        else:
            if response.is_success:
                await self._mark_delivered(item)
                return True
            error = f"HTTP {response.status_code}"
        await self._mark_failed(item, error)
        return False

    async def _mark_delivered(self, item: _Pending) -> None:
        now = self._clock.now()
        async with self._tx() as conn:
            await conn.execute(
                update(outbox)
                .where(outbox.c.id == item.id, outbox.c.delivered_at.is_(None))
                .values(attempts=outbox.c.attempts + 1, delivered_at=now, last_error=None)
            )
        log.info("webhook %s delivered (attempt %d)", item.event_id, item.attempts + 1)

    async def _mark_failed(self, item: _Pending, error: str) -> None:
        attempt = item.attempts + 1
        delay_s = self._backoff.delay_s(attempt)
        retry_at = self._clock.now() + timedelta(seconds=delay_s)
        async with self._tx() as conn:
            await conn.execute(
                update(outbox)
                .where(outbox.c.id == item.id, outbox.c.delivered_at.is_(None))
                .values(
                    attempts=outbox.c.attempts + 1, next_attempt_at=retry_at, last_error=error[:200]
                )
            )
        log.warning(
            "webhook %s attempt %d failed: %s; next try in %.1f s",
            item.event_id,
            attempt,
            error,
            delay_s,
        )
