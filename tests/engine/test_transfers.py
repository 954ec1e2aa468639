"""Money straight to the payee on every store: a payee's own methods, transfer references,
claims held until the payee decides, confirmations counted under the exactly-N guard, and
money that came too late owed back by hand."""

from __future__ import annotations

import asyncio

import pytest

from core.domain.codes import RawSpec, build_spec
from core.domain.errors import (
    AlreadyPaid,
    Conflict,
    HoldNotYours,
    InvalidInput,
    NotAllowed,
    NotFound,
    NotHeld,
    OrderFull,
    TooManyHolds,
    Unsupported,
)
from core.domain.events import (
    ClaimCutShort,
    CodePaid,
    SubOrderPaid,
    TransferClaimed,
    TransferDenied,
)
from core.domain.ledger.entries import EntryKind
from core.domain.model import (
    OrderState,
    PayeeId,
    PaymentStatus,
    Settled,
    SubOrderState,
)
from core.domain.money import Money, currency
from core.domain.payqr.rf import is_valid_rf
from tests.support.harness import Rig, dump, request

IBAN = "DE89370400440532013000"  # the IBAN registry's German example (valid check digits)
SEPA = {"holder": "Ann Example", "iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX"}


async def _sepa_payee(rig: Rig, name: str = "Ann") -> PayeeId:
    payee = await rig.payee(name)
    await rig.engine.add_method(payee, "sepa", SEPA)
    return payee


async def _eur_order(rig: Rig, payee: PayeeId, n: int = 3, mode: str = "keep") -> str:
    view = await rig.engine.create_order(payee, request(total="90", payers=n, cur="EUR", mode=mode))
    return view.order.token


async def _sub(rig: Rig, token: str, idx: int = 0) -> tuple[SubOrderState, int]:
    async with rig.store.transaction() as tx:
        order = await tx.orders.get_order_by_token(token)
        assert order is not None
        subs = await tx.sub_orders.get_sub_orders(order.id)
        return subs[idx].state, order.paid_count


async def test_a_payee_adds_lists_and_removes_methods(rig: Rig) -> None:
    payee = await rig.payee()
    added = await rig.engine.add_method(payee, "SEPA", SEPA)
    assert (added.kind, added.account, added.holder, added.bic) == (
        "sepa",
        IBAN,
        "Ann Example",
        "COBADEFFXXX",
    )
    upi = await rig.engine.add_method(payee, "upi", {"holder": "Ann", "vpa": "Ann.E@okaxis"})
    assert upi.account == "ann.e@okaxis"
    assert [m.kind for m in await rig.engine.methods_of(payee)] == ["sepa", "upi"]
    assert added.masked() == "DE89…3000"
    with pytest.raises(Conflict, match="remove it first"):
        await rig.engine.add_method(payee, "sepa", SEPA)
    await rig.engine.remove_method(payee, added.id)
    assert [m.kind for m in await rig.engine.methods_of(payee)] == ["upi"]
    with pytest.raises(NotFound):
        await rig.engine.remove_method(payee, added.id)


async def test_bad_method_details_are_refused_and_change_nothing(rig: Rig) -> None:
    payee = await rig.payee()
    before = await dump(rig.store)
    bad = [
        ("sepa", {"holder": "Ann", "iban": "DE89370400440532013001"}, "iban"),
        ("sepa", {"holder": "", "iban": IBAN}, "holder"),
        ("sepa", {"holder": "Ann", "iban": IBAN, "bic": "NOTABIC"}, "bic"),
        ("pix", {"holder": "Ana", "key": "123", "city": "Recife"}, "key"),
        ("pix", {"holder": "Ana", "key": "ana@example.com", "city": ""}, "city"),
        ("upi", {"holder": "Ann", "vpa": "no-handle"}, "vpa"),
        ("sepa", {"holder": "Ann", "iban": "CH9300762011623852957"}, "bic"),  # outside the EEA
        ("sepa", {"holder": "𝔄" * 70, "iban": IBAN}, "holder"),  # 280 bytes: no QR code
    ]
    for kind, given, field in bad:
        with pytest.raises(InvalidInput) as caught:
            await rig.engine.add_method(payee, kind, given)
        assert caught.value.field == field, (kind, given)
    with pytest.raises(InvalidInput, match="sepa, pix or upi"):
        await rig.engine.add_method(payee, "paypal", {"holder": "Ann"})
    assert await dump(rig.store) == before


async def test_a_transfer_reservation_says_how_to_pay_and_keeps_its_reference(rig: Rig) -> None:
    payee = await _sepa_payee(rig)
    token = await _eur_order(rig, payee)
    res = await rig.engine.reserve(token, "tg:10", method="sepa", source="tg:10")
    how = res.transfer
    assert how is not None
    assert res.sub.checkout() is None
    assert is_valid_rf(how.reference)
    assert len(how.reference) == 14
    assert how.payload.split("\n") == [
        "BCD",
        "002",
        "1",
        "SCT",
        "COBADEFFXXX",
        "Ann Example",
        IBAN,
        "EUR30",
        "",
        how.reference,
    ]
    assert (how.holder, how.account, how.amount.amount_minor) == ("Ann Example", IBAN, 3000)
    again = await rig.engine.reserve(token, "tg:10", method="sepa", source="tg:10")
    assert again.transfer is not None
    assert again.transfer.reference == how.reference
    other = await rig.engine.reserve(token, "tg:11", method="sepa", source="tg:11")
    assert other.transfer is not None
    assert other.transfer.reference != how.reference


async def test_transfers_are_offered_only_where_they_can_work(rig: Rig) -> None:
    payee = await _sepa_payee(rig)
    usd = await rig.engine.create_order(payee, request(total="90", payers=3))
    with pytest.raises(Unsupported, match="only EUR") as caught:
        await rig.engine.reserve(usd.order.token, "tg:10", method="sepa", source="s")
    assert caught.value.fields["reason"] == "currency"
    all_mode = await _eur_order(rig, payee, mode="all")
    with pytest.raises(Unsupported, match="cannot be held") as caught:
        await rig.engine.reserve(all_mode, "tg:10", method="sepa", source="s")
    assert caught.value.fields["reason"] == "mode_all"
    bob = await rig.payee("Bob")
    bobs = await _eur_order(rig, bob)
    with pytest.raises(Unsupported, match="takes no SEPA") as caught:
        await rig.engine.reserve(bobs, "tg:10", method="sepa", source="s")
    assert caught.value.fields["reason"] == "method"
    view = await rig.engine.get_order(usd.order.id, payee)
    assert await rig.engine.payee_methods_for(view.order) == []
    eur = await rig.engine.public_order(await _eur_order(rig, payee))
    assert [m.kind for m in await rig.engine.payee_methods_for(eur.order)] == ["sepa"]


async def test_a_claim_holds_the_part_until_the_payee_decides(rig: Rig) -> None:
    payee = await _sepa_payee(rig)
    token = await _eur_order(rig, payee)
    res = await rig.engine.reserve(token, "tg:10", method="sepa", source="tg:10")
    claimed = await rig.engine.claim_transfer(token, "tg:10")
    assert claimed.claimed_at is not None
    assert await _sub(rig, token) == (SubOrderState.CLAIMED, 0)
    rig.clock.advance(minutes=16)
    await rig.engine.release_lapsed_holds()
    assert await _sub(rig, token) == (SubOrderState.CLAIMED, 0)
    assert (await rig.engine.claim_transfer(token, "tg:10")).claimed_at == claimed.claimed_at
    claims = await rig.engine.claims_of(payee)
    assert [c.transfer.reference for c in claims] == [res.transfer.reference]  # type: ignore[union-attr]
    told = [q.event for q in await rig.engine.due_events()]
    assert [type(e) for e in told if isinstance(e, TransferClaimed)] == [TransferClaimed]


async def test_a_confirmed_transfer_counts_once_with_who_confirmed_it(rig: Rig) -> None:
    payee = await _sepa_payee(rig)
    token = await _eur_order(rig, payee, n=1)
    res = await rig.engine.reserve(token, "tg:10", method="sepa", source="tg:10")
    assert res.transfer is not None
    await rig.engine.claim_transfer(token, "tg:10")
    first = await rig.engine.confirm_transfer(payee, res.transfer.printed_reference)
    second = await rig.engine.confirm_transfer(payee, res.transfer.reference)
    assert second.id == first.id
    assert (first.status, first.counted, first.settled_by, first.gateway) == (
        PaymentStatus.CAPTURED,
        True,
        Settled.PAYEE,
        "sepa",
    )
    view = await rig.engine.get_order(res.order.id, payee)
    assert (view.order.state, view.order.paid_count, view.order.paid_minor) == (
        OrderState.COMPLETED,
        1,
        9000,
    )
    async with rig.store.transaction() as tx:
        entries = await tx.ledger.ledger_entries_of_payment(first.id)
    assert [(e.kind, e.method, e.settled, e.note) for e in entries] == [
        (EntryKind.PART_PAID, "sepa", "payee", "confirmed by the payee")
    ]
    paid = [q.event for q in await rig.engine.due_events() if isinstance(q.event, SubOrderPaid)]
    assert [(p.method, p.settled) for p in paid] == [("sepa", "payee")]
    with pytest.raises(AlreadyPaid):
        await rig.engine.claim_transfer(token, "tg:10")


async def test_two_confirmations_at_once_record_one_payment(rig: Rig) -> None:
    payee = await _sepa_payee(rig)
    token = await _eur_order(rig, payee, n=2)
    res = await rig.engine.reserve(token, "tg:10", method="sepa", source="tg:10")
    assert res.transfer is not None
    ref = res.transfer.reference
    done = await asyncio.gather(*(rig.engine.confirm_transfer(payee, ref) for _ in range(4)))
    assert len({p.id for p in done}) == 1
    assert await _sub(rig, token) == (SubOrderState.PAID, 1)


async def test_a_denied_claim_frees_the_part_and_tells_the_payer(rig: Rig) -> None:
    payee = await _sepa_payee(rig)
    token = await _eur_order(rig, payee)
    res = await rig.engine.reserve(token, "tg:10", method="sepa", source="tg:10")
    assert res.transfer is not None
    await rig.engine.claim_transfer(token, "tg:10")
    await rig.engine.deny_transfer(payee, res.transfer.reference)
    assert await _sub(rig, token) == (SubOrderState.AVAILABLE, 0)
    told = [q.event for q in await rig.engine.due_events()]
    denied = [e for e in told if isinstance(e, TransferDenied)]
    assert [(e.payer_ref, e.amount_minor) for e in denied] == [("tg:10", 3000)]
    with pytest.raises(NotHeld):
        await rig.engine.deny_transfer(payee, res.transfer.reference)
    bob = await rig.payee("Bob")
    with pytest.raises(NotFound):
        await rig.engine.confirm_transfer(bob, res.transfer.reference)


async def test_a_confirmed_transfer_cannot_be_denied(rig: Rig) -> None:
    payee = await _sepa_payee(rig)
    token = await _eur_order(rig, payee)
    res = await rig.engine.reserve(token, "tg:10", method="sepa", source="tg:10")
    assert res.transfer is not None
    await rig.engine.confirm_transfer(payee, res.transfer.reference)
    with pytest.raises(NotAllowed, match="confirmed already"):
        await rig.engine.deny_transfer(payee, res.transfer.reference)


async def test_money_for_a_part_taken_since_is_owed_back_by_hand(rig: Rig) -> None:
    payee = await _sepa_payee(rig)
    token = await _eur_order(rig, payee, n=1)
    late = await rig.engine.reserve(token, "tg:10", method="sepa", source="tg:10")
    assert late.transfer is not None
    rig.clock.advance(minutes=16)
    await rig.engine.release_lapsed_holds()
    other = await rig.engine.reserve(token, "tg:11", source="tg:11")
    assert other.sub.checkout_ref is not None
    await rig.engine.apply_event(rig.gateway.pay(other.sub.checkout_ref))
    owed = await rig.engine.confirm_transfer(payee, late.transfer.reference)
    assert (owed.status, owed.counted, owed.reason) == (
        PaymentStatus.REFUND_OWED,
        False,
        "order completed",
    )
    view = await rig.engine.get_order(late.order.id, payee)
    assert (view.order.paid_count, view.order.paid_minor) == (1, 9000)
    owing = await rig.engine.owed_returns(payee)
    assert [(o.payment.id, o.order_title, o.payer_name) for o in owing] == [
        (owed.id, "Dinner", None)
    ]
    await rig.engine.mark_refunded(owed.id, payee)
    assert await rig.engine.owed_returns(payee) == []


async def test_a_cancelled_order_owes_its_confirmed_transfers_back_by_hand(rig: Rig) -> None:
    payee = await _sepa_payee(rig)
    token = await _eur_order(rig, payee)
    res = await rig.engine.reserve(token, "tg:10", method="sepa", source="tg:10")
    assert res.transfer is not None
    paid = await rig.engine.confirm_transfer(payee, res.transfer.reference)
    await rig.engine.cancel_order(res.order.id, payee)
    owed = await rig.engine.owed_returns(payee)
    assert [(o.payment.id, o.payment.status) for o in owed] == [
        (paid.id, PaymentStatus.REFUND_OWED)
    ]


async def test_a_claim_cut_short_by_the_deadline_is_told_and_stays_to_decide(rig: Rig) -> None:
    payee = await _sepa_payee(rig)
    token = await _eur_order(rig, payee)
    res = await rig.engine.reserve(token, "tg:10", method="sepa", source="tg:10")
    assert res.transfer is not None
    await rig.engine.claim_transfer(token, "tg:10")
    rig.clock.advance(days=8)
    await rig.engine.expire_due()
    assert await _sub(rig, token) == (SubOrderState.CLOSED, 0)
    told = [q.event for q in await rig.engine.due_events() if isinstance(q.event, ClaimCutShort)]
    assert [(e.payer_ref, e.reference, e.amount_minor) for e in told] == [
        ("tg:10", res.transfer.reference, 3000)
    ]
    waiting = await rig.engine.claims_of(payee)
    assert [c.transfer.reference for c in waiting] == [res.transfer.reference]
    owed = await rig.engine.confirm_transfer(payee, res.transfer.reference)
    assert (owed.status, owed.reason) == (PaymentStatus.REFUND_OWED, "order expired")
    assert await rig.engine.claims_of(payee) == []
    assert [o.payment.id for o in await rig.engine.owed_returns(payee)] == [owed.id]


async def test_a_claim_cut_short_that_never_arrived_is_denied_and_leaves_nothing(rig: Rig) -> None:
    payee = await _sepa_payee(rig)
    token = await _eur_order(rig, payee)
    res = await rig.engine.reserve(token, "tg:10", method="sepa", source="tg:10")
    assert res.transfer is not None
    await rig.engine.claim_transfer(token, "tg:10")
    await rig.engine.cancel_order(res.order.id, payee)
    assert len(await rig.engine.claims_of(payee)) == 1
    denied = await rig.engine.deny_transfer(payee, res.transfer.reference)
    assert denied.reference == res.transfer.reference
    assert await rig.engine.claims_of(payee) == []
    assert await rig.engine.owed_returns(payee) == []
    with pytest.raises(NotHeld):
        await rig.engine.deny_transfer(payee, res.transfer.reference)
    assert await _sub(rig, token) == (SubOrderState.CLOSED, 0)


async def test_a_upi_claim_needs_the_twelve_digit_utr(rig: Rig) -> None:
    payee = await rig.payee()
    await rig.engine.add_method(payee, "upi", {"holder": "Ann", "vpa": "ann@okaxis"})
    view = await rig.engine.create_order(payee, request(total="900", payers=3, cur="INR"))
    token = view.order.token
    res = await rig.engine.reserve(token, "tg:10", method="upi", source="tg:10")
    assert res.transfer is not None
    assert res.transfer.payload.startswith("upi://pay?pa=ann@okaxis")
    with pytest.raises(InvalidInput):
        await rig.engine.claim_transfer(token, "tg:10", utr="12345")
    assert await _sub(rig, token) == (SubOrderState.RESERVED, 0)
    claimed = await rig.engine.claim_transfer(token, "tg:10", utr="4012 3456 7890")
    assert claimed.utr == "401234567890"


async def test_a_payer_paying_by_transfer_cannot_switch_to_a_gateway_silently(rig: Rig) -> None:
    payee = await _sepa_payee(rig)
    token = await _eur_order(rig, payee)
    await rig.engine.reserve(token, "tg:10", method="sepa", source="tg:10")
    with pytest.raises(NotAllowed, match="by sepa transfer"):
        await rig.engine.reserve(token, "tg:10", source="tg:10")
    await rig.engine.claim_transfer(token, "tg:10")
    with pytest.raises(NotAllowed, match="by sepa transfer"):
        await rig.engine.reserve(token, "tg:10", source="tg:10")
    card = await rig.engine.reserve(token, "tg:11", source="tg:11")
    assert card.sub.checkout_ref is not None
    with pytest.raises(NotAllowed, match="checkout"):
        await rig.engine.reserve(token, "tg:11", method="sepa", source="tg:11")


async def test_a_telegram_payer_lets_their_transfer_part_go_and_nobody_else_can(rig: Rig) -> None:
    payee = await _sepa_payee(rig)
    token = await _eur_order(rig, payee)
    res = await rig.engine.reserve(token, "tg:10", method="sepa", source="tg:10")
    assert res.transfer is not None
    ref = res.transfer.reference
    with pytest.raises(HoldNotYours):
        await rig.engine.let_transfer_go(ref, "tg:11")
    with pytest.raises(NotFound):
        await rig.engine.let_transfer_go(ref, "api:10")
    await rig.engine.let_transfer_go(ref, "tg:10")
    assert await _sub(rig, token) == (SubOrderState.AVAILABLE, 0)
    with pytest.raises(NotHeld):
        await rig.engine.let_transfer_go(ref, "tg:10")


async def test_claimed_parts_count_against_their_clients_limit(rig: Rig) -> None:
    payee = await _sepa_payee(rig)
    view = await rig.engine.create_order(payee, request(total="120", payers=12, cur="EUR"))
    token = view.order.token
    for i in range(10):  # the default: 10 parts held at once per client (core.domain.holds)
        res = await rig.engine.reserve(token, f"api:p{i}", method="sepa", source="ip:203.0.113.9")
        await rig.engine.claim_transfer(token, f"api:p{i}", hold_secret=res.hold_secret)
        rig.clock.advance(minutes=2)  # under the rate of new holds
    with pytest.raises(TooManyHolds):
        await rig.engine.reserve(token, "api:p10", method="sepa", source="ip:203.0.113.9")


async def test_a_payer_is_told_when_every_free_part_is_claimed(rig: Rig) -> None:
    payee = await _sepa_payee(rig)
    token = await _eur_order(rig, payee, n=2)
    for who in ("tg:10", "tg:11"):
        await rig.engine.reserve(token, who, method="sepa", source=who)
        await rig.engine.claim_transfer(token, who)
    with pytest.raises(OrderFull, match="claimed by a payer who says they paid"):
        await rig.engine.reserve(token, "tg:12", source="tg:12")


async def test_money_for_a_part_freed_but_not_taken_still_counts(rig: Rig) -> None:
    payee = await _sepa_payee(rig)
    token = await _eur_order(rig, payee, n=2)
    res = await rig.engine.reserve(token, "tg:10", method="sepa", source="tg:10")
    assert res.transfer is not None
    rig.clock.advance(minutes=16)
    await rig.engine.release_lapsed_holds()
    assert await _sub(rig, token) == (SubOrderState.AVAILABLE, 0)
    paid = await rig.engine.confirm_transfer(payee, res.transfer.reference)
    assert (paid.status, paid.counted) == (PaymentStatus.CAPTURED, True)
    view = await rig.engine.get_order(res.order.id, payee)
    assert [(s.state, s.payer_ref) for s in view.subs] == [
        (SubOrderState.PAID, "tg:10"),
        (SubOrderState.AVAILABLE, None),
    ]


async def test_money_for_a_freed_part_is_owed_back_if_its_payer_holds_another(rig: Rig) -> None:
    payee = await _sepa_payee(rig)
    token = await _eur_order(rig, payee, n=2)
    first = await rig.engine.reserve(token, "tg:10", method="sepa", source="tg:10")
    assert first.transfer is not None
    rig.clock.advance(minutes=16)
    await rig.engine.release_lapsed_holds()
    other = await rig.engine.reserve(token, "tg:11", source="tg:11")  # takes part 0
    second = await rig.engine.reserve(token, "tg:10", method="sepa", source="tg:10")  # part 1
    assert second.transfer is not None
    await rig.engine.release_own_hold(token, other.hold_secret)  # part 0 is free again
    assert await _sub(rig, token) == (SubOrderState.AVAILABLE, 0)
    owed = await rig.engine.confirm_transfer(payee, first.transfer.reference)
    assert (owed.status, owed.reason) == (
        PaymentStatus.REFUND_OWED,
        "its part was let go before the money came",
    )


async def test_a_printed_code_can_be_paid_straight_to_its_payee(rig: Rig) -> None:
    payee = await _sepa_payee(rig)
    [code] = await rig.engine.print_codes(1)
    raw = RawSpec(kind="tip", currency=currency("EUR"), title="Tips for the band")
    await rig.engine.bind_code(
        code.short, payee, build_spec(raw, 10_000_000, rig.clock.now()), "Ann's bar"
    )
    view = await rig.engine.pay_code(code.token, Money(500, currency("EUR")))
    assert [m.kind for m in await rig.engine.payee_methods_for(view.order)] == ["sepa"]
    res = await rig.engine.reserve(view.order.token, "tg:10", method="sepa", source="tg:10")
    assert res.transfer is not None
    await rig.engine.confirm_transfer(payee, res.transfer.reference)
    paid = [q.event for q in await rig.engine.due_events() if isinstance(q.event, CodePaid)]
    assert [(e.amount_minor, e.raised_minor) for e in paid] == [(500, 500)]
