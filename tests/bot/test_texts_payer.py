"""What the payer reads in the private chat: order card, keypad, hold, receipt."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.views.i18n import translator
from bot.views.texts import payer as texts_payer
from core.domain.model import Mode
from core.domain.money import Money, currency
from tests.support.bot_views import HOSTILE, HOSTILE_ESCAPED, NOW

EN = translator("en")
ZH = translator("zh-hans")
USD = currency("USD")


def test_order_card_shows_payee_title_part_slots_and_deadline() -> None:
    text = texts_payer.order_card(
        EN,
        payee=HOSTILE,
        title="Dinner <at> Luigi's",
        due=Money(4000, USD),
        slots_left=4,
        n=6,
        deadline=NOW + timedelta(hours=1, minutes=20),
        now=NOW,
    )
    assert text == (
        "🧾 <b>Dinner &lt;at&gt; Luigi's</b>\n"
        f"Collected by {HOSTILE_ESCAPED}\n"
        "Your part: <b>40.00 USD</b>\n"
        "4 of 6 parts still open\n"
        "Closes in 1 h 20 min (23:59 UTC)"
    )


def test_order_card_in_chinese_with_password_and_all_mode() -> None:
    text = texts_payer.order_card(
        ZH,
        payee="Ann",
        title="晚餐",
        due=Money(1000, currency("JPY")),
        slots_left=1,
        n=3,
        deadline=NOW + timedelta(minutes=30),
        now=NOW,
        has_password=True,
        mode=Mode.ALL,
    )
    assert "收款人：Ann" in text
    assert "你应付：<b>1,000 JPY</b>" in text
    assert "共 3 份，还剩 1 份" in text
    assert "截止：30 分钟后（UTC 23:09）" in text
    assert "全员模式：3 人全部付款后才会扣你的款。" in text
    assert text.endswith("🔑 这笔收款设有密码。")


def test_order_card_counts_one_open_part_in_the_singular() -> None:
    text = texts_payer.order_card(
        EN, payee="Ann", title="T", due=Money(1, USD), slots_left=1, n=2, deadline=NOW, now=NOW
    )
    assert "1 of 2 part still open" in text
    assert text.endswith("Closes now")


@pytest.mark.parametrize("entered", [0, 1, 5, 6])
def test_keypad_texts_show_dots_never_digits(entered: int) -> None:
    for make in (
        texts_payer.pin_set,
        texts_payer.pin_repeat,
        texts_payer.pin_enter,
        texts_payer.pin_change_old,
        texts_payer.pin_change_new,
    ):
        text = make(EN, entered)
        dots = text.rsplit("\n", 1)[1]
        assert dots.count("●") == entered
        assert dots.count("○") == 6 - entered


def test_password_prompts_say_what_to_do() -> None:
    assert texts_payer.pin_set(EN).startswith("🔐 Set your 6-digit payment password.")
    assert texts_payer.pin_repeat(ZH).startswith("🔐 请再输入一次相同的密码。")
    assert texts_payer.pin_mismatch(EN).startswith("❌ The passwords did not match.")
    assert texts_payer.pin_enter(EN).startswith("🔐 Enter your payment password.")
    assert texts_payer.pin_changed(ZH) == "✅ 支付密码已修改。"


def test_wrong_password_counts_tries_left() -> None:
    assert texts_payer.pin_wrong(EN, 1).startswith(
        "❌ Wrong payment password. 1 try left before payments lock."
    )
    assert texts_payer.pin_wrong(EN, 4).startswith("❌ Wrong payment password. 4 tries left")
    assert texts_payer.pin_wrong(ZH, 4).startswith("❌ 支付密码错误。再错 4 次将锁定付款。")


def test_lockout_says_for_how_long() -> None:
    until = NOW + timedelta(minutes=15)
    assert texts_payer.pin_locked(EN, until, NOW) == (
        "🔒 Too many wrong passwords. Payments are locked for 15 min; "
        "try again in 15 min (22:54 UTC)."
    )
    assert "付款已锁定 30 分钟" in texts_payer.pin_locked(ZH, NOW + timedelta(minutes=30), NOW)


def test_reserved_says_pay_within_the_hold() -> None:
    text = texts_payer.reserved(
        EN, title="Dinner", due=Money(4000, USD), hold_until=NOW + timedelta(minutes=15), now=NOW
    )
    assert text.startswith("⏳ A part of <b>Dinner</b> is held for you.\n")
    assert "Pay <b>40.00 USD</b> within 15 min, before 2025-03-05 22:54 UTC" in text
    assert texts_payer.checkout_label(ZH, Money(4000, USD)) == "支付 40.00 USD"


def test_receipt_has_amount_order_time_and_id() -> None:
    text = texts_payer.receipt(
        EN, title="Dinner & drinks", amount=Money(4000, USD), paid_at=NOW, receipt_id="pay_7f3a"
    )
    assert text == (
        "✅ <b>Payment received</b>\n"
        "Amount: <b>40.00 USD</b>\n"
        "Order: Dinner &amp; drinks\n"
        "Time: 2025-03-05 22:39 UTC\n"
        "Receipt: <code>pay_7f3a</code>"
    )


@pytest.mark.parametrize(
    ("state", "english"),
    [
        ("completed", "<b>Dinner</b> is complete: everyone has paid. Nothing was charged."),
        ("expired", "<b>Dinner</b> has expired. Nothing was charged."),
        ("cancelled", "<b>Dinner</b> was cancelled. Nothing was charged."),
        ("lapsed", "Your hold on <b>Dinner</b> ran out. Open the link again to pay."),
        ("weird", "<b>Dinner</b> is closed. Nothing was charged."),
    ],
)
def test_closed_order_says_why(state: str, english: str) -> None:
    assert texts_payer.order_closed(EN, "Dinner", state) == english


def test_refusals_for_paid_full_and_not_named() -> None:
    assert texts_payer.already_paid(EN, "Dinner").startswith(
        "✅ You have already paid your part of <b>Dinner</b>."
    )
    assert "nothing was reserved" in texts_payer.order_full(EN, "Dinner")
    assert texts_payer.order_not_found(ZH) == "这个付款链接无效。请向收款人索取新的链接。"
    text = texts_payer.not_for_you(EN, "Lunch", HOSTILE)
    assert text == (
        f"<b>Lunch</b> is for the payers {HOSTILE_ESCAPED} named, and you are not one of them."
    )
    assert (
        texts_payer.not_for_you(ZH, "Lunch", "Ann")
        == "<b>Lunch</b> 仅限 Ann 点名的付款人，你不在其中。"
    )
