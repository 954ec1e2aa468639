"""A gateway event no store can hold is refused before its transaction, from any gateway:
an amount past BIGINT, text with a lone surrogate or a NUL, a currency that is no code."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.domain.errors import WebhookRejected
from core.ports.store import GatewayEvent, GatewayEventKind
from core.usecases.deps import Outcome
from tests.support.harness import Rig, dump, request

MAX_MINOR = 2**63 - 1  # a BIGINT column's largest value


async def held_event(rig: Rig) -> GatewayEvent:
    """The payment event of a part held for a payer (not applied)."""
    view = await rig.engine.create_order(await rig.payee(), request("90", 3))
    held = await rig.engine.reserve(view.order.token, "bob", source="bob")
    assert held.sub.checkout_ref is not None
    return rig.gateway.pay(held.sub.checkout_ref)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"amount_minor": MAX_MINOR + 1}, "event field 'amount_minor' is out of range"),
        ({"amount_minor": -1}, "event field 'amount_minor' is out of range"),
        ({"event_id": "evt_\ud800"}, "event field 'event_id' is not valid text"),
        ({"checkout_ref": "co\x00"}, "event field 'checkout_ref' is not valid text"),
        ({"payment_ref": "py_\udfff"}, "event field 'payment_ref' is not valid text"),
        ({"payer_name": "Bob \ud83c"}, "event field 'payer_name' is not valid text"),
        ({"currency": "U\ud800D"}, "event field 'currency' is not valid text"),
        ({"currency": "US DOLLARS"}, "event field 'currency' is not a currency code"),
    ],
)
async def test_an_event_no_store_can_hold_is_refused_and_changes_nothing(
    rig: Rig, change: dict[str, object], reason: str
) -> None:
    event = replace(await held_event(rig), **change)  # type: ignore[arg-type]
    before = await dump(rig.store)
    with pytest.raises(WebhookRejected) as refused:
        await rig.engine.apply_event(event)
    assert refused.value.reason == reason
    assert refused.value.status == 400
    assert await dump(rig.store) == before


async def test_the_largest_amount_a_column_holds_is_kept_as_a_payment_that_goes_back(
    rig: Rig,
) -> None:
    event = replace(await held_event(rig), amount_minor=MAX_MINOR)
    assert await rig.engine.apply_event(event) == Outcome.REFUNDING
    payment = await rig.engine.payment_of(event.gateway, event.payment_ref)
    assert payment is not None
    assert (payment.amount_minor, payment.reason) == (MAX_MINOR, "amount mismatch")


async def test_an_ignored_event_needs_no_currency(rig: Rig) -> None:
    event = GatewayEvent("fake", "evt_other", GatewayEventKind.IGNORED, "", "", 0, "")
    assert await rig.engine.apply_event(event) == Outcome.IGNORED
