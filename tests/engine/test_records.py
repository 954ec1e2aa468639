"""Records for people from the ledger: own entries only, filters, figures, and the CSV export."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from core.domain.errors import InvalidInput
from core.domain.ledger.entries import EntryKind
from core.domain.ledger.exports import EXPORT_COLUMNS, STATS_COLUMNS, export_csv, stats_csv
from core.domain.ledger.figures import month_range
from core.domain.model import PayeeId
from core.usecases.deps import Outcome
from core.usecases.records import RecordQuery, Role, Viewer
from tests.support.figures import net_by_currency
from tests.support.harness import Rig, dump, request

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


async def order(rig: Rig, payee: PayeeId, **kw: object) -> tuple[str, str]:
    view = await rig.engine.create_order(payee, request(**kw))  # type: ignore[arg-type]
    return view.order.id, view.order.token


async def pay(rig: Rig, token: str, payer: str) -> str:
    """`payer` reserves a part and pays it; returns the checkout."""
    res = await rig.engine.reserve(token, payer, payer_name=payer.title(), source=payer)
    assert res.sub.checkout_ref is not None
    assert await rig.engine.apply_event(rig.gateway.pay(res.sub.checkout_ref)) == Outcome.APPLIED
    return res.sub.checkout_ref


@dataclass
class Script:
    ann: PayeeId
    bob: PayeeId
    orders: dict[str, str]


async def scripted(rig: Rig) -> Script:
    """Ann collects: completed, cancelled with refunds, expired, late payment, another currency.

    Bob (another payee) has an order of his own that Ann's figures must never include.
    """
    rig.clock.at = T0
    ann, bob = await rig.payee("Ann"), await rig.payee("Bob")
    ids: dict[str, str] = {}
    ids["dinner"], token = await order(rig, ann, total="100", payers=3, title="Dinner")
    rig.clock.advance(minutes=10)
    for payer in ("ann", "bob", "cid"):
        await pay(rig, token, payer)  # completed 10 minutes after it was created
    ids["taxi"], token = await order(rig, ann, total="30", payers=3, title="Taxi")
    rig.clock.advance(minutes=1)
    await pay(rig, token, "ann")
    await pay(rig, token, "bob")
    rig.clock.advance(minutes=1)
    await rig.engine.cancel_order(ids["taxi"], ann)
    await rig.engine.tick()  # both parts refunded
    ids["picnic"], token = await order(rig, ann, total="20", payers=2, title="Picnic")
    rig.clock.advance(minutes=1)
    await pay(rig, token, "ann")
    rig.clock.advance(days=2)
    await rig.engine.tick()  # expired with one part paid (mode keep: the payee keeps it)
    ids["bobs"], token = await order(rig, bob, total="50", payers=2, title="Bob's")
    await pay(rig, token, "ann")

    rig.clock.at = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)
    ids["cab"], token = await order(rig, ann, total="10", payers=1, title="Cab")
    late = await rig.engine.reserve(token, "ann", payer_name="Ann", source="ann")
    assert late.sub.checkout_ref is not None
    rig.clock.advance(minutes=20)
    await rig.engine.tick()  # ann's hold lapses
    await pay(rig, token, "bob")  # completed 20 minutes after it was created
    outcome = await rig.engine.apply_event(rig.gateway.pay(late.sub.checkout_ref))
    assert outcome == Outcome.REFUNDING
    await rig.engine.tick()
    ids["euro"], token = await order(rig, ann, total="50", payers=2, cur="EUR", title="=Euro")
    await pay(rig, token, "dan")
    return Script(ann, bob, ids)


# ---- own records only ----


async def test_a_payer_sees_only_the_entries_that_name_them(rig: Rig) -> None:
    s = await scripted(rig)
    page = await rig.engine.records(Viewer(payer_ref="cid"), RecordQuery())
    assert [(r.entry.kind, r.order_title) for r in page.items] == [(EntryKind.PART_PAID, "Dinner")]
    (only,) = page.items
    assert only.roles == (Role.PAYER,)
    assert only.payer_name == "Cid"
    assert only.receipt_id is not None
    assert only.receipt_id.startswith(f"rcpt-{only.entry.index}-")
    dan = await rig.engine.records(Viewer(payer_ref="dan"), RecordQuery())
    assert [r.order_title for r in dan.items] == ["=Euro"]
    assert all(r.payer_name == "Dan" for r in dan.items)
    assert s.orders["euro"] == dan.items[0].entry.order_id


async def test_a_payers_refunds_show_with_their_payments_and_never_anyone_elses(rig: Rig) -> None:
    await scripted(rig)
    page = await rig.engine.records(Viewer(payer_ref="bob"), RecordQuery())
    kinds = [(r.order_title, r.entry.kind.value) for r in page.items]
    assert kinds == [
        ("Cab", "part.paid"),
        ("Taxi", "payment.refunded"),
        ("Taxi", "part.paid"),
        ("Dinner", "part.paid"),
    ]
    assert {r.payer_name for r in page.items} == {"Bob"}
    assert page.total == 4
    assert not page.has_more


async def test_a_payee_sees_their_orders_entries_and_never_another_payees(rig: Rig) -> None:
    s = await scripted(rig)
    ann = await rig.engine.records(Viewer(payee_id=s.ann), RecordQuery(limit=100))
    bob = await rig.engine.records(Viewer(payee_id=s.bob), RecordQuery(limit=100))
    assert {r.entry.payee_id for r in ann.items} == {s.ann}
    assert {r.entry.order_id for r in bob.items} == {s.orders["bobs"]}
    assert all(r.roles == (Role.PAYEE,) for r in ann.items + bob.items)
    assert s.orders["bobs"] not in {r.entry.order_id for r in ann.items}
    assert ann.total == len(ann.items) == 16
    # the payee may read the names of the people who paid them
    assert [(r.entry.kind.value, r.payer_name) for r in bob.items] == [
        ("order.expired", None),
        ("part.paid", "Ann"),
    ]


async def test_nobody_sees_nothing(rig: Rig) -> None:
    await scripted(rig)
    page = await rig.engine.records(Viewer(), RecordQuery())
    assert (page.items, page.total) == ((), 0)
    stranger = await rig.engine.records(Viewer(payer_ref="eve"), RecordQuery())
    assert (stranger.items, stranger.total) == ((), 0)


async def test_a_telegram_user_sees_both_roles_and_their_own_payment_to_themselves(
    rig: Rig,
) -> None:
    rig.clock.at = T0
    me = await rig.engine.payee_named("tg:1")
    other = await rig.engine.payee_named("tg:2")
    mine, my_token = await order(rig, me, total="20", payers=2, title="Mine")
    theirs, their_token = await order(rig, other, total="20", payers=2, title="Theirs")
    rig.clock.advance(minutes=1)
    await pay(rig, my_token, "tg:1")
    rig.clock.advance(minutes=1)
    await pay(rig, their_token, "tg:1")
    rig.clock.advance(minutes=1)
    await pay(rig, my_token, "tg:2")

    user = await rig.engine.viewer(payer_ref="tg:1")
    assert user == Viewer(payer_ref="tg:1", payee_id=me)
    page = await rig.engine.records(user, RecordQuery())
    assert [(r.order_title, r.roles) for r in page.items] == [
        ("Mine", (Role.PAYEE,)),  # the completion
        ("Mine", (Role.PAYEE,)),  # tg:2 paid me
        ("Theirs", (Role.PAYER,)),
        ("Mine", (Role.PAYER, Role.PAYEE)),
    ]
    assert await rig.engine.viewer(payee_id=me) == user  # the API key of payee 'tg:1'
    newcomer = await rig.engine.viewer(payer_ref="tg:3")
    assert newcomer == Viewer(payer_ref="tg:3", payee_id=None)  # nothing was created
    assert (mine, theirs) != ("", "")


# ---- filters and pages ----


async def test_times_are_a_half_open_range(rig: Rig) -> None:
    s = await scripted(rig)
    user = Viewer(payee_id=s.ann)
    completed_at = T0 + timedelta(minutes=10)  # dinner's three parts and its completion
    at_start = await rig.engine.records(user, RecordQuery(since=completed_at, limit=100))
    before = await rig.engine.records(user, RecordQuery(until=completed_at, limit=100))
    assert before.total == 0
    assert at_start.total == 16
    exactly = RecordQuery(since=completed_at, until=completed_at + timedelta(microseconds=1))
    dinner = await rig.engine.records(user, exactly)
    assert [r.entry.kind.value for r in dinner.items] == ["order.completed"] + ["part.paid"] * 3
    since, until = month_range("2026-02")
    february = await rig.engine.records(user, RecordQuery(since=since, until=until, limit=100))
    assert {r.order_title for r in february.items} == {"Cab", "=Euro"}
    assert all(r.entry.at.month == 2 for r in february.items)


async def test_filter_by_order_and_kind(rig: Rig) -> None:
    s = await scripted(rig)
    user = Viewer(payee_id=s.ann)
    taxi = await rig.engine.records(user, RecordQuery(order_id=s.orders["taxi"]))
    assert sorted(r.entry.kind.value for r in taxi.items) == sorted(
        ["part.paid", "part.paid", "order.cancelled", "payment.refunded", "payment.refunded"]
    )
    late = RecordQuery(kinds=("payment.late", "late.refunded"))
    found = await rig.engine.records(user, late)
    assert [r.entry.kind.value for r in found.items] == ["late.refunded", "payment.late"]
    assert all(r.payer_name is None for r in found.items)  # a late payment names nobody
    theirs = await rig.engine.records(user, RecordQuery(order_id=s.orders["bobs"]))
    assert theirs.total == 0  # another payee's order, even by id


async def test_pages_cover_every_record_once_newest_first(rig: Rig) -> None:
    s = await scripted(rig)
    user = Viewer(payee_id=s.ann)
    everything = await rig.engine.records(user, RecordQuery(limit=100))
    seen = []
    offset = 0
    while True:
        page = await rig.engine.records(user, RecordQuery(limit=3, offset=offset))
        seen += [r.entry.index for r in page.items]
        if not page.has_more:
            break
        offset += 3
    assert seen == [r.entry.index for r in everything.items]
    times = [r.entry.at for r in everything.items]
    assert times == sorted(times, reverse=True)
    past_the_end = await rig.engine.records(user, RecordQuery(offset=500))
    assert (past_the_end.items, past_the_end.total) == ((), 16)
    last = await rig.engine.records(user, RecordQuery(limit=1, offset=15))
    assert [r.entry.index for r in last.items] == seen[-1:]
    assert not last.has_more


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (RecordQuery(limit=0), "limit"),
        (RecordQuery(limit=101), "limit"),
        (RecordQuery(offset=-1), "offset"),
        (RecordQuery(offset=10**9), "offset"),
        (RecordQuery(since=datetime(2026, 1, 1)), "since"),  # noqa: DTZ001 - naive on purpose
        (RecordQuery(until=datetime(2026, 1, 1)), "until"),  # noqa: DTZ001
        (RecordQuery(since=T0, until=T0), "until"),
        (RecordQuery(since=T0, until=T0 - timedelta(days=1)), "until"),
        (RecordQuery(kinds=("part.paid", "paid")), "kind"),
        (RecordQuery(order_id=""), "order_id"),
        (RecordQuery(order_id="o" * 65), "order_id"),
    ],
)
async def test_bad_filters_are_refused_and_change_nothing(
    rig: Rig, query: RecordQuery, field: str
) -> None:
    s = await scripted(rig)
    before = await dump(rig.store)
    with pytest.raises(InvalidInput) as caught:
        await rig.engine.records(Viewer(payee_id=s.ann), query)
    assert caught.value.field == field
    assert await dump(rig.store) == before


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "26-01", "2026/01", "２０２６-01", "", "x"])
def test_a_month_is_written_yyyy_mm(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        month_range(text)
    assert caught.value.field == "month"


def test_month_ranges_end_where_the_next_month_starts() -> None:
    assert month_range("2026-12") == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert month_range(" 2026-02 ")[1] == datetime(2026, 3, 1, tzinfo=UTC)


# ---- a payee's figures ----


async def test_stats_of_a_scripted_month_are_exact(rig: Rig) -> None:
    s = await scripted(rig)
    stats = await rig.engine.stats(s.ann)
    totals = {t.currency: (t.collected_minor, t.refunded_minor, t.net_minor) for t in stats.totals}
    assert totals == {"EUR": (2500, 0, 2500), "USD": (14000, 2000, 12000)}
    months = [
        (m.month, m.totals.currency, m.totals.collected_minor, m.totals.net_minor)
        for m in stats.by_month
    ]
    assert months == [
        ("2026-01", "USD", 13000, 11000),
        ("2026-02", "EUR", 2500, 2500),
        ("2026-02", "USD", 1000, 1000),
    ]
    by_order = [
        (o.title, o.totals.net_minor, o.totals.refunded_minor, o.parts_paid) for o in stats.by_order
    ]
    assert by_order == [
        ("=Euro", 2500, 0, 1),
        ("Cab", 1000, 0, 1),  # the late payment never counted
        ("Picnic", 1000, 0, 1),
        ("Taxi", 0, 2000, 2),
        ("Dinner", 10000, 0, 3),
    ]
    assert stats.payers == 4  # ann, bob, cid, dan
    assert (stats.completed, stats.expired, stats.cancelled) == (2, 1, 1)
    assert stats.avg_complete_s == (10 * 60 + 20 * 60) // 2


async def test_stats_of_a_period_and_of_another_payee(rig: Rig) -> None:
    s = await scripted(rig)
    since, until = month_range("2026-02")
    february = await rig.engine.stats(s.ann, since, until)
    assert net_by_currency(february) == {"EUR": 2500, "USD": 1000}
    assert (february.completed, february.expired, february.cancelled) == (1, 0, 0)
    assert february.avg_complete_s == 20 * 60
    assert february.payers == 2  # bob (cab), dan (euro)
    bob = await rig.engine.stats(s.bob)
    assert net_by_currency(bob) == {"USD": 2500}
    assert [o.title for o in bob.by_order] == ["Bob's"]
    assert (bob.payers, bob.completed, bob.avg_complete_s) == (1, 0, None)
    nobody = await rig.engine.stats(PayeeId("pay_nobody"))
    assert (nobody.totals, nobody.by_month, nobody.by_order, nobody.payers) == ((), (), (), 0)
    with pytest.raises(InvalidInput):
        await rig.engine.stats(s.ann, until, since)


# ---- the CSV export ----


async def test_the_export_opens_with_csv_and_sums_to_the_stats_net(rig: Rig) -> None:
    s = await scripted(rig)
    text = export_csv(await rig.engine.export_rows(s.ann))
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert tuple(rows[0].keys()) == EXPORT_COLUMNS
    assert len(rows) == 16
    net: dict[str, int] = defaultdict(int)
    for row in rows:
        net[row["currency"]] += int(row["signed_minor"])
    stats = await rig.engine.stats(s.ann)
    assert dict(net) == net_by_currency(stats)
    assert [int(r["index"]) for r in rows] == sorted(int(r["index"]) for r in rows)
    paid = [r for r in rows if r["kind"] == "part.paid"]
    assert all(r["receipt_id"].startswith("rcpt-") for r in paid)
    assert {r["payer_name"] for r in paid} == {"Ann", "Bob", "Cid", "Dan"}
    refund = next(r for r in rows if r["kind"] == "payment.refunded")
    assert (refund["amount"], refund["signed_amount"], refund["signed_minor"]) == (
        "10.00",
        "-10.00",
        "-1000",
    )
    euro = next(r for r in rows if r["currency"] == "EUR")
    assert euro["order_title"] == "'=Euro"  # a spreadsheet would run it as a formula
    assert all(r["signed_minor"] == "0" for r in rows if r["kind"].startswith("order."))


async def test_the_export_of_a_period_sums_to_that_periods_stats(rig: Rig) -> None:
    s = await scripted(rig)
    since, until = month_range("2026-01")
    rows = await rig.engine.export_rows(s.ann, since, until)
    net: dict[str, int] = defaultdict(int)
    for row in rows:
        net[row.currency] += row.signed_minor
    assert dict(net) == net_by_currency(await rig.engine.stats(s.ann, since, until))
    assert {r.order_title for r in rows} == {"Dinner", "Taxi", "Picnic"}
    only_taxi = await rig.engine.export_rows(s.ann, order_id=s.orders["taxi"])
    assert {r.order_title for r in only_taxi} == {"Taxi"}
    assert await rig.engine.export_rows(s.bob, order_id=s.orders["taxi"]) == []


async def test_the_stats_csv_has_totals_months_and_orders(rig: Rig) -> None:
    s = await scripted(rig)
    stats = await rig.engine.stats(s.ann)
    rows = list(csv.DictReader(io.StringIO(stats_csv(stats), newline="")))
    assert tuple(rows[0].keys()) == STATS_COLUMNS
    sections = [r["section"] for r in rows]
    assert sections == ["total"] * 2 + ["month"] * 3 + ["order"] * 5
    months = {(r["key"], r["currency"]): r["net"] for r in rows if r["section"] == "month"}
    assert months[("2026-01", "USD")] == "110.00"
    taxi = next(r for r in rows if r["key"] == s.orders["taxi"])
    assert (taxi["title"], taxi["refunded_minor"], taxi["net_minor"]) == ("Taxi", "2000", "0")
