"""Card money into the payee's own account (a destination charge) through the records: its
ledger entries, refunds and late payments say `account` "payee" and the platform's fee, /stats
sums both net of refunds, and the payer's records name the payee whose account it went into.

The payments are built from the gateway's event with payout_account and fee_minor set, as a
Stripe destination charge reports them; connecting the account is not needed here. Over the
in-memory store, SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from core.domain.ledger.entries import EntryKind, LedgerEntry
from core.domain.ledger.merkle import leaf_hash
from core.domain.model import PayeeId
from core.usecases.deps import Outcome
from core.usecases.records import RecordQuery, Role, Viewer
from tests.support.harness import Rig, request

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
ACCOUNT_ID = "acct_test"
FEE = 60  # of each 40.00 EUR part


async def new_order(rig: Rig, payee: PayeeId, **kw: object) -> tuple[str, str]:
    view = await rig.engine.create_order(payee, request(cur="EUR", **kw))  # type: ignore[arg-type]
    await rig.engine.attach_post(view.order.id, -100, None, 1, payee_name="Ann")
    return view.order.id, view.order.token


async def pay(rig: Rig, token: str, payer: str, *, into_payee: bool) -> Outcome:
    """`payer` reserves a part and pays it: into Ann's own account (a destination charge with
    the platform's fee) or into the operator's."""
    res = await rig.engine.reserve(token, payer, payer_name=payer.title(), source=payer)
    assert res.sub.checkout_ref is not None
    return await paid(rig, res.sub.checkout_ref, into_payee=into_payee)


async def paid(rig: Rig, checkout_ref: str, *, into_payee: bool) -> Outcome:
    event = rig.gateway.pay(checkout_ref)
    if into_payee:
        event = replace(event, payout_account=ACCOUNT_ID, fee_minor=FEE)
    return await rig.engine.apply_event(event)


async def entries(rig: Rig) -> list[LedgerEntry]:
    async with rig.store.transaction() as tx:
        size = await tx.ledger.ledger_size()
        found = await tx.ledger.ledger_entries(0, size)
        recorded = await tx.ledger.ledger_leaf_hashes(0, size)
    assert recorded == [leaf_hash(e.leaf()) for e in found]  # as appended, so as stored
    assert all(ACCOUNT_ID.encode() not in e.leaf() for e in found)  # the ledger is public
    return found


def routes(found: list[LedgerEntry]) -> list[tuple[str, str | None, int | None, int]]:
    return [(e.kind.value, e.account, e.fee_minor, e.amount_minor) for e in found]


async def test_a_part_paid_into_the_payee_account_and_its_refund_say_payee_and_the_fee(
    rig: Rig,
) -> None:
    rig.clock.at = T0
    ann = await rig.payee("Ann")
    order_id, token = await new_order(rig, ann, total="120", payers=3)
    assert await pay(rig, token, "tg:7", into_payee=True) == Outcome.APPLIED
    assert await pay(rig, token, "tg:8", into_payee=False) == Outcome.APPLIED

    before = await rig.engine.stats(ann)
    [total] = before.totals
    assert (total.net_minor, total.to_payee_account_minor, total.platform_fees_minor) == (
        8000,
        4000,
        FEE,
    )
    assert (total.direct_minor, total.operator_minor) == (0, 8000)

    await rig.engine.cancel_order(order_id, ann)
    await rig.engine.tick()  # both parts refunded
    found = await entries(rig)
    assert sorted(routes(found), key=str) == sorted(
        [
            ("part.paid", "payee", FEE, 4000),
            ("part.paid", None, None, 4000),
            ("order.cancelled", None, None, 0),
            ("payment.refunded", "payee", FEE, 4000),  # the fee refunded with it, all of it
            ("payment.refunded", None, None, 4000),
        ],
        key=str,
    )
    after = await rig.engine.stats(ann)
    [total] = after.totals
    assert (total.collected_minor, total.refunded_minor, total.net_minor) == (8000, 8000, 0)
    assert (total.to_payee_account_minor, total.platform_fees_minor) == (0, 0)
    [per_order] = after.by_order
    assert (per_order.totals.to_payee_account_minor, per_order.totals.platform_fees_minor) == (
        0,
        0,
    )


async def test_a_late_payment_into_the_payee_account_and_its_refund_say_payee(
    rig: Rig,
) -> None:
    rig.clock.at = T0
    ann = await rig.payee("Ann")
    _, token = await new_order(rig, ann, total="40", payers=1)
    late = await rig.engine.reserve(token, "tg:9", source="tg:9")
    assert late.sub.checkout_ref is not None
    rig.clock.advance(minutes=20)  # the hold lapses; tg:8 takes the part and pays
    await rig.engine.tick()
    assert await pay(rig, token, "tg:8", into_payee=True) == Outcome.APPLIED
    assert await paid(rig, late.sub.checkout_ref, into_payee=True) == Outcome.REFUNDING
    await rig.engine.tick()
    assert routes(await entries(rig)) == [
        ("part.paid", "payee", FEE, 4000),
        ("order.completed", None, None, 4000),
        ("payment.late", "payee", FEE, 4000),
        ("late.refunded", "payee", FEE, 4000),
    ]
    [total] = (await rig.engine.stats(ann)).totals
    assert (total.net_minor, total.to_payee_account_minor, total.platform_fees_minor) == (
        4000,
        4000,
        FEE,
    )


async def test_records_and_the_export_say_whose_account_and_the_fee(rig: Rig) -> None:
    rig.clock.at = T0
    ann = await rig.payee("Ann")
    _, token = await new_order(rig, ann, total="120", payers=3)
    await pay(rig, token, "tg:7", into_payee=True)
    await pay(rig, token, "tg:8", into_payee=False)

    mine = await rig.engine.records(Viewer(payer_ref="tg:7"), RecordQuery())
    [record] = mine.items
    assert record.roles == (Role.PAYER,)
    assert (record.entry.account, record.entry.fee_minor) == ("payee", FEE)
    assert record.payee_name == "Ann"  # as the order's posts show the payee to payers
    theirs = await rig.engine.records(Viewer(payer_ref="tg:8"), RecordQuery())
    assert [(r.entry.account, r.payee_name) for r in theirs.items] == [(None, None)]
    payee = await rig.engine.records(Viewer(payee_id=ann), RecordQuery())
    assert {r.payee_name for r in payee.items} == {None}  # the payee reads "your own account"

    rows = await rig.engine.export_rows(ann)
    assert sorted((r.kind, r.payer_name, r.account, r.fee, r.fee_minor) for r in rows) == [
        (EntryKind.PART_PAID, "Tg:7", "payee", "0.60", FEE),
        (EntryKind.PART_PAID, "Tg:8", "operator", "", None),
    ]
