"""A hold belongs to whoever took it: its secret reads and releases it, and the payee may
release any part of their own order; either way its checkout is closed at once."""

from __future__ import annotations

import hashlib

import pytest

from core.domain.errors import AlreadyPaid, HoldNotYours, InvalidInput, NotFound, NotHeld
from core.domain.events import HoldReleased
from core.domain.model import OrderId, PaymentStatus, SubOrderState
from core.ports.store import CheckoutStatus
from core.usecases.deps import Outcome
from tests.support.harness import Rig, dump, request


async def new_order(rig: Rig, payee_name: str = "Ann", payers: int = 3) -> tuple[str, str]:
    payee = await rig.payee(payee_name)
    view = await rig.engine.create_order(payee, request(total="30", payers=payers))
    return view.order.id, view.order.token


async def test_a_second_client_with_the_same_payer_gets_nothing_of_the_hold(rig: Rig) -> None:
    _, token = await new_order(rig)
    mine = await rig.engine.reserve(token, "api:bob", source="api:bob")
    before = await dump(rig.store)
    for guess in (None, "", "x" * 43, "sec000002" + "s" * 34):  # none, or someone else's
        with pytest.raises(HoldNotYours) as refused:
            await rig.engine.reserve(token, "api:bob", hold_secret=guess, source="api:bob")
        assert str(mine.sub.checkout_url) not in f"{refused.value.message} {refused.value.fields}"
    assert await dump(rig.store) == before
    assert len(rig.gateway.done("create_checkout")) == 1


async def test_the_secret_is_given_once_and_kept_only_as_its_hash(rig: Rig) -> None:
    _, token = await new_order(rig)
    first = await rig.engine.reserve(token, "api:bob", source="api:bob")
    assert first.hold_secret is not None
    assert first.hold_secret not in repr(first)
    again = await rig.engine.reserve(
        token, "api:bob", hold_secret=first.hold_secret, source="api:bob"
    )
    assert again.hold_secret is None
    digest = hashlib.sha256(first.hold_secret.encode()).hexdigest()
    assert first.sub.hold_secret_hash == digest
    assert first.hold_secret not in repr(await dump(rig.store))


async def test_a_client_may_choose_its_secret_so_a_lost_answer_costs_no_part(rig: Rig) -> None:
    """The first answer (with the secret) is lost; the retry with the secret the client
    chose gets the same part back, and nobody else can."""
    _, token = await new_order(rig)
    chosen = "c" * 40
    first = await rig.engine.reserve(token, "api:bob", hold_secret=chosen, source="api:bob")
    retry = await rig.engine.reserve(token, "api:bob", hold_secret=chosen, source="api:bob")
    assert (retry.sub.id, retry.created) == (first.sub.id, False)
    assert first.hold_secret == chosen
    with pytest.raises(HoldNotYours):
        await rig.engine.reserve(token, "api:bob", source="api:bob")
    assert len(rig.gateway.done("create_checkout")) == 1


@pytest.mark.parametrize("secret", ["short", "x" * 129, "s p a c e s" * 4, "é" * 40])
async def test_a_malformed_hold_secret_is_refused_and_changes_nothing(
    rig: Rig, secret: str
) -> None:
    _, token = await new_order(rig)
    before = await dump(rig.store)
    with pytest.raises(InvalidInput) as refused:
        await rig.engine.reserve(token, "api:bob", hold_secret=secret, source="api:bob")
    assert refused.value.field == "Chipin-Hold"
    assert await dump(rig.store) == before


async def test_every_hold_has_a_secret_of_its_own(rig: Rig) -> None:
    _, token = await new_order(rig)
    secrets = {
        (await rig.engine.reserve(token, f"api:p{i}", source=f"api:p{i}")).hold_secret
        for i in range(3)
    }
    assert len(secrets) == 3


async def test_the_secret_reads_the_hold_and_nothing_else_does(rig: Rig) -> None:
    _, token = await new_order(rig)
    mine = await rig.engine.reserve(token, "api:bob", source="api:bob")
    read = await rig.engine.held_part(token, mine.hold_secret)
    assert (read.sub.id, read.sub.checkout_url, read.created) == (
        mine.sub.id,
        mine.sub.checkout_url,
        False,
    )
    for wrong in (None, "", "not-the-secret"):
        with pytest.raises(HoldNotYours):
            await rig.engine.held_part(token, wrong)
    _, other_token = await new_order(rig, "Bob")
    with pytest.raises(HoldNotYours):  # the secret of one order opens nothing in another
        await rig.engine.held_part(other_token, mine.hold_secret)
    with pytest.raises(NotFound):
        await rig.engine.held_part("no-such-token", mine.hold_secret)


async def test_the_secret_shows_a_paid_part_as_paid(rig: Rig) -> None:
    _, token = await new_order(rig)
    mine = await rig.engine.reserve(token, "api:bob", source="api:bob")
    assert mine.sub.checkout_ref is not None
    await rig.engine.apply_event(rig.gateway.pay(mine.sub.checkout_ref))
    assert (await rig.engine.held_part(token, mine.hold_secret)).sub.state == SubOrderState.PAID
    with pytest.raises(AlreadyPaid):
        await rig.engine.release_own_hold(token, mine.hold_secret)


async def test_the_secret_shows_a_cancelled_orders_part_as_closed(rig: Rig) -> None:
    order_id, token = await new_order(rig)
    mine = await rig.engine.reserve(token, "api:bob", source="api:bob")
    await rig.engine.cancel_order(order_id, await rig.payee("Ann"))
    assert (await rig.engine.held_part(token, mine.hold_secret)).sub.state == SubOrderState.CLOSED
    with pytest.raises(NotHeld, match="closed"):
        await rig.engine.release_own_hold(token, mine.hold_secret)


async def test_a_payer_releases_their_hold_and_its_checkout_is_closed(rig: Rig) -> None:
    order_id, token = await new_order(rig)
    mine = await rig.engine.reserve(token, "api:bob", source="api:bob")
    assert mine.sub.checkout_ref is not None
    with pytest.raises(HoldNotYours):
        await rig.engine.release_own_hold(token, "a guess")
    await rig.engine.release_own_hold(token, mine.hold_secret)
    view = await rig.engine.public_order(token)
    assert view.subs[0].state == SubOrderState.AVAILABLE
    assert rig.gateway.checkouts[mine.sub.checkout_ref].status == CheckoutStatus.CANCELLED
    assert rig.notifier.of(HoldReleased)[-1].order_id == order_id
    async with rig.store.transaction() as tx:
        assert await tx.checkouts.loose_checkouts(10) == []  # the gateway confirmed it closed
    with pytest.raises(HoldNotYours):  # the secret opened that hold only
        await rig.engine.release_own_hold(token, mine.hold_secret)
    again = await rig.engine.reserve(token, "api:bob", source="api:bob")
    assert again.created
    assert again.hold_secret != mine.hold_secret


async def test_money_taken_just_before_a_release_goes_back(rig: Rig) -> None:
    """The payer paid on the gateway's page, its webhook is not in yet: releasing the hold
    closes the checkout, finds the payment and refunds it rather than leaving it unseen."""
    order_id, token = await new_order(rig)
    mine = await rig.engine.reserve(token, "api:bob", source="api:bob")
    assert mine.sub.checkout_ref is not None
    late = rig.gateway.pay(mine.sub.checkout_ref)  # paid at the gateway, webhook lost
    await rig.engine.release_own_hold(token, mine.hold_secret)
    async with rig.store.transaction() as tx:
        payments = await tx.payments.payments_of_order(OrderId(order_id))
    assert [(p.counted, p.status) for p in payments] == [(False, PaymentStatus.REFUNDED)]
    assert await rig.engine.apply_event(late) == Outcome.DUPLICATE
    view = await rig.engine.public_order(token)
    assert (view.order.paid_count, view.subs[0].state) == (0, SubOrderState.AVAILABLE)


async def test_the_payee_releases_a_held_part_of_their_own_order(rig: Rig) -> None:
    order_id, token = await new_order(rig)
    ann = await rig.payee("Ann")
    held = await rig.engine.reserve(token, "tg:42", payer_name="Bob", source="tg:42")
    assert held.sub.checkout_ref is not None
    view = await rig.engine.release_part(order_id, 0, ann)
    assert view.subs[0].state == SubOrderState.AVAILABLE
    assert view.subs[0].payer_ref is None
    assert rig.gateway.checkouts[held.sub.checkout_ref].status == CheckoutStatus.CANCELLED
    again = await rig.engine.reserve(
        token, "tg:42", source="tg:42"
    )  # the payer may take a part again
    assert again.created


async def test_the_payee_can_release_only_a_held_part_of_their_own_order(rig: Rig) -> None:
    order_id, token = await new_order(rig)
    ann, bob = await rig.payee("Ann"), await rig.payee("Bob")
    paid = await rig.engine.reserve(token, "api:cy", source="api:cy")
    assert paid.sub.checkout_ref is not None
    await rig.engine.apply_event(rig.gateway.pay(paid.sub.checkout_ref))
    await rig.engine.reserve(token, "api:dee", source="api:dee")
    before = await dump(rig.store)
    with pytest.raises(NotFound):
        await rig.engine.release_part(order_id, 1, bob)
    with pytest.raises(NotFound):
        await rig.engine.release_part(order_id, 7, ann)
    with pytest.raises(NotHeld, match="paid"):
        await rig.engine.release_part(order_id, 0, ann)
    with pytest.raises(NotHeld, match="available"):
        await rig.engine.release_part(order_id, 2, ann)
    assert await dump(rig.store) == before


async def test_held_orders_lists_the_payees_open_orders_with_holds_newest_first(rig: Rig) -> None:
    first_id, first = await new_order(rig)
    second_id, second = await new_order(rig)
    quiet_id, _quiet = await new_order(rig)
    _other_id, other = await new_order(rig, "Bob")
    await rig.engine.reserve(first, "tg:1", source="tg:1")
    await rig.engine.reserve(second, "tg:2", source="tg:2")
    await rig.engine.reserve(other, "tg:3", source="tg:3")
    ann = await rig.payee("Ann")
    assert [v.order.id for v in await rig.engine.held_orders(ann)] == [second_id, first_id]
    await rig.engine.cancel_order(second_id, ann)
    assert [v.order.id for v in await rig.engine.held_orders(ann)] == [first_id]
    assert quiet_id not in [v.order.id for v in await rig.engine.held_orders(ann)]
