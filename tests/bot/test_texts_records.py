"""What a user reads about their records: history lines, figures, receipts, and the chart."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.views import charts as stats_chart
from bot.views.i18n import Translator, translator
from bot.views.texts import payer as texts_payer
from bot.views.texts import records as texts_records
from core.domain.ledger.entries import EntryKind, LedgerEntry
from core.domain.ledger.figures import MonthTotals, OrderTotals, Stats, Totals
from core.domain.money import Money, currency
from core.usecases.records import Record, Role
from tests.support.bot_views import HOSTILE, HOSTILE_ESCAPED, NOW, assert_telegram_html

EN = translator("en")
ZH = translator("zh-hans")


def entry(
    kind: EntryKind = EntryKind.PART_PAID, amount_minor: int = 4000, code: str = "USD"
) -> LedgerEntry:
    return LedgerEntry(
        7, kind, NOW, "ord_1", "pay_1", "sub_1", "pmt_1", amount_minor, code, "c0", ""
    )


def record(roles: tuple[Role, ...], **kw: object) -> Record:
    title = kw.pop("title", "Dinner")
    name = kw.pop("name", "Bob")
    return Record(entry(**kw), roles, name, title, "rcpt-7-abc")  # type: ignore[arg-type]


def test_a_payer_line_and_a_payee_line() -> None:
    assert texts_records.record_line(EN, record((Role.PAYER,))) == (
        "↗ 2025-03-05 22:39 UTC · Dinner · 40.00 USD · paid"
    )
    assert texts_records.record_line(EN, record((Role.PAYEE,))) == (
        "↙ 2025-03-05 22:39 UTC · Dinner · 40.00 USD · paid · Bob"
    )
    both = record((Role.PAYER, Role.PAYEE), kind=EntryKind.PAYMENT_REFUNDED)
    assert texts_records.record_line(ZH, both) == (
        "↙ UTC 2025-03-05 22:39 · Dinner · 40.00 USD · 已退款 · Bob"
    )
    closing = record((Role.PAYEE,), kind=EntryKind.ORDER_COMPLETED, name=None)
    assert texts_records.record_line(EN, closing).endswith("· order completed")


def test_an_unknown_currency_shows_minor_units_and_no_title_shows_the_order_id() -> None:
    line = texts_records.record_line(EN, record((Role.PAYER,), code="XTS", title=None))
    assert line == "↗ 2025-03-05 22:39 UTC · ord_1 · 4000 XTS · paid"


@pytest.mark.parametrize("t", [EN, ZH])
def test_every_kind_has_its_own_label(t: Translator) -> None:
    labels = [texts_records.kind_label(t, kind) for kind in EntryKind]
    assert len(set(labels)) == len(EntryKind)
    assert all(labels)


@pytest.mark.parametrize("t", [EN, ZH])
def test_user_text_in_records_is_escaped(t: Translator) -> None:
    line = texts_records.record_line(t, record((Role.PAYEE,), title=HOSTILE, name=HOSTILE))
    assert line.count(HOSTILE_ESCAPED) == 2
    assert_telegram_html(line)
    figures = stats(orders=(OrderTotals("ord_1", HOSTILE, NOW, Totals("USD", 100), 1),))
    summary = texts_records.stats_summary(t, figures, "2025-03")
    assert HOSTILE_ESCAPED in summary
    assert_telegram_html(summary)


def stats(
    totals: tuple[Totals, ...] = (Totals("USD", 14000, 2000),),
    months: tuple[MonthTotals, ...] = (),
    orders: tuple[OrderTotals, ...] = (),
    avg_s: int | None = 900,
) -> Stats:
    return Stats(None, None, totals, months, orders, 4, 2, 1, 1, avg_s)


def test_the_stats_summary_in_english_and_chinese() -> None:
    months = tuple(MonthTotals(f"2025-{m:02d}", Totals("USD", m * 100)) for m in range(1, 13))
    months += (MonthTotals("2026-01", Totals("USD", 500)), MonthTotals("2026-01", Totals("EUR", 7)))
    orders = tuple(
        OrderTotals(f"ord_{i}", f"Order {i}", NOW, Totals("USD", 1000), 2) for i in range(12)
    )
    text = texts_records.stats_summary(EN, stats(months=months, orders=orders))
    lines = text.splitlines()
    assert lines[:5] == [
        "📊 <b>Your collections</b>",
        "USD: collected 140.00 USD, refunded 20.00 USD, net <b>120.00 USD</b>",
        "4 payers paid",
        "Orders: 2 completed, 1 expired, 1 cancelled",
        "Average time to complete an order: 15 min",
    ]
    assert "2025-01" not in text  # the newest twelve months only
    assert "2026-01: 5.00 USD, 0.07 EUR" in lines
    assert "• Order 0: net 10.00 USD, 2 parts paid" in lines
    assert "Order 10" not in text
    assert lines[-1] == "…and 2 more orders"
    assert_telegram_html(text)
    chinese = texts_records.stats_summary(ZH, stats(totals=(), avg_s=None))
    assert chinese.splitlines()[:3] == [
        "📊 <b>你的收款</b>",
        "这段时间没有收款。",
        "4 位付款人已付款",
    ]
    assert "平均" not in chinese


def test_the_receipt_names_its_ledger_entry() -> None:
    text = texts_payer.receipt(
        EN,
        title="Dinner",
        amount=Money(4000, currency("USD")),
        paid_at=NOW,
        receipt_id="rcpt-7-abc",
        leaf_index=7,
    )
    assert text.splitlines()[-3:] == [
        "Receipt: <code>rcpt-7-abc</code>",
        "Ledger entry: #7",
        "Press Proof file for a file anyone can check against Chipin's signed log.",
    ]
    assert texts_records.proof_caption(ZH, "receipt-rcpt-7-abc.json") == (
        "离线核验：<code>chipin receipt verify receipt-rcpt-7-abc.json</code>"
    )


# ---- the chart ----


def test_the_chart_is_a_png_of_the_expected_size_with_negative_months() -> None:
    png = stats_chart.make_chart([("2026-01", 12000), ("2026-02", -500), ("2026-03", 0)], "USD")
    image = Image.open(io.BytesIO(png))
    assert (image.format, image.size) == ("PNG", (stats_chart.WIDTH, stats_chart.HEIGHT))
    image.verify()


def test_the_chart_fills_missing_months_and_keeps_the_newest_two_years() -> None:
    months = (
        MonthTotals("2023-11", Totals("USD", 100)),
        MonthTotals("2026-02", Totals("USD", 300, 50)),
        MonthTotals("2026-02", Totals("EUR", 900_000)),
    )
    bars = stats_chart.monthly_net(stats(months=months), "USD")
    assert len(bars) == stats_chart.MAX_MONTHS
    assert bars[-1] == ("2026-02", 250)
    assert bars[-3:-1] == [("2025-12", 0), ("2026-01", 0)]
    assert stats_chart.monthly_net(stats(months=months), "JPY") == []


async def test_the_chart_is_of_the_currency_collected_most_and_none_without_money() -> None:
    figures = stats(
        totals=(Totals("EUR", 900), Totals("USD", 14000)),
        months=(MonthTotals("2026-02", Totals("USD", 14000)),),
    )
    assert stats_chart.chart_currency(figures) == "USD"
    drawn = await stats_chart.stats_chart(figures)
    assert drawn is not None
    png, code = drawn
    assert code == "USD"
    assert Image.open(io.BytesIO(png)).size == (stats_chart.WIDTH, stats_chart.HEIGHT)
    assert await stats_chart.stats_chart(stats(totals=())) is None
