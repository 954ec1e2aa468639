"""The sandbox as a Gateway: checkouts, payments, captures, voids, refunds; idempotent by key."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from core.domain.errors import GatewayFinal, GatewayRetryable
from core.ports.store import CheckoutStatus, GatewayEventKind
from gateways.sandbox import PayResult, SandboxGateway
from tests.gateways.conftest import (
    PUBLIC_URL,
    SECRET,
    WEBHOOK_URL,
    MakeGateway,
    Receiver,
    StepClock,
    checkout_request,
)


@pytest.fixture
async def gw(make_gateway: MakeGateway, receiver: Receiver, backend_db_url: str) -> SandboxGateway:
    """A started gateway on empty tables of each backend."""
    return await make_gateway(receiver, db_url=backend_db_url)


async def paid(gw: SandboxGateway, *, capture_manual: bool = False) -> str:
    """Create and pay a checkout; returns its payment ref."""
    checkout = await gw.create_checkout(checkout_request(capture_manual=capture_manual))
    await gw.pay(checkout.ref)
    state = await gw.retrieve(checkout.ref)
    assert state.payment_ref is not None
    return state.payment_ref


async def delivered_types(gw: SandboxGateway, receiver: Receiver) -> list[str]:
    await gw.deliver_due()
    return receiver.types()


# ---- checkouts ----


async def test_a_new_checkout_is_open_with_its_amount(gw: SandboxGateway) -> None:
    checkout = await gw.create_checkout(checkout_request(amount_minor=1250))
    assert checkout.ref.startswith("cs_")
    assert len(checkout.ref) >= 3 + 22  # >= 128 random bits
    assert checkout.url == f"{PUBLIC_URL}/sandbox/checkout/{checkout.ref}"
    state = await gw.retrieve(checkout.ref)
    assert (state.ref, state.status, state.payment_ref) == (checkout.ref, CheckoutStatus.OPEN, None)
    assert (state.amount_minor, state.currency) == (1250, "USD")


async def test_a_crowd_of_checkouts_on_a_busy_loop_all_open(gw: SandboxGateway) -> None:
    """Twenty payers at the same moment while the event loop is busy with other work: on
    SQLite they take turns for the one connection on the loop; none waits in SQLite's busy
    handler (which sleeps and polls) until it gives up with 'database is locked'."""

    async def busy_loop() -> None:
        while True:
            time.sleep(0.01)  # noqa: ASYNC251 - other work holding the loop, on purpose
            await asyncio.sleep(0)

    busy = asyncio.create_task(busy_loop())
    try:
        made = await asyncio.gather(
            *(gw.create_checkout(checkout_request(key=f"crowd_{i}")) for i in range(20))
        )
    finally:
        busy.cancel()
    assert len({c.ref for c in made}) == 20
    states = await asyncio.gather(*(gw.retrieve(c.ref) for c in made))
    assert {s.status for s in states} == {CheckoutStatus.OPEN}


async def test_the_same_key_gives_the_same_checkout(gw: SandboxGateway) -> None:
    first = await gw.create_checkout(checkout_request(key="co_a"))
    again = await gw.create_checkout(checkout_request(key="co_a"))
    other = await gw.create_checkout(checkout_request(key="co_b"))
    assert again == first
    assert other.ref != first.ref


async def test_the_same_key_with_other_parameters_is_refused(gw: SandboxGateway) -> None:
    await gw.create_checkout(checkout_request(key="co_a", amount_minor=1250))
    with pytest.raises(GatewayFinal, match="different parameters"):
        await gw.create_checkout(checkout_request(key="co_a", amount_minor=1251))
    with pytest.raises(GatewayFinal, match="different parameters"):
        await gw.create_checkout(checkout_request(key="co_a", capture_manual=True))


async def test_a_key_used_for_one_operation_cannot_serve_another(gw: SandboxGateway) -> None:
    checkout = await gw.create_checkout(checkout_request(key="k"))
    with pytest.raises(GatewayFinal, match="first used for create_checkout"):
        await gw.cancel_checkout(checkout.ref, "k")


async def test_concurrent_creates_with_one_key_make_one_checkout(gw: SandboxGateway) -> None:
    results = await asyncio.gather(*(gw.create_checkout(checkout_request()) for _ in range(8)))
    assert len({c.ref for c in results}) == 1


@pytest.mark.parametrize("key", ["", "k" * 256])
async def test_idempotency_keys_must_be_1_to_255_characters(gw: SandboxGateway, key: str) -> None:
    with pytest.raises(GatewayFinal, match="idempotency key"):
        await gw.create_checkout(checkout_request(key=key))


async def test_a_zero_amount_is_refused(gw: SandboxGateway) -> None:
    with pytest.raises(GatewayFinal, match="positive"):
        await gw.create_checkout(checkout_request(amount_minor=0))


async def test_retrieving_an_unknown_checkout_is_final(gw: SandboxGateway) -> None:
    with pytest.raises(GatewayFinal, match="no such checkout"):
        await gw.retrieve("cs_nope")


# ---- paying and declining ----


async def test_paying_sends_exactly_one_signed_succeeded_event(
    gw: SandboxGateway, receiver: Receiver, clock: StepClock
) -> None:
    checkout = await gw.create_checkout(checkout_request(amount_minor=1250))
    assert await gw.pay(checkout.ref) == PayResult.PAID
    assert await gw.pay(checkout.ref) == PayResult.ALREADY_PAID
    assert await gw.deliver_due() == 1
    assert await gw.deliver_due() == 0
    state = await gw.retrieve(checkout.ref)
    assert state.status == CheckoutStatus.SUCCEEDED
    assert state.payment_ref is not None
    assert state.payment_ref.startswith("py_")
    [request] = receiver.requests
    assert request.url == WEBHOOK_URL
    assert request.headers["content-type"] == "application/json"
    [event] = receiver.parsed(gw, clock.now())
    assert event.kind == GatewayEventKind.SUCCEEDED
    assert (event.checkout_ref, event.payment_ref) == (checkout.ref, state.payment_ref)
    assert (event.amount_minor, event.currency, event.sub_order_id) == (1250, "USD", "sub_1")
    body = receiver.bodies()[0]
    assert body["id"] == event.event_id
    assert body["id"].startswith("evt_")
    assert body["created"] == int(clock.now().timestamp())
    assert body["data"]["metadata"] == {"sub_order_id": "sub_1", "order_id": "ord_1"}


async def test_concurrent_payments_of_one_checkout_pay_once(
    gw: SandboxGateway, receiver: Receiver
) -> None:
    checkout = await gw.create_checkout(checkout_request())
    results = await asyncio.gather(*(gw.pay(checkout.ref) for _ in range(8)))
    assert sorted(results).count(PayResult.PAID) == 1
    assert set(results) == {PayResult.PAID, PayResult.ALREADY_PAID}
    assert await delivered_types(gw, receiver) == ["checkout.succeeded"]


async def test_declining_fails_the_checkout_and_says_so(
    gw: SandboxGateway, receiver: Receiver, clock: StepClock
) -> None:
    checkout = await gw.create_checkout(checkout_request())
    assert await gw.decline(checkout.ref) == PayResult.DECLINED
    assert await gw.pay(checkout.ref) == PayResult.ALREADY_DECLINED
    assert (await gw.retrieve(checkout.ref)).status == CheckoutStatus.FAILED
    assert await delivered_types(gw, receiver) == ["checkout.failed"]
    [event] = receiver.parsed(gw, clock.now())
    assert (event.kind, event.checkout_ref) == (GatewayEventKind.FAILED, checkout.ref)
    assert receiver.bodies()[0]["data"]["payment"] is None


async def test_paying_an_unknown_checkout_finds_nothing(gw: SandboxGateway) -> None:
    assert await gw.pay("cs_nope") == PayResult.NOT_FOUND
    assert await gw.decline("cs_nope") == PayResult.NOT_FOUND


# ---- cancelling ----


async def test_a_cancelled_checkout_cannot_be_paid(gw: SandboxGateway, receiver: Receiver) -> None:
    checkout = await gw.create_checkout(checkout_request())
    await gw.cancel_checkout(checkout.ref, "cancel_1")
    await gw.cancel_checkout(checkout.ref, "cancel_1")
    assert await gw.pay(checkout.ref) == PayResult.CANCELLED
    assert await gw.decline(checkout.ref) == PayResult.CANCELLED
    state = await gw.retrieve(checkout.ref)
    assert (state.status, state.payment_ref) == (CheckoutStatus.CANCELLED, None)
    assert await delivered_types(gw, receiver) == []


async def test_cancelling_a_paid_checkout_leaves_it_paid(gw: SandboxGateway) -> None:
    checkout = await gw.create_checkout(checkout_request())
    await gw.pay(checkout.ref)
    await gw.cancel_checkout(checkout.ref, "cancel_1")
    assert (await gw.retrieve(checkout.ref)).status == CheckoutStatus.SUCCEEDED


async def test_cancelling_an_unknown_checkout_is_final(gw: SandboxGateway) -> None:
    with pytest.raises(GatewayFinal, match="no such checkout"):
        await gw.cancel_checkout("cs_nope", "cancel_1")


# ---- two-phase: authorise, then capture or void ----


async def test_manual_capture_authorises_then_captures(
    gw: SandboxGateway, receiver: Receiver, clock: StepClock
) -> None:
    checkout = await gw.create_checkout(checkout_request(capture_manual=True))
    assert await gw.pay(checkout.ref) == PayResult.AUTHORISED
    state = await gw.retrieve(checkout.ref)
    assert state.status == CheckoutStatus.AUTHORISED
    assert state.payment_ref is not None
    await gw.capture(state.payment_ref, "capture_1")
    await gw.capture(state.payment_ref, "capture_1")  # a replay: no second capture
    assert (await gw.retrieve(checkout.ref)).status == CheckoutStatus.SUCCEEDED
    assert await delivered_types(gw, receiver) == ["checkout.authorised", "payment.captured"]
    kinds = [e.kind for e in receiver.parsed(gw, clock.now())]
    assert kinds == [GatewayEventKind.AUTHORISED, GatewayEventKind.CAPTURED]
    with pytest.raises(GatewayFinal, match="it is captured"):
        await gw.capture(state.payment_ref, "capture_2")


async def test_voiding_releases_an_authorisation(gw: SandboxGateway, receiver: Receiver) -> None:
    payment = await paid(gw, capture_manual=True)
    await gw.void(payment, "void_1")
    await gw.void(payment, "void_1")
    assert await delivered_types(gw, receiver) == ["checkout.authorised", "payment.voided"]
    assert receiver.bodies()[1]["data"]["payment"] == payment
    with pytest.raises(GatewayFinal, match=r"cannot refund payment .*: it is voided"):
        await gw.refund(payment, 1250, "refund_1")
    with pytest.raises(GatewayFinal, match=r"cannot capture payment .*: it is voided"):
        await gw.capture(payment, "capture_1")


async def test_a_voided_checkout_reads_as_cancelled(gw: SandboxGateway) -> None:
    checkout = await gw.create_checkout(checkout_request(capture_manual=True))
    await gw.pay(checkout.ref)
    payment = (await gw.retrieve(checkout.ref)).payment_ref
    assert payment is not None
    await gw.void(payment, "void_1")
    assert (await gw.retrieve(checkout.ref)).status == CheckoutStatus.CANCELLED


async def test_captured_money_cannot_be_voided(gw: SandboxGateway) -> None:
    payment = await paid(gw)
    with pytest.raises(GatewayFinal, match=r"cannot void payment .*: it is captured"):
        await gw.void(payment, "void_1")


async def test_unknown_payments_are_final(gw: SandboxGateway) -> None:
    for call in (
        gw.capture("py_nope", "k1"),
        gw.void("py_nope", "k2"),
        gw.refund("py_nope", 100, "k3"),
    ):
        with pytest.raises(GatewayFinal, match="no such payment"):
            await call


# ---- refunds ----


async def test_a_refund_replayed_with_its_key_refunds_once(
    gw: SandboxGateway, receiver: Receiver, clock: StepClock
) -> None:
    payment = await paid(gw)
    await gw.refund(payment, 1250, "refund_1")
    await gw.refund(payment, 1250, "refund_1")
    assert await delivered_types(gw, receiver) == ["checkout.succeeded", "payment.refunded"]
    refunded = receiver.parsed(gw, clock.now())[1]
    assert (refunded.kind, refunded.payment_ref) == (GatewayEventKind.REFUNDED, payment)
    assert refunded.amount_minor == 1250
    with pytest.raises(GatewayFinal, match="it is refunded"):
        await gw.refund(payment, 1250, "refund_2")


async def test_a_refund_key_reused_for_another_amount_is_refused(gw: SandboxGateway) -> None:
    payment = await paid(gw)
    await gw.refund(payment, 1250, "refund_1")
    with pytest.raises(GatewayFinal, match="different parameters"):
        await gw.refund(payment, 1000, "refund_1")


async def test_more_than_was_paid_cannot_be_refunded(gw: SandboxGateway) -> None:
    payment = await paid(gw)
    with pytest.raises(GatewayFinal, match="only 1250 is left"):
        await gw.refund(payment, 1251, "refund_1")


@pytest.mark.parametrize("amount_minor", [0, -5])
async def test_a_refund_must_be_positive(gw: SandboxGateway, amount_minor: int) -> None:
    payment = await paid(gw)
    with pytest.raises(GatewayFinal, match="positive"):
        await gw.refund(payment, amount_minor, "refund_1")


async def test_partial_refunds_add_up_to_the_payment(
    gw: SandboxGateway, receiver: Receiver
) -> None:
    payment = await paid(gw)
    await gw.refund(payment, 500, "refund_1")
    with pytest.raises(GatewayFinal, match="only 750 is left"):
        await gw.refund(payment, 751, "refund_2")
    await gw.refund(payment, 750, "refund_3")
    await gw.deliver_due()
    assert [b["data"]["amount_minor"] for b in receiver.bodies()] == [1250, 500, 750]
    with pytest.raises(GatewayFinal, match="it is refunded"):
        await gw.refund(payment, 1, "refund_4")


async def test_authorised_money_is_voided_not_refunded(gw: SandboxGateway) -> None:
    payment = await paid(gw, capture_manual=True)
    with pytest.raises(GatewayFinal, match=r"cannot refund payment .*: it is authorised"):
        await gw.refund(payment, 1250, "refund_1")


async def test_concurrent_refunds_with_other_keys_never_exceed_the_payment(
    gw: SandboxGateway, receiver: Receiver
) -> None:
    payment = await paid(gw)
    results = await asyncio.gather(
        *(gw.refund(payment, 1250, f"refund_{i}") for i in range(6)), return_exceptions=True
    )
    assert sum(r is None for r in results) == 1
    assert all(isinstance(r, GatewayFinal | GatewayRetryable) for r in results if r is not None)
    assert await delivered_types(gw, receiver) == ["checkout.succeeded", "payment.refunded"]


# ---- lifecycle ----


async def test_calls_before_start_are_retryable(sqlite_db_url: str) -> None:
    gw = SandboxGateway(sqlite_db_url, PUBLIC_URL, WEBHOOK_URL, SECRET)
    with pytest.raises(GatewayRetryable, match="not started"):
        await gw.retrieve("cs_1")


async def test_a_stopped_gateway_can_start_again(gw: SandboxGateway) -> None:
    checkout = await gw.create_checkout(checkout_request())
    await gw.stop()
    await gw.start()
    assert (await gw.retrieve(checkout.ref)).status == CheckoutStatus.OPEN


@pytest.mark.parametrize(
    ("db_url", "webhook_url", "secret"),
    [
        ("mysql://x/y", WEBHOOK_URL, SECRET),
        ("sqlite:///plain-driver.db", WEBHOOK_URL, SECRET),
        ("not a url", WEBHOOK_URL, SECRET),
        ("sqlite+aiosqlite:///x.db", "ftp://hooks", SECRET),
        ("sqlite+aiosqlite:///x.db", WEBHOOK_URL, b"short"),
    ],
)
def test_bad_configuration_fails_loudly(db_url: str, webhook_url: str, secret: bytes) -> None:
    with pytest.raises(ValueError, match="sandbox"):
        SandboxGateway(db_url, PUBLIC_URL, webhook_url, secret)


async def test_start_fails_loudly_on_an_unusable_database(tmp_path: Path) -> None:
    nowhere = f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'sandbox.db'}"
    gw = SandboxGateway(nowhere, PUBLIC_URL, WEBHOOK_URL, SECRET)
    with pytest.raises(OperationalError):
        await gw.start()
    with pytest.raises(GatewayRetryable, match="not started"):
        await gw.retrieve("cs_1")
    # aiosqlite's worker thread of the failed connection still reports to this event loop:
    # let it finish before the loop closes, or it raises in its thread.
    for thread in threading.enumerate():
        if "_connection_worker_thread" in thread.name:
            await asyncio.to_thread(thread.join, 5)
