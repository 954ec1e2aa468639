"""core.domain.books: each check passes consistent books and names what is wrong in others."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from core.domain.books import book_problems, tally
from core.domain.ledger.entries import EntryKind, LedgerEntry
from core.domain.model import (
    Mode,
    Order,
    OrderId,
    OrderState,
    PayeeId,
    Payment,
    PaymentId,
    PaymentStatus,
    SplitKind,
    SubOrder,
    SubOrderId,
    SubOrderState,
)
from core.domain.money import currency

T0 = datetime(2026, 12, 7, 12, tzinfo=UTC)


def _order(**kw: object) -> Order:
    base = Order(
        OrderId("ord_1"), "tok", PayeeId("pay_1"), "Dinner", currency("EUR"), 9000, 3,
        SplitKind.EQUAL, Mode.KEEP, OrderState.OPEN, None, 900, T0, T0 + timedelta(hours=2),
    )  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


def _sub(i: int, state: SubOrderState, payer: str | None = None) -> SubOrder:
    return SubOrder(SubOrderId(f"sub_{i}"), OrderId("ord_1"), i, 3000, state, payer_ref=payer)


def _payment(i: int, status: PaymentStatus = PaymentStatus.CAPTURED, **kw: object) -> Payment:
    base = Payment(
        PaymentId(f"pmt_{i}"), "sandbox", f"pi_{i}", f"cs_{i}", OrderId("ord_1"),
        SubOrderId(f"sub_{i}"), 3000, "EUR", status, True, "", T0, T0,
    )  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


def _entry(i: int, kind: EntryKind, payment: int | None, amount: int = 3000) -> LedgerEntry:
    pid = f"pmt_{payment}" if payment is not None else None
    return LedgerEntry(i, kind, T0, "ord_1", "pay_1", None, pid, amount, "EUR", None, "")


def _two_paid() -> tuple[Order, list[SubOrder], list[Payment], list[LedgerEntry]]:
    order = _order(paid_count=2, paid_minor=6000)
    subs = [
        _sub(0, SubOrderState.PAID, "tg:1"),
        _sub(1, SubOrderState.PAID, "tg:2"),
        _sub(2, SubOrderState.AVAILABLE),
    ]
    pays = [_payment(0), _payment(1)]
    entries = [_entry(0, EntryKind.PART_PAID, 0), _entry(1, EntryKind.PART_PAID, 1)]
    return order, subs, pays, entries


def test_consistent_books_have_no_problem() -> None:
    order, subs, pays, entries = _two_paid()
    assert book_problems([order], subs, pays, tally(entries)) == []


def test_more_paid_than_its_parts_is_named() -> None:
    order, subs, pays, entries = _two_paid()
    wrong = replace(order, paid_count=3, paid_minor=9000)
    problems = book_problems([wrong], subs, pays, tally(entries))
    assert "order ord_1 (keep, open, n=3): paid_count 3, but 2 parts paid" in problems
    assert any("still open with every part paid" in p for p in problems)


def test_more_than_n_paid_is_named() -> None:
    order, subs, pays, entries = _two_paid()
    wrong = replace(order, n=1)
    assert any("more than N" in p for p in book_problems([wrong], subs, pays, tally(entries)))


def test_a_paid_part_without_its_payment_is_named() -> None:
    order, subs, pays, entries = _two_paid()
    problems = book_problems([order], subs, pays[:1], tally(entries))
    assert any("part sub_1 is paid with live payments []" in p for p in problems)


def test_a_payer_holding_two_parts_is_named() -> None:
    order, subs, pays, entries = _two_paid()
    subs[2] = _sub(2, SubOrderState.RESERVED, "tg:1")
    problems = book_problems([order], subs, pays, tally(entries))
    assert problems == ["order ord_1: payer tg:1 holds 2 parts"]


def test_a_closed_order_with_an_open_part_is_named() -> None:
    order, subs, pays, entries = _two_paid()
    closed = replace(order, state=OrderState.EXPIRED)
    problems = book_problems([closed], subs, pays, tally(entries))
    assert problems == [
        "order ord_1 (keep, expired, n=3): closed, but parts ['sub_2'] are still available or held"
    ]


def test_mode_all_capturing_before_all_are_in_is_named() -> None:
    order, subs, pays, entries = _two_paid()
    problems = book_problems([replace(order, mode=Mode.ALL)], subs, pays, tally(entries))
    assert problems == ["order ord_1 (all, open, n=3): mode all, still open, but captures "
                        "['pmt_0', 'pmt_1']"]  # fmt: skip


def test_a_ledger_missing_money_is_named() -> None:
    order, subs, pays, entries = _two_paid()
    problems = book_problems([order], subs, pays, tally(entries[:1]))
    assert "order ord_1: ledger in-back is 3000; the order says 6000 net with 0 going back" in (
        problems
    )
    assert any("pmt_1" in p and "for its arrival" in p for p in problems)


def test_a_payment_booked_twice_is_named() -> None:
    order, subs, pays, entries = _two_paid()
    twice = [*entries, _entry(2, EntryKind.PART_PAID, 1)]
    problems = book_problems([order], subs, pays, tally(twice))
    assert any("pmt_1" in p and "for its arrival" in p for p in problems)


def test_a_refund_without_its_entry_is_named() -> None:
    order, subs, pays, entries = _two_paid()
    refunded = replace(order, refunded_minor=3000)
    subs[1] = _sub(1, SubOrderState.REFUNDED, "tg:2")
    pays[1] = _payment(1, PaymentStatus.REFUNDED)
    problems = book_problems([refunded], subs, pays, tally(entries))
    assert any("pmt_1" in p and "for its return" in p for p in problems)
    booked = [*entries, _entry(2, EntryKind.PAYMENT_REFUNDED, 1)]
    assert book_problems([refunded], subs, pays, tally(booked)) == []


def test_a_late_payment_refunded_is_consistent() -> None:
    order, subs, pays, entries = _two_paid()
    late = _payment(9, PaymentStatus.REFUNDED, counted=False, sub_order_id=None)
    booked = [*entries, _entry(2, EntryKind.PAYMENT_LATE, 9), _entry(3, EntryKind.LATE_REFUNDED, 9)]
    assert book_problems([order], subs, [*pays, late], tally(booked)) == []
