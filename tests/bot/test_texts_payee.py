"""What the payee and the group read: card words, completion, totals, reminders, /status."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from bot.views.i18n import Translator, translator
from bot.views.texts import payee as texts_payee
from bot.views.texts import payer as texts_payer
from core.domain.model import OrderState
from tests.support.bot_views import HOSTILE, HOSTILE_ESCAPED, NOW, assert_telegram_html, make_view

EN = translator("en")
ZH = translator("zh-hans")


def test_card_texts_for_an_equal_split() -> None:
    card = texts_payee.card_texts(EN, make_view(), NOW)
    assert card == texts_payee.CardTexts(
        title="Dinner",
        amount_text="40.00",
        currency="USD",
        deadline_text="Closes 23:59 UTC",
        subtitle="Per payer · scan or tap Pay · 6 payers",
    )


def test_card_texts_show_a_range_when_parts_differ() -> None:
    card = texts_payee.card_texts(ZH, make_view(n=3, total_minor=10_000), NOW)
    assert card.amount_text == "33.33 至 33.34"
    assert card.subtitle == "每人金额 · 扫码或点击付款 · 共 3 人"
    assert card.deadline_text == "截止：UTC 23:59"


def test_completed_announcement_in_the_group() -> None:
    order = make_view(paid=6, state=OrderState.COMPLETED).order
    assert texts_payee.completed_announcement(EN, order) == (
        "🎉 <b>Dinner</b>: all 6 payers paid, 240.00 USD collected. Thank you!"
    )
    assert texts_payee.completed_announcement(ZH, order) == (
        "🎉 <b>Dinner</b>：6 人全部付清，共收 240.00 USD。谢谢！"
    )


def test_payee_totals_list_amounts_and_payers() -> None:
    order = make_view(paid=6, state=OrderState.COMPLETED).order
    payers = [HOSTILE] + [f"Payer {i}" for i in range(40)]
    text = texts_payee.payee_totals(EN, order, payers)
    lines = text.split("\n")
    assert lines[0] == "📊 <b>Dinner</b> is completed."
    assert lines[1] == "Collected: <b>240.00 USD</b> of 240.00 USD"
    assert lines[2] == "Paid: 6/6"
    assert lines[3].startswith(f"From: {HOSTILE_ESCAPED}, Payer 0,")
    assert lines[3].endswith("Payer 28 and 11 more")
    assert_telegram_html(text)


def test_reminder_names_unpaid_named_payers() -> None:
    text = texts_payee.reminder(
        EN,
        title="Lunch",
        unpaid=["@ann", "@bob_<x>"],
        open_slots=2,
        deadline=NOW + timedelta(hours=2),
        now=NOW,
    )
    assert text == (
        "⏰ Reminder: <b>Lunch</b> closes in 2 h (00:39 UTC).\nStill to pay: @ann, @bob_&lt;x&gt;"
    )


def test_reminder_counts_open_slots_without_names() -> None:
    deadline = NOW + timedelta(minutes=90)
    one = texts_payee.reminder(EN, title="T", unpaid=[], open_slots=1, deadline=deadline, now=NOW)
    assert one.endswith("\n1 part is still open.")
    zh = texts_payee.reminder(ZH, title="T", unpaid=[], open_slots=3, deadline=deadline, now=NOW)
    assert zh == "⏰ 提醒：<b>T</b> 将于 1 小时 30 分钟后（UTC 00:09）截止。\n还有 3 份未付。"


def test_reminder_truncates_a_long_name_list() -> None:
    names = [f"@user{i:03d}" for i in range(50)]
    text = texts_payee.reminder(
        EN, title="T", unpaid=names, open_slots=50, deadline=NOW + timedelta(hours=1), now=NOW
    )
    assert text.endswith("@user029 and 20 more")


def test_status_lines() -> None:
    order = make_view(paid=2).order
    assert texts_payee.status_header(EN, 1) == "<b>1 open order</b> in this chat:"
    assert texts_payee.status_header(EN, 3) == "<b>3 open orders</b> in this chat:"
    assert texts_payee.status_line(EN, order, NOW) == (
        "• <b>Dinner</b>: 2/6 paid, 80.00 USD of 240.00 USD, closes in 1 h 20 min (23:59 UTC)"
    )
    assert texts_payee.status_empty(ZH).startswith("本群没有进行中的收款。")


def test_order_password_request_stays_private_and_escapes_the_title() -> None:
    text = texts_payee.password_request(EN, "<Trip>")
    assert "&lt;Trip&gt;" in text
    assert "never shown in the group" in text


StrFn = Callable[[Translator], str]


@pytest.mark.parametrize("t", [EN, ZH])
@pytest.mark.parametrize(
    "make",
    [
        lambda t: texts_payer.order_closed(t, HOSTILE, "expired"),
        lambda t: texts_payer.already_paid(t, HOSTILE),
        lambda t: texts_payer.order_full(t, HOSTILE),
        lambda t: texts_payer.order_password_prompt(t, HOSTILE),
        lambda t: texts_payee.password_saved(t, HOSTILE),
        lambda t: texts_payee.completed_announcement(t, make_view(title=HOSTILE).order),
        lambda t: texts_payee.status_line(t, make_view(title=HOSTILE).order, NOW),
    ],
)
def test_user_text_is_escaped_everywhere(t: Translator, make: StrFn) -> None:
    text = make(t)
    assert HOSTILE_ESCAPED in text
    assert "<script>" not in text
    assert_telegram_html(text)


def test_long_titles_are_cut_with_an_ellipsis() -> None:
    text = texts_payer.already_paid(EN, "x" * 300)
    assert "x" * 99 + "…</b>" in text
