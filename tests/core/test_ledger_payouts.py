"""Card money into the payee's own account in the ledger: its entries say `account` "payee" and
the platform's fee, every older leaf and proof stays as it was, and the CSV files and figures
carry both, appended after every older column."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from core.domain.ledger.audit import audit, entry_of
from core.domain.ledger.entries import (
    PAYEE_ACCOUNT,
    EntryKind,
    LedgerEntry,
    PayerSecret,
    entry_fields,
    paid_draft,
    payment_draft,
    refund_fee,
)
from core.domain.ledger.exports import (
    EXPORT_COLUMNS,
    STATS_COLUMNS,
    export_csv,
    export_row,
    stats_csv,
)
from core.domain.ledger.figures import Totals, account_of, summarise
from core.domain.ledger.merkle import leaf_hash
from core.domain.ledger.scope import LedgerGroup
from core.domain.model import (
    Mode,
    Order,
    OrderId,
    OrderState,
    PayeeId,
    Payment,
    PaymentId,
    PaymentStatus,
    Settled,
    SplitKind,
    SubOrder,
    SubOrderId,
    SubOrderState,
)
from core.domain.money import currency

AT = datetime(2026, 3, 5, 20, 15, 0, 123456, tzinfo=UTC)
PAYER = "ab" * 32
ACCOUNT_ID = "acct_test"

# Leaves as Chipin wrote them before 0015 (and before 0014): byte for byte, and their hashes.
OLD_LEAF = (
    '{"amount":4000,"at":"2026-03-05T20:15:00.123456Z","currency":"EUR","i":3,'
    '"kind":"part.paid","note":"","order":"ord_1","payee":"pay_1","payer":"' + PAYER + '",'
    '"payment":"pmt_1","sub":"sub_1","v":1}'
)
OLD_HASH = "95d65d1dbccdd384095c2968df2a627097bdc8f22f6f022ff7d5e5fc3273c038"
METHOD_LEAF = (
    '{"amount":4000,"at":"2026-03-05T20:15:00.123456Z","currency":"EUR","i":3,'
    '"kind":"part.paid","method":"stripe","note":"","order":"ord_1","payee":"pay_1",'
    '"payer":"' + PAYER + '","payment":"pmt_1","settled":"gateway","sub":"sub_1","v":1}'
)
METHOD_HASH = "6c0e8e9f0c5d8b84dd97e0a92149f2077072f48218389e04cc1199f623413c2a"


def entry(kind: EntryKind = EntryKind.PART_PAID, **kw: object) -> LedgerEntry:
    base = LedgerEntry(3, kind, AT, "ord_1", "pay_1", "sub_1", "pmt_1", 4000, "EUR", PAYER, "")
    return replace(base, **kw)  # type: ignore[arg-type]


def order() -> Order:
    return Order(
        OrderId("ord_1"), "tok", PayeeId("pay_1"), "Dinner", currency("EUR"), 12000, 3,
        SplitKind.EQUAL, Mode.KEEP, OrderState.OPEN, None, 900, AT, AT + timedelta(hours=2),
    )  # fmt: skip


def sub() -> SubOrder:
    return SubOrder(
        SubOrderId("sub_1"), OrderId("ord_1"), 0, 4000, SubOrderState.PAID, payer_ref="tg:7"
    )


def payment(status: PaymentStatus = PaymentStatus.CAPTURED, **kw: object) -> Payment:
    base = Payment(
        PaymentId("pmt_1"), "stripe", "pi_1", "cs_1", OrderId("ord_1"), SubOrderId("sub_1"),
        4000, "EUR", status, True, "paid", AT, AT,
    )  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


def into_payee(status: PaymentStatus = PaymentStatus.CAPTURED, counted: bool = True) -> Payment:
    return payment(status, counted=counted, payout_account=ACCOUNT_ID, fee_minor=60)


# ---- leaves ----


def test_an_entry_from_before_0015_hashes_exactly_as_before() -> None:
    old = entry()
    assert old.leaf().decode() == OLD_LEAF
    assert leaf_hash(old.leaf()).hex() == OLD_HASH
    with_method = entry(method="stripe", settled="gateway")
    assert with_method.leaf().decode() == METHOD_LEAF
    assert leaf_hash(with_method.leaf()).hex() == METHOD_HASH
    assert "account" not in entry_fields(with_method)
    assert "fee" not in entry_fields(with_method)


def test_an_old_entry_read_back_from_its_row_keeps_its_leaf() -> None:
    """Rows written before 0015 have NULL account and fee_minor: nothing joins their leaf."""
    row = {
        "kind": "part.paid", "at": AT, "order_id": "ord_1", "payee_id": "pay_1",
        "sub_order_id": "sub_1", "payment_id": "pmt_1", "amount_minor": 4000,
        "currency": "EUR", "payer_commitment": PAYER, "note": "", "method": "stripe",
        "settled": "gateway", "account": None, "fee_minor": None,
    }  # fmt: skip
    assert leaf_hash(entry_of(row, 3).leaf()).hex() == METHOD_HASH
    without_columns = {k: v for k, v in row.items() if k not in ("account", "fee_minor")}
    assert leaf_hash(entry_of(without_columns, 3).leaf()).hex() == METHOD_HASH


def test_a_card_payment_into_the_payee_account_commits_to_account_and_fee() -> None:
    e = entry(method="stripe", settled="gateway", account=PAYEE_ACCOUNT, fee_minor=60)
    leaf = e.leaf().decode()
    assert '"account":"payee"' in leaf
    assert '"fee":60' in leaf
    assert leaf_hash(e.leaf()).hex() != METHOD_HASH
    assert leaf_hash(replace(e, fee_minor=61).leaf()) != leaf_hash(e.leaf())
    assert e.to_payee_account
    assert not e.direct


def test_an_entry_with_account_and_fee_reads_back_from_its_row() -> None:
    e = entry(method="stripe", settled="gateway", account=PAYEE_ACCOUNT, fee_minor=60, index=0)
    row = {
        "kind": e.kind.value, "at": e.at, "order_id": e.order_id, "payee_id": e.payee_id,
        "sub_order_id": e.sub_order_id, "payment_id": e.payment_id,
        "amount_minor": e.amount_minor, "currency": e.currency,
        "payer_commitment": e.payer_commitment, "note": e.note, "method": e.method,
        "settled": e.settled, "account": "payee", "fee_minor": 60,
    }  # fmt: skip
    assert entry_of(row, 0) == e
    stored = {**row, "idx": 0, "leaf_hash": leaf_hash(e.leaf()).hex()}
    assert audit([stored], 1, [], lambda _h: None).ok
    changed = audit([{**stored, "fee_minor": 0}], 1, [], lambda _h: None)
    assert [p.where for p in changed.problems] == ["entry 0"]
    assert "altered" in changed.problems[0].what


# ---- drafts ----


def test_a_part_paid_into_the_payee_account_says_payee_and_its_fee_never_the_account_id() -> None:
    draft = paid_draft(order(), sub(), into_payee(), AT)
    assert (draft.account, draft.fee_minor, draft.method, draft.settled) == (
        "payee",
        60,
        "stripe",
        "gateway",
    )
    leaf = draft.entry(0, PAYER).leaf().decode()
    assert ACCOUNT_ID not in leaf
    assert '"account":"payee"' in leaf


def test_a_part_paid_into_the_payee_account_without_a_fee_says_fee_zero() -> None:
    draft = paid_draft(order(), sub(), payment(payout_account=ACCOUNT_ID), AT)
    assert (draft.account, draft.fee_minor) == ("payee", 0)
    assert '"fee":0' in draft.entry(0, PAYER).leaf().decode()


def test_operator_payments_say_neither() -> None:
    draft = paid_draft(order(), sub(), payment(), AT)
    assert (draft.account, draft.fee_minor) == (None, None)
    refund = payment_draft(
        EntryKind.PAYMENT_REFUNDED, payment(PaymentStatus.REFUNDED), order(), sub(), AT
    )
    assert (refund.account, refund.fee_minor) == (None, None)
    direct = paid_draft(order(), sub(), payment(gateway="sepa", settled_by=Settled.PAYEE), AT)
    assert (direct.account, direct.fee_minor) == (None, None)


@pytest.mark.parametrize(
    ("kind", "status", "counted"),
    [
        (EntryKind.PAYMENT_CAPTURED, PaymentStatus.CAPTURED, True),
        (EntryKind.PAYMENT_REFUNDED, PaymentStatus.REFUNDED, True),
        (EntryKind.PAYMENT_VOIDED, PaymentStatus.VOIDED, True),
        (EntryKind.PAYMENT_LATE, PaymentStatus.REFUND_PENDING, False),
        (EntryKind.LATE_REFUNDED, PaymentStatus.REFUNDED, False),
        (EntryKind.LATE_VOIDED, PaymentStatus.VOIDED, False),
    ],
)
def test_every_later_entry_of_such_a_payment_says_payee_and_its_fee(
    kind: EntryKind, status: PaymentStatus, counted: bool
) -> None:
    """A refund comes back out of the payee's account with the whole fee (it is whole)."""
    p = into_payee(status=status, counted=counted)
    draft = payment_draft(kind, p, order(), sub(), AT, late_payer=("tg:8", "Dan"))
    assert (draft.account, draft.fee_minor, draft.amount_minor) == ("payee", 60, 4000)


@pytest.mark.parametrize(
    ("fee", "refund", "amount", "back"),
    [
        (60, 4000, 4000, 60),  # a whole refund: the whole fee
        (60, 2000, 4000, 30),
        (1, 1, 2, 1),  # 0.5 rounds up
        (3, 1, 2, 2),  # 1.5 rounds up
        (5, 1, 4, 1),  # 1.25 rounds down
        (7, 3, 8, 3),  # 2.625 rounds up
        (1, 1, 3, 0),  # 0.33 rounds down
        (0, 2000, 4000, 0),
        (60, 0, 4000, 0),
        (60, 5000, 4000, 60),  # never more than the fee
    ],
)
def test_a_refunded_fee_is_in_proportion_rounded_half_up(
    fee: int, refund: int, amount: int, back: int
) -> None:
    assert refund_fee(fee, refund, amount) == back


# ---- the CSV export ----

OLD_EXPORT_COLUMNS = (
    "index", "time", "kind", "order_id", "order_title", "amount", "amount_minor", "currency",
    "signed_amount", "signed_minor", "payer_name", "receipt_id", "method", "settled",
)  # fmt: skip
OLD_STATS_COLUMNS = (
    "section", "key", "title", "currency", "collected", "collected_minor", "refunded",
    "refunded_minor", "net", "net_minor", "direct", "direct_minor", "through_operator",
    "through_operator_minor", "parts_paid",
)  # fmt: skip


def test_the_new_columns_come_after_every_older_one() -> None:
    assert EXPORT_COLUMNS[: len(OLD_EXPORT_COLUMNS)] == OLD_EXPORT_COLUMNS
    assert EXPORT_COLUMNS[len(OLD_EXPORT_COLUMNS) :] == ("account", "fee", "fee_minor")
    assert STATS_COLUMNS[: len(OLD_STATS_COLUMNS)] == OLD_STATS_COLUMNS
    assert STATS_COLUMNS[len(OLD_STATS_COLUMNS) :] == (
        "to_payee_account",
        "to_payee_account_minor",
        "platform_fees",
        "platform_fees_minor",
    )


def test_the_export_says_whose_account_and_the_fee_apart() -> None:
    secret = PayerSecret("tg:7", "00" * 16, "Bob")
    card = entry(method="stripe", settled="gateway", account=PAYEE_ACCOUNT, fee_minor=60)
    refund = replace(card, index=4, kind=EntryKind.PAYMENT_REFUNDED)
    operator = entry(method="stripe", settled="gateway", index=5)
    transfer = entry(method="sepa", settled="payee", index=6)
    closing = entry(EntryKind.ORDER_COMPLETED, index=7, payment_id=None, sub_order_id=None)
    rows = [export_row(e, secret, "Dinner") for e in (card, refund, operator, transfer, closing)]
    lines = list(csv.reader(io.StringIO(export_csv(rows), newline="")))
    assert lines[0] == list(EXPORT_COLUMNS)
    assert [line[-3:] for line in lines[1:]] == [
        ["payee", "0.60", "60"],
        ["payee", "0.60", "60"],
        ["operator", "", ""],
        ["payee", "", ""],
        ["", "", ""],
    ]
    assert [line[-5:-3] for line in lines[1:3]] == [["stripe", "gateway"]] * 2
    assert lines[1][9] == "4000"  # the part's signed amount: the fee stays apart
    assert [account_of(e) for e in (card, operator, transfer, closing)] == [
        "payee",
        "operator",
        "payee",
        None,
    ]


# ---- figures ----


def group(kind: EntryKind, amount: int, *, to_payee: bool = False, fee: int = 0) -> LedgerGroup:
    return LedgerGroup("ord_1", "EUR", kind, "2026-03", amount, 1, AT, False, to_payee, fee)


def test_figures_sum_card_money_into_the_payee_account_and_fees_net_of_refunds() -> None:
    groups = [
        group(EntryKind.PART_PAID, 8000, to_payee=True, fee=120),
        group(EntryKind.PART_PAID, 4000),
        group(EntryKind.PAYMENT_REFUNDED, 4000, to_payee=True, fee=60),
        group(EntryKind.PAYMENT_CAPTURED, 4000, to_payee=True, fee=60),  # not money in again
        group(EntryKind.PAYMENT_LATE, 4000, to_payee=True, fee=60),  # never counted
    ]
    stats = summarise(groups, {}, payers=3)
    [total] = stats.totals
    assert (total.collected_minor, total.refunded_minor, total.net_minor) == (12000, 4000, 8000)
    assert (total.direct_minor, total.operator_minor) == (0, 8000)
    assert (total.to_payee_account_minor, total.platform_fees_minor) == (4000, 60)
    [month] = stats.by_month
    [per_order] = stats.by_order
    assert month.totals == per_order.totals == total


def test_the_stats_csv_appends_card_money_and_fees() -> None:
    stats = summarise([group(EntryKind.PART_PAID, 4000, to_payee=True, fee=60)], {}, payers=1)
    rows = list(csv.DictReader(io.StringIO(stats_csv(stats), newline="")))
    assert [(r["section"], r["to_payee_account"], r["platform_fees_minor"]) for r in rows] == [
        ("total", "40.00", "60"),
        ("month", "40.00", "60"),
        ("order", "40.00", "60"),
    ]
    assert rows[2]["parts_paid"] == "1"
    assert Totals("EUR").to_payee_account_minor == Totals("EUR").platform_fees_minor == 0
