"""What every user reads: times, help, welcome, refusals of bad input, alerts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.views.i18n import translator
from bot.views.texts import common as texts
from bot.views.texts import payee as texts_payee
from bot.views.timefmt import clock, duration, stamp, time_left
from core.domain.commands import parse_command
from core.domain.errors import InvalidInput
from core.domain.money import currency
from tests.support.bot_views import HOSTILE, HOSTILE_ESCAPED, NOW, assert_telegram_html

EN = translator("en")
ZH = translator("zh-hans")
USD = currency("USD")


def refusal(*args: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse_command("split", list(args), USD, 10_000_000)
    return caught.value


# ---- times ----


@pytest.mark.parametrize(
    ("delta", "english", "chinese"),
    [
        (timedelta(seconds=20), "less than a minute", "不到 1 分钟"),
        (timedelta(minutes=15), "15 min", "15 分钟"),
        (timedelta(minutes=14, seconds=1), "15 min", "15 分钟"),
        (timedelta(hours=1, minutes=20), "1 h 20 min", "1 小时 20 分钟"),
        (timedelta(hours=2), "2 h", "2 小时"),
        (timedelta(days=3, hours=4, minutes=5), "3 d 4 h", "3 天 4 小时"),
        (timedelta(days=1), "1 d", "1 天"),
    ],
)
def test_duration_reads_like_a_person_would_say_it(
    delta: timedelta, english: str, chinese: str
) -> None:
    assert duration(EN, delta) == english
    assert duration(ZH, delta) == chinese


def test_clock_shows_the_date_only_beyond_a_day() -> None:
    assert clock(EN, NOW + timedelta(hours=1, minutes=20), NOW) == "23:59 UTC"
    assert clock(EN, NOW + timedelta(days=2), NOW) == "2025-03-07 22:39 UTC"
    assert stamp(ZH, NOW) == "UTC 2025-03-05 22:39"


def test_time_left_says_now_after_the_deadline() -> None:
    deadline = NOW + timedelta(hours=1, minutes=20)
    assert time_left(EN, deadline, NOW) == "in 1 h 20 min (23:59 UTC)"
    assert time_left(ZH, deadline, NOW) == "1 小时 20 分钟后（UTC 23:59）"
    assert time_left(EN, NOW - timedelta(seconds=1), NOW) == "now"


# ---- general ----


def test_help_lists_every_command_with_an_example() -> None:
    text = texts.help_text(EN)
    for needle in (
        "/split 240 6 Dinner",
        "/split 240 2:1:1",
        "/split 90 @annie @bobby me Lunch",
        "/collect 15 20 Tickets",
        "/status",
        "/history",
        "/pin",
        "/help",
        "expires=2h",
        "mode=all",
        "currency=EUR",
        "<code>password</code>",
    ):
        assert needle in text
    assert_telegram_html(text)


def test_help_in_chinese_keeps_the_commands() -> None:
    text = texts.help_text(ZH)
    assert "<code>/split 240 2:1:1</code>\n按份额分摊" in text
    assert "/pin: 修改支付密码。" in text
    assert "Split" not in text


def test_welcome_greets_by_escaped_name_then_helps() -> None:
    text = texts.welcome(EN, HOSTILE)
    assert text.startswith(f"Hi {HOSTILE_ESCAPED}! I collect money for groups.")
    assert texts.help_text(EN) in text
    assert texts.welcome(ZH, None).startswith("你好！我帮群组收款。")
    assert_telegram_html(text)


def test_bad_amount_reply_is_one_line_and_core_example() -> None:
    text = texts.bad_input(EN, refusal("abc", "3"))
    assert text == (
        "⚠️ Amount: 'abc' is not an amount; write it like 240 or 240.50.\n"
        "Example: <code>/split 240 6 Dinner at Luigi's</code>"
    )


def test_bad_input_in_chinese_translates_the_reason_and_keeps_the_example() -> None:
    text = texts.bad_input(ZH, refusal("10", "0"))
    assert text.startswith("⚠️ 付款人有误：付款人数必须在 1 到 1000 之间\n")
    assert text.endswith("\n示例：<code>/split 240 6 Dinner at Luigi's</code>")


@pytest.mark.parametrize(
    ("args", "label"),
    [
        ((), "Amount"),
        (("-5", "2"), "Amount"),
        (("0.001", "2"), "Amount"),
        (("1", "500"), "Payers"),
        (("10", "2", "expires=99y"), "Expiry"),
        (("10", "2", "currency=XXX"), "Currency"),
        (("10", "2", "colour=red"), "Input"),
    ],
)
def test_every_refusal_names_what_is_wrong(args: tuple[str, ...], label: str) -> None:
    text = texts.bad_input(EN, refusal(*args))
    first, second = text.split("\n")
    assert first.startswith(f"⚠️ {label}: ")
    assert second.startswith("Example: <code>/split ")
    assert_telegram_html(text)


def test_bad_input_escapes_what_the_user_typed() -> None:
    text = texts.bad_input(EN, refusal("<b>", "2"))
    assert "'&lt;b&gt;' is not an amount" in text
    assert_telegram_html(text)


def test_refusal_without_example_is_a_single_line() -> None:
    error = InvalidInput("pin", "the payment password is {digits} digits", digits=6)
    assert texts.bad_input(EN, error) == "⚠️ Password: The payment password is 6 digits."
    assert texts.bad_input(ZH, error) == "⚠️ 密码有误：支付密码是 6 位数字"


def test_command_menu_in_both_languages() -> None:
    assert [name for name, _ in texts.command_menu(EN)] == [
        name for name, _ in texts.command_menu(ZH)
    ]
    assert ("split", "Split a total: /split 240 6 Dinner") in texts.command_menu(EN)
    assert ("split", "分摊总额：/split 240 6 晚餐") in texts.command_menu(ZH)


def test_cannot_dm_names_the_user_escaped() -> None:
    text = texts.cannot_dm(EN, HOSTILE)
    assert text.startswith(f"{HOSTILE_ESCAPED}, I can't message you privately yet.")
    assert texts.open_bot_label(ZH) == "打开 Chipin"
    with_link = texts.cannot_dm(ZH, "Ann", "https://t.me/ChipinBot?start=hello")
    assert with_link.startswith("Ann，我还不能私聊你。")
    assert with_link.endswith("\nhttps://t.me/ChipinBot?start=hello")


def test_alerts_are_plain_text_and_short() -> None:
    for t in (EN, ZH):
        for alert in (
            texts.payee_only_alert(t),
            texts_payee.reminder_sent_alert(t),
            texts_payee.reminder_used_alert(t),
            texts_payee.cancelled_alert(t),
        ):
            assert "<" not in alert
            assert len(alert) <= 200
    assert texts.payee_only_alert(EN) == "Only the person collecting can do that."
