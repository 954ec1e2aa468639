"""The engine over Stripe (localstripe), webhooks over HTTP to Chipin's listener: every path."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest

from core.domain.events import HoldReleased, LatePaymentRefunded, SubOrderPaid
from core.domain.model import OrderState, PaymentStatus, SubOrderState
from gateways.stripe.events import (
    INTENT_CANCELED,
    INTENT_CAPTURABLE,
    INTENT_FAILED,
    INTENT_SUCCEEDED,
)
from tests.gateways.stripe_rig import Delivery, signed
from tests.gateways.stripe_world import StripeWorld
from tests.support.harness import dump


async def test_a_paid_intent_settles_its_part_by_webhook(stripe_world: StripeWorld) -> None:
    w = stripe_world
    view = await w.order("100", 2)
    sub = await w.reserve(view, "tg:1")
    assert sub.checkout_ref is not None
    assert (await w.admin.pay(sub.checkout_ref))["status"] == "succeeded"
    delivery = await w.gate.arrival(INTENT_SUCCEEDED, sub.checkout_ref)
    assert (delivery.status, delivery.outcomes) == (200, ["applied"])
    after = await w.view(view.order.id)
    assert (after.order.state, after.order.paid_count) == (OrderState.OPEN, 1)
    assert [s.state for s in after.subs] == [SubOrderState.PAID, SubOrderState.AVAILABLE]
    [payment] = await w.payments(view.order.id)
    assert (payment.status, payment.payment_ref) == (PaymentStatus.CAPTURED, sub.checkout_ref)
    [told] = w.notifier.of(SubOrderPaid)
    assert isinstance(told, SubOrderPaid)
    assert told.paid_count == 1


async def test_a_declined_card_frees_the_part(stripe_world: StripeWorld) -> None:
    w = stripe_world
    view = await w.order("50", 1)
    sub = await w.reserve(view, "tg:1")
    assert sub.checkout_ref is not None
    answer = await w.admin.pay(sub.checkout_ref, "pm_card_chargeCustomerFail")
    assert answer["error"]["code"] == "card_declined"
    delivery = await w.gate.arrival(INTENT_FAILED, sub.checkout_ref)
    assert delivery.outcomes == ["applied"]
    after = await w.view(view.order.id)
    assert [s.state for s in after.subs] == [SubOrderState.AVAILABLE]
    assert len(w.notifier.of(HoldReleased)) == 1
    assert await w.payments(view.order.id) == []


async def test_money_that_comes_in_after_a_cancel_is_refunded_at_stripe(
    stripe_world: StripeWorld,
) -> None:
    w = stripe_world
    w.gate.hold = True  # the webhook is late: the payee cancels first
    view = await w.order("50", 1)
    sub = await w.reserve(view, "tg:1")
    assert sub.checkout_ref is not None
    await w.admin.pay(sub.checkout_ref)
    await w.engine.cancel_order(view.order.id, w.payee)  # finds the money, refunds it
    assert await w.admin.refunded_minor(sub.checkout_ref) == 5000
    [payment] = await w.payments(view.order.id)
    assert (payment.status, payment.counted) == (PaymentStatus.REFUNDED, False)
    assert len(w.notifier.of(LatePaymentRefunded)) == 1
    late = await w.gate.arrival(INTENT_SUCCEEDED, sub.checkout_ref)
    assert await w.gate.forward(late) == ["duplicate"]
    after = await w.view(view.order.id)
    assert (after.order.state, after.order.paid_count) == (OrderState.CANCELLED, 0)


async def test_mode_all_captures_every_authorisation_at_n(stripe_world: StripeWorld) -> None:
    w = stripe_world
    view = await w.order("100", 2, mode="all")
    refs = []
    for payer in ("tg:1", "tg:2"):
        sub = await w.reserve(view, payer)
        assert sub.checkout_ref is not None
        assert (await w.admin.pay(sub.checkout_ref))["status"] == "requires_capture"
        # localstripe sends no amount_capturable_updated: we post Stripe's, signed.
        response = await w.post(await w.event(INTENT_CAPTURABLE, sub.checkout_ref))
        assert (response.status_code, response.json()["outcomes"]) == (200, ["applied"])
        refs.append(sub.checkout_ref)
        if payer == "tg:1":
            assert (await w.admin.intent(refs[0]))["status"] == "requires_capture"
    for ref in refs:
        assert (await w.admin.intent(ref))["status"] == "succeeded"
        captured = await w.gate.arrival(INTENT_SUCCEEDED, ref)  # Stripe's word on the capture
        assert captured.outcomes == ["duplicate"]
    assert (await w.view(view.order.id)).order.state == OrderState.COMPLETED
    assert {p.status for p in await w.payments(view.order.id)} == {PaymentStatus.CAPTURED}


async def test_mode_all_cancelled_short_voids_the_authorisation(
    stripe_world: StripeWorld,
) -> None:
    w = stripe_world
    view = await w.order("100", 2, mode="all")
    paid = await w.reserve(view, "tg:1")
    waiting = await w.reserve(view, "tg:2")
    assert paid.checkout_ref is not None
    assert waiting.checkout_ref is not None
    await w.admin.pay(paid.checkout_ref)
    await w.post(await w.event(INTENT_CAPTURABLE, paid.checkout_ref))
    await w.engine.cancel_order(view.order.id, w.payee)
    assert (await w.admin.intent(paid.checkout_ref))["status"] == "canceled"  # voided
    assert (await w.admin.intent(waiting.checkout_ref))["status"] == "canceled"  # closed
    [payment] = await w.payments(view.order.id)
    assert payment.status == PaymentStatus.VOIDED
    before = await dump(w.store)
    for ref in (paid.checkout_ref, waiting.checkout_ref):  # Stripe then says canceled
        response = await w.post(await w.event(INTENT_CANCELED, ref))
        assert response.json()["outcomes"] == ["ignored", "ignored"]
    assert _without_events(await dump(w.store)) == _without_events(before)


async def test_mode_all_expired_short_voids_what_reconciliation_found(
    stripe_world: StripeWorld,
) -> None:
    w = stripe_world
    view = await w.order("100", 2, mode="all")
    sub = await w.reserve(view, "tg:1")
    assert sub.checkout_ref is not None
    await w.admin.pay(sub.checkout_ref)
    assert await w.engine.reconcile() == 1  # no webhook: the authorisation is found anyway
    w.clock.at = view.order.expires_at
    assert await w.engine.expire_due() == 1
    assert (await w.admin.intent(sub.checkout_ref))["status"] == "canceled"
    assert [p.status for p in await w.payments(view.order.id)] == [PaymentStatus.VOIDED]
    assert (await w.view(view.order.id)).order.state == OrderState.EXPIRED


async def test_a_webhook_delivered_twice_changes_nothing(stripe_world: StripeWorld) -> None:
    w = stripe_world
    view = await w.order("100", 2)
    sub = await w.reserve(view, "tg:1")
    assert sub.checkout_ref is not None
    await w.admin.pay(sub.checkout_ref)
    first = await w.gate.arrival(INTENT_SUCCEEDED, sub.checkout_ref)
    before = await dump(w.store)
    again = await w.post(first)
    assert (again.status_code, again.json()["outcomes"]) == (200, ["duplicate"])
    assert await dump(w.store) == before
    assert (await w.view(view.order.id)).order.paid_count == 1


async def test_a_decline_reported_after_the_success_changes_nothing(
    stripe_world: StripeWorld,
) -> None:
    """A first card declined, a second one paid; the decline's webhook comes in last."""
    w = stripe_world
    w.gate.hold = True
    view = await w.order("100", 2)
    sub = await w.reserve(view, "tg:1")
    assert sub.checkout_ref is not None
    await w.admin.pay(sub.checkout_ref, "pm_card_visa")
    # localstripe cannot confirm again after a decline: the earlier failure is Stripe's event.
    declined = {"status": "requires_payment_method", "last_payment_error": {"code": "x"}}
    failed = await w.event(INTENT_FAILED, sub.checkout_ref, **declined)
    succeeded = await w.gate.arrival(INTENT_SUCCEEDED, sub.checkout_ref)
    assert await w.gate.forward(succeeded) == ["applied"]
    assert (await w.post(failed)).json()["outcomes"] == ["ignored"]  # not freed: it is paid
    after = await w.view(view.order.id)
    assert [s.state for s in after.subs if s.id == sub.id] == [SubOrderState.PAID]
    assert after.order.paid_count == 1


async def test_webhooks_after_reconciliation_and_in_reverse_change_nothing(
    stripe_world: StripeWorld,
) -> None:
    w = stripe_world
    w.gate.hold = True
    view = await w.order("50", 1, mode="all")
    sub = await w.reserve(view, "tg:1")
    assert sub.checkout_ref is not None
    await w.admin.pay(sub.checkout_ref)
    authorised = await w.event(INTENT_CAPTURABLE, sub.checkout_ref)  # as sent, not yet here
    assert await w.engine.reconcile() == 1  # found first: N reached, captured
    assert (await w.admin.intent(sub.checkout_ref))["status"] == "succeeded"
    before = await dump(w.store)
    captured = await w.gate.arrival(INTENT_SUCCEEDED, sub.checkout_ref)
    assert await w.gate.forward(captured) == ["duplicate"]  # the capture's event first,
    assert (await w.post(authorised)).json()["outcomes"] == ["duplicate"]  # then the older one
    assert _without_events(await dump(w.store)) == _without_events(before)
    [payment] = await w.payments(view.order.id)
    assert payment.status == PaymentStatus.CAPTURED


def _no_header(d: Delivery) -> Delivery:
    return Delivery(d.event_type, d.intent_id, d.body, {})


def _other_secret(d: Delivery) -> Delivery:
    return signed(json.loads(d.body), secret="whsec_not_ours")


def _changed_body(d: Delivery) -> Delivery:
    return Delivery(d.event_type, d.intent_id, d.body.replace(b"5000", b"50"), d.headers)


def _garbage_header(d: Delivery) -> Delivery:
    return Delivery(d.event_type, d.intent_id, d.body, {"Stripe-Signature": "t=x,v1"})


@pytest.mark.parametrize("spoil", [_no_header, _other_secret, _changed_body, _garbage_header])
async def test_a_webhook_without_a_good_signature_is_refused_and_changes_nothing(
    stripe_world: StripeWorld, spoil: Callable[[Delivery], Delivery]
) -> None:
    w = stripe_world
    view = await w.order("50", 1)
    sub = await w.reserve(view, "tg:1")
    assert sub.checkout_ref is not None
    genuine = await w.event(INTENT_SUCCEEDED, sub.checkout_ref, status="succeeded")
    before = await dump(w.store)
    answer = await w.post(spoil(genuine))
    assert answer.status_code == 400
    assert answer.json()["error"] == "webhook_rejected"
    assert await dump(w.store) == before
    assert (await w.post(genuine)).json()["outcomes"] == ["applied"]  # the real one still is


async def test_an_event_type_chipin_does_not_use_is_acknowledged(
    stripe_world: StripeWorld,
) -> None:
    w = stripe_world
    view = await w.order("100", 2)
    sub = await w.reserve(view, "tg:1")
    assert sub.checkout_ref is not None
    before = await dump(w.store)
    answer = await w.post(await w.event("payment_intent.processing", sub.checkout_ref))
    assert (answer.status_code, answer.json()["outcomes"]) == (200, ["ignored"])
    after = await dump(w.store)
    assert _without_events(after) == _without_events(before)


@pytest.mark.parametrize(("field", "value"), [("amount", 4999), ("currency", "eur")])
async def test_a_payment_of_the_wrong_amount_or_currency_is_refused_and_logged(
    stripe_world: StripeWorld, caplog: pytest.LogCaptureFixture, field: str, value: int | str
) -> None:
    w = stripe_world
    view = await w.order("50", 1)
    sub = await w.reserve(view, "tg:1")
    assert sub.checkout_ref is not None
    await w.admin.update(sub.checkout_ref, **{field: value})  # changed behind Chipin's back
    with caplog.at_level(logging.WARNING, logger="chipin.security"):
        await w.admin.pay(sub.checkout_ref)
        delivery = await w.gate.arrival(INTENT_SUCCEEDED, sub.checkout_ref)
    assert delivery.outcomes == ["refunding"]
    [record] = [r for r in caplog.records if r.name == "chipin.security"]
    assert "amount/currency mismatch" in record.getMessage()
    after = await w.view(view.order.id)
    assert after.order.paid_count == 0
    assert [s.state for s in after.subs] == [SubOrderState.RESERVED]
    [payment] = await w.payments(view.order.id)
    assert (payment.status, payment.counted) == (PaymentStatus.REFUNDED, False)
    assert await w.admin.refunded_minor(sub.checkout_ref) == (value if field == "amount" else 5000)


def _without_events(state: object) -> object:
    """The store's state less the record of seen event ids (which an event adds)."""
    inner = getattr(state, "__dict__", None)
    if inner is None:
        return state
    return {k: v for k, v in inner.items() if k != "events"}
