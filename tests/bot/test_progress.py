"""The live progress message: counts, sums, bar, names, state lines, buttons, size limits."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from telegram import InlineKeyboardMarkup

from bot.views.i18n import translator
from bot.views.progress import (
    MESSAGE_MAX,
    cancel_data,
    progress_bar,
    progress_key,
    remind_data,
    render_progress,
    shown_progress,
)
from core.domain.errors import InvariantViolation
from core.domain.model import Mode, OrderId, OrderState, SubOrder, SubOrderState
from tests.support.bot_views import NOW, ORDER_ID, PAY_URL, make_view

EN = translator("en")
ZH = translator("zh-hans")


def buttons(markup: InlineKeyboardMarkup) -> list[list[tuple[str, str | None, str | None]]]:
    return [
        [
            (b.text, b.url, b.callback_data if isinstance(b.callback_data, str) else None)
            for b in row
        ]
        for row in markup.inline_keyboard
    ]


def test_open_order_shows_counts_sum_bar_names_and_time_left() -> None:
    view = make_view(paid=2, held=1)
    names = {"tg:0": "Ann", "tg:1": "Bob"}
    text, _markup = render_progress(view, names, NOW, EN, PAY_URL)
    assert text == (
        "🧾 <b>Dinner</b>\n"
        "Paid 2/6  ▓▓▓░░░░░░░\n"
        "Collected <b>80.00 USD</b> of 240.00 USD\n"
        "✅ Ann, Bob\n"
        "⏳ 1 paying now\n"
        "Closes in 1 h 20 min (23:59 UTC)"
    )


def test_open_order_has_pay_remind_and_cancel_buttons() -> None:
    _text, markup = render_progress(make_view(paid=1), None, NOW, EN, PAY_URL)
    assert buttons(markup) == [
        [("Pay", PAY_URL, None)],
        [
            ("Remind", None, "rem:ord_0123456789abcdef"),
            ("Cancel order", None, "can:ord_0123456789abcdef"),
        ],
    ]


def test_chinese_progress_for_zh_hans() -> None:
    text, markup = render_progress(make_view(paid=3, held=2), None, NOW, ZH, PAY_URL)
    assert text == (
        "🧾 <b>Dinner</b>\n"
        "已付 3/6  ▓▓▓▓▓░░░░░\n"
        "已收 <b>120.00 USD</b>，共 240.00 USD\n"
        "✅ 付款人 1, 付款人 2, 付款人 3\n"
        "⏳ 2 人正在付款\n"
        "截止：1 小时 20 分钟后（UTC 23:59）"
    )
    assert [b.text for row in markup.inline_keyboard for b in row] == ["付款", "提醒", "取消收款"]


@pytest.mark.parametrize(
    ("paid", "n", "bar"),
    [
        (0, 6, "░░░░░░░░░░"),
        (1, 6, "▓░░░░░░░░░"),
        (3, 6, "▓▓▓▓▓░░░░░"),
        (5, 6, "▓▓▓▓▓▓▓▓░░"),
        (6, 6, "▓▓▓▓▓▓▓▓▓▓"),
        (1, 20, "░░░░░░░░░░"),
        (999, 1000, "▓▓▓▓▓▓▓▓▓░"),
        (1000, 1000, "▓▓▓▓▓▓▓▓▓▓"),
        (1, 1, "▓▓▓▓▓▓▓▓▓▓"),
    ],
)
def test_bar_is_proportional_and_full_only_when_all_paid(paid: int, n: int, bar: str) -> None:
    assert progress_bar(paid, n) == bar


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 11, 99, 1000])
def test_bar_never_fills_before_the_last_payment(n: int) -> None:
    bars = [progress_bar(paid, n) for paid in range(n + 1)]
    assert all(len(b) == 10 for b in bars)
    assert all("░" in b for b in bars[:-1])
    assert bars[-1] == "▓" * 10
    counts = [b.count("▓") for b in bars]
    assert counts == sorted(counts)


def test_bar_refuses_nonsense() -> None:
    with pytest.raises(InvariantViolation):
        progress_bar(7, 6)


def test_payer_names_are_escaped() -> None:
    names = {"tg:0": "<b>Eve</b> & co"}
    text, _ = render_progress(make_view(paid=1), names, NOW, EN, PAY_URL)
    assert "✅ &lt;b&gt;Eve&lt;/b&gt; &amp; co" in text
    assert "<b>Eve</b>" not in text


def test_title_is_escaped() -> None:
    text, _ = render_progress(make_view(title="<i>Dinner</i>"), None, NOW, EN, PAY_URL)
    assert text.startswith("🧾 <b>&lt;i&gt;Dinner&lt;/i&gt;</b>\n")


def test_display_callable_wins_over_names_and_paid_order_is_by_time() -> None:
    view = make_view(paid=3)
    text, _ = render_progress(
        view, {"tg:0": "ignored"}, NOW, EN, PAY_URL, display=lambda s: f"P{s.idx}"
    )
    assert "✅ P0, P1, P2" in text


def test_unknown_payers_fall_back_to_their_number() -> None:
    text, _ = render_progress(make_view(paid=2), {"tg:0": "Ann"}, NOW, EN, PAY_URL)
    assert "✅ Ann, Payer 2" in text


def test_named_payers_still_unpaid_are_listed() -> None:
    view = make_view(n=3, total_minor=9000, paid=1, held=1, title="Lunch")
    handles = {0: "@ann", 1: "@bob", 2: "me"}

    def assignee(sub: SubOrder) -> str | None:
        return handles[sub.idx]

    text, _ = render_progress(view, {"tg:0": "Ann"}, NOW, EN, PAY_URL, assignee=assignee)
    assert "✅ Ann\n⏳ 1 paying now\nWaiting for: @bob, me\n" in text


def test_no_waiting_line_without_named_payers() -> None:
    text, _ = render_progress(make_view(paid=1), None, NOW, EN, PAY_URL)
    assert "Waiting for" not in text


def test_all_mode_says_nothing_is_charged_until_everyone_pays() -> None:
    text, _ = render_progress(make_view(mode=Mode.ALL), None, NOW, EN, PAY_URL)
    assert "All or nothing: charged only when all 6 have paid." in text


def test_completed_order_has_no_buttons() -> None:
    view = make_view(paid=6, state=OrderState.COMPLETED)
    text, markup = render_progress(view, None, NOW, EN, PAY_URL)
    assert "Paid 6/6  ▓▓▓▓▓▓▓▓▓▓" in text
    assert "Collected <b>240.00 USD</b> of 240.00 USD" in text
    assert text.endswith("✅ Complete: everyone has paid.")
    assert markup.inline_keyboard == ()
    assert "Closes" not in text


def test_expired_all_mode_order_says_what_was_refunded() -> None:
    view = make_view(paid=4, state=OrderState.EXPIRED, mode=Mode.ALL, refunded_minor=16_000)
    text, markup = render_progress(view, None, NOW, EN, PAY_URL)
    assert text.endswith(
        "⌛ Expired.\n"
        "All or nothing: no payment is kept; every one is refunded.\n"
        "Refunded to payers: 160.00 USD"
    )
    assert markup.inline_keyboard == ()


def test_cancelled_order_in_chinese_has_no_buttons() -> None:
    view = make_view(paid=1, held=2, state=OrderState.CANCELLED, refunded_minor=4000)
    text, markup = render_progress(view, None, NOW, ZH, PAY_URL)
    assert text.endswith("✖️ 已取消。\n已退还付款人：40.00 USD")
    assert "正在付款" not in text
    assert markup.inline_keyboard == ()


def test_a_thousand_payers_fit_one_message() -> None:
    view = make_view(n=1000, total_minor=10_000_000, paid=998, held=2)
    long_names = {f"tg:{i}": f"<Payer & {i}> " + "x" * 60 for i in range(1000)}
    text, _ = render_progress(view, long_names, NOW, EN, PAY_URL)
    assert len(text) < MESSAGE_MAX
    assert "Paid 998/1000  ▓▓▓▓▓▓▓▓▓░" in text
    assert "Collected <b>99,800.00 USD</b> of 100,000.00 USD" in text
    assert "&lt;Payer &amp; 0&gt; xxx" in text
    assert " more\n⏳ 2 paying now" in text


def test_a_thousand_named_payers_fit_one_message() -> None:
    view = make_view(n=1000, total_minor=10_000_000, paid=0, title="&" * 100)

    def assignee(sub: SubOrder) -> str:
        return f"@user_with_a_long_name_{sub.idx:04d}"

    text, _ = render_progress(view, None, NOW, ZH, PAY_URL, assignee=assignee)
    assert len(text) < MESSAGE_MAX
    assert "等待付款：@user_with_a_long_name_0000, " in text
    assert "等另外 9" in text


def test_callback_data_fits_telegram_limit() -> None:
    assert remind_data(ORDER_ID) == "rem:ord_0123456789abcdef"
    assert cancel_data(ORDER_ID) == "can:ord_0123456789abcdef"
    _text, markup = render_progress(make_view(), None, NOW, EN, PAY_URL)
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data is not None:
                assert isinstance(button.callback_data, str)
                assert len(button.callback_data.encode()) <= 64


def test_callback_data_too_long_is_a_bug() -> None:
    with pytest.raises(InvariantViolation):
        remind_data(OrderId("ord_" + "f" * 61))


def test_progress_key_is_stable_and_changes_with_the_message() -> None:
    view = make_view(paid=2)
    first = progress_key(*render_progress(view, None, NOW, EN, PAY_URL))
    again = progress_key(*render_progress(view, None, NOW, EN, PAY_URL))
    assert first == again
    paid = replace(view, order=replace(view.order, paid_count=3, paid_minor=12_000))
    assert progress_key(*render_progress(paid, None, NOW, EN, PAY_URL)) != first
    later = NOW + timedelta(minutes=5)
    assert progress_key(*render_progress(view, None, later, EN, PAY_URL)) != first


def test_progress_key_sees_a_keyboard_change() -> None:
    text, markup = render_progress(make_view(), None, NOW, EN, PAY_URL)
    assert progress_key(text, markup) != progress_key(text, InlineKeyboardMarkup(()))


def test_refunded_subs_are_not_listed_as_paid() -> None:
    view = make_view(paid=2, state=OrderState.CANCELLED)
    subs = tuple(replace(s, state=SubOrderState.REFUNDED) if s.idx == 0 else s for s in view.subs)
    text, _ = render_progress(replace(view, subs=subs), None, NOW, EN, PAY_URL)
    assert "✅ Payer 2\n" in text


def _label(sub: SubOrder) -> str | None:
    return None


def test_the_shown_key_ignores_the_countdown_and_follows_every_change_of_state() -> None:
    view = make_view(paid=1, expires_in=timedelta(days=2))
    now_text, _, now_key = shown_progress(view, NOW, EN, PAY_URL, assignee=_label)
    later = NOW + timedelta(days=1, minutes=1)
    later_text, _, later_key = shown_progress(view, later, EN, PAY_URL, assignee=_label)
    assert now_text != later_text  # "Closes in 2 d" then "Closes in 23 h 59 min"
    assert now_key == later_key  # a restart a day later edits nothing
    _, _, paid_key = shown_progress(make_view(paid=2), NOW, EN, PAY_URL, assignee=_label)
    _, _, closed_key = shown_progress(
        make_view(paid=1, state=OrderState.EXPIRED), NOW, EN, PAY_URL, assignee=_label
    )
    assert len({now_key, paid_key, closed_key}) == 3
