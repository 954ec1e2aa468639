"""Webhook delivery from the outbox: at least once, in order per checkout, with backoff."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import textwrap
from asyncio.subprocess import PIPE
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import RowMapping, select
from sqlalchemy.ext.asyncio import create_async_engine

from gateways.sandbox import Backoff, SandboxGateway
from gateways.sandbox.tables import outbox
from tests.gateways.conftest import (
    REFUSED,
    SECRET,
    MakeGateway,
    Receiver,
    StepClock,
    checkout_request,
    eventually,
)


async def outbox_rows(db_url: str) -> list[RowMapping]:
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            result = await conn.execute(select(outbox).order_by(outbox.c.id))
            return list(result.mappings())
    finally:
        await engine.dispose()


async def pay_new(gw: SandboxGateway, key: str = "co_1", *, capture_manual: bool = False) -> str:
    checkout = await gw.create_checkout(
        checkout_request(key=key, sub_order_id=f"sub_{key}", capture_manual=capture_manual)
    )
    await gw.pay(checkout.ref)
    return checkout.ref


def test_backoff_doubles_up_to_its_cap() -> None:
    backoff = Backoff(first_s=1.0, max_s=60.0)
    assert [backoff.delay_s(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff.delay_s(10_000) == 60


def test_a_backoff_must_make_sense() -> None:
    with pytest.raises(ValueError, match="backoff"):
        Backoff(first_s=10.0, max_s=1.0)


async def test_failed_deliveries_are_retried_with_backoff_until_a_2xx(
    make_gateway: MakeGateway, clock: StepClock, sqlite_db_url: str
) -> None:
    receiver = Receiver([500, 503, REFUSED])
    gw = await make_gateway(receiver, retry_first_s=1.0, retry_max_s=60.0)
    await pay_new(gw)
    schedule = [(0.0, 1), (0.0, 1), (0.999, 1), (0.001, 2), (1.999, 2), (0.001, 3), (3.999, 3)]
    for wait_s, requests_so_far in schedule:
        clock.advance(wait_s)
        assert await gw.deliver_due() == 0
        assert len(receiver.requests) == requests_so_far
    clock.advance(0.001)
    assert await gw.deliver_due() == 1
    clock.advance(3600)
    assert await gw.deliver_due() == 0
    assert len(receiver.requests) == 4
    assert len({r.content for r in receiver.requests}) == 1  # the same event, byte for byte
    [row] = await outbox_rows(sqlite_db_url)
    assert row["attempts"] == 4
    assert row["delivered_at"] is not None
    assert row["last_error"] is None


async def test_each_attempt_is_signed_at_send_time(
    make_gateway: MakeGateway, clock: StepClock
) -> None:
    receiver = Receiver([500])
    gw = await make_gateway(receiver, retry_first_s=400.0, retry_max_s=400.0)
    await pay_new(gw)
    await gw.deliver_due()
    clock.advance(400)  # past the 300 s tolerance of the first signature
    await gw.deliver_due()
    first, second = receiver.requests
    assert first.headers["chipin-signature"] != second.headers["chipin-signature"]
    assert gw.parse_webhook(second.content, second.headers, clock.now())


@pytest.mark.parametrize(
    "failure", [httpx.ReadTimeout, httpx.ConnectTimeout, httpx.RemoteProtocolError]
)
async def test_timeouts_and_broken_connections_are_retried(
    make_gateway: MakeGateway, clock: StepClock, failure: type[Exception]
) -> None:
    receiver = Receiver([failure])
    gw = await make_gateway(receiver)
    await pay_new(gw)
    assert await gw.deliver_due() == 0
    clock.advance(1)
    assert await gw.deliver_due() == 1


@pytest.mark.parametrize("status", [199, 301, 400, 404, 410, 500])
async def test_anything_but_2xx_is_a_failure(
    make_gateway: MakeGateway, clock: StepClock, sqlite_db_url: str, status: int
) -> None:
    gw = await make_gateway(Receiver([status]))
    await pay_new(gw)
    assert await gw.deliver_due() == 0
    [row] = await outbox_rows(sqlite_db_url)
    assert (row["attempts"], row["last_error"], row["delivered_at"]) == (1, f"HTTP {status}", None)


async def test_failures_are_logged_without_body_or_secret(
    make_gateway: MakeGateway, caplog: pytest.LogCaptureFixture, sqlite_db_url: str
) -> None:
    gw = await make_gateway(Receiver([502]))
    await pay_new(gw)
    with caplog.at_level(logging.DEBUG, logger="gateways.sandbox"):
        await gw.deliver_due()
    [row] = await outbox_rows(sqlite_db_url)
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert row["event_id"] in warning.getMessage()
    assert "HTTP 502" in warning.getMessage()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert SECRET.decode() not in logged
    assert row["payload"] not in logged
    assert "amount_minor" not in logged
    assert "v1=" not in logged


async def test_events_of_one_checkout_are_delivered_in_order(
    make_gateway: MakeGateway, clock: StepClock
) -> None:
    receiver = Receiver([500])
    gw = await make_gateway(receiver)
    ref = await pay_new(gw, capture_manual=True)
    payment = (await gw.retrieve(ref)).payment_ref
    assert payment is not None
    await gw.capture(payment, "capture_1")
    assert await gw.deliver_due() == 0
    assert receiver.types() == ["checkout.authorised"]  # the capture waits its turn
    clock.advance(1)
    assert await gw.deliver_due() == 2
    assert receiver.types() == ["checkout.authorised", "checkout.authorised", "payment.captured"]


async def test_a_failing_checkout_does_not_hold_up_the_others(
    make_gateway: MakeGateway,
) -> None:
    seen: list[str] = []
    refused: set[str] = set()

    def refuse_some(request: httpx.Request) -> httpx.Response:
        checkout = json.loads(request.content)["data"]["checkout"]
        seen.append(checkout)
        return httpx.Response(500 if checkout in refused else 204)

    gw = await make_gateway(transport=httpx.MockTransport(refuse_some))
    first = await pay_new(gw, "co_1")
    second = await pay_new(gw, "co_2")
    refused.add(first)
    assert await gw.deliver_due() == 1
    assert sorted(seen) == sorted([first, second])


async def test_a_new_instance_delivers_what_a_stopped_one_left_pending(
    make_gateway: MakeGateway, clock: StepClock
) -> None:
    old = await make_gateway(Receiver([]))
    first = await pay_new(old, "co_1")
    second = await pay_new(old, "co_2")
    await old.stop()
    receiver = Receiver()
    new = await make_gateway(receiver)
    assert await new.deliver_due() == 2
    assert {e.checkout_ref for e in receiver.parsed(new, clock.now())} == {first, second}


async def test_a_process_killed_with_sigkill_delivers_after_restart(
    make_gateway: MakeGateway, sqlite_db_url: str
) -> None:
    script = textwrap.dedent(
        f"""
        import asyncio, os, signal
        from core.domain.model import OrderId, SubOrderId
        from core.domain.money import CURRENCIES, Money
        from core.ports.store import CheckoutRequest
        from gateways.sandbox import SandboxGateway

        async def main():
            gw = SandboxGateway({sqlite_db_url!r}, "http://p", "http://127.0.0.1:9/", {SECRET!r})
            await gw.start()
            money = Money(1250, CURRENCIES["USD"])
            req = CheckoutRequest(SubOrderId("s"), OrderId("o"), money, "co_k", False, "x")
            checkout = await gw.create_checkout(req)
            await gw.pay(checkout.ref)
            print(checkout.ref, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

        asyncio.run(main())
        """
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, stdout=PIPE, stderr=PIPE, cwd=os.getcwd()
    )
    async with asyncio.timeout(60):
        out, err = await proc.communicate()
    assert proc.returncode == -signal.SIGKILL, err.decode()
    ref = out.decode().strip()
    receiver = Receiver()
    gw = await make_gateway(receiver, clock=None, poll_s=0.02)
    task = asyncio.create_task(gw.run_delivery())
    await eventually(lambda: len(receiver.requests) == 1)
    await gw.stop()
    assert task.done()
    [event] = receiver.parsed(gw, datetime.now(UTC))
    assert event.checkout_ref == ref


async def test_paying_wakes_the_deliverer_at_once(make_gateway: MakeGateway) -> None:
    receiver = Receiver()
    # A poll of a minute: only the wake-up can deliver within the test's timeout.
    gw = await make_gateway(receiver, clock=None, poll_s=60.0)
    task = asyncio.create_task(gw.run_delivery())
    await asyncio.sleep(0.05)  # the first (empty) pass is over; the loop now waits
    await pay_new(gw)
    await eventually(lambda: len(receiver.requests) == 1, timeout_s=2.0)
    await gw.stop()
    assert task.done()


async def test_the_running_deliverer_retries_until_delivered(
    make_gateway: MakeGateway, sqlite_db_url: str
) -> None:
    receiver = Receiver([500, 500, REFUSED])
    gw = await make_gateway(receiver, clock=None, retry_first_s=0.01, retry_max_s=0.05, poll_s=0.01)
    task = asyncio.create_task(gw.run_delivery())
    await pay_new(gw)
    await eventually(lambda: len(receiver.requests) == 4)
    await asyncio.sleep(0.1)
    await gw.stop()
    assert task.done()
    assert len(receiver.requests) == 4
    [row] = await outbox_rows(sqlite_db_url)
    assert row["attempts"] == 4
    assert row["delivered_at"] is not None


async def test_stopping_leaves_undelivered_events_pending(
    make_gateway: MakeGateway, sqlite_db_url: str
) -> None:
    gate = asyncio.Event()

    async def never_answers(request: httpx.Request) -> httpx.Response:
        await gate.wait()
        return httpx.Response(200)

    gw = await make_gateway(transport=httpx.MockTransport(never_answers), clock=None)
    task = asyncio.create_task(gw.run_delivery())
    await pay_new(gw)
    await asyncio.sleep(0.05)
    await gw.stop()
    assert task.cancelled()
    [row] = await outbox_rows(sqlite_db_url)
    assert row["delivered_at"] is None


async def test_delivering_needs_a_started_gateway(sqlite_db_url: str) -> None:
    gw = SandboxGateway(sqlite_db_url, "http://p", "http://h", SECRET)
    with pytest.raises(RuntimeError, match="start"):
        await gw.deliver_due()
