"""What a user reads about card money paid into the payee's own account: "card → Ann's own
account" in /history and on the receipt, the platform's fee apart from the part, and /stats'
card money and fees. Operator payments read as before."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.views.i18n import Translator, translator
from bot.views.texts import payer as texts_payer
from bot.views.texts import records as texts_records
from core.domain.ledger.entries import EntryKind, LedgerEntry
from core.domain.ledger.figures import Stats, Totals
from core.domain.money import Money, currency
from core.usecases.records import Record, Role
from tests.support.bot_views import HOSTILE, HOSTILE_ESCAPED, NOW, assert_telegram_html

EN = translator("en")
ZH = translator("zh-hans")


def card(kind: EntryKind = EntryKind.PART_PAID, fee: int | None = 60) -> LedgerEntry:
    return LedgerEntry(
        7, kind, NOW, "ord_1", "pay_1", "sub_1", "pmt_1", 4000, "EUR", "c0", "",
        method="stripe", settled="gateway", account="payee", fee_minor=fee,
    )  # fmt: skip


def record(e: LedgerEntry, roles: tuple[Role, ...], payee: str | None = "Ann") -> Record:
    """Bob's record: as payer (the payee's name from the order's posts) or as payee."""
    shown = payee if Role.PAYEE not in roles else None
    return Record(e, roles, "Bob", "Dinner", "rcpt-7-abc", shown)


def test_a_payers_line_names_the_payees_own_account_and_the_fee_apart() -> None:
    line = texts_records.record_line(EN, record(card(), (Role.PAYER,)))
    assert line == (
        "↗ 2025-03-05 22:39 UTC · Dinner · 40.00 EUR · paid · card → Ann's own account"
        " · platform fee 0.60 EUR (Ann receives 39.40 EUR)"
    )
    unknown = texts_records.record_line(EN, record(card(), (Role.PAYER,), payee=None))
    assert "card → the payee's own account · platform fee 0.60 EUR (the payee receives" in unknown


def test_the_payees_line_says_your_own_account_and_what_they_receive() -> None:
    line = texts_records.record_line(EN, record(card(), (Role.PAYEE,)))
    assert line == (
        "↙ 2025-03-05 22:39 UTC · Dinner · 40.00 EUR · paid · card → your own account"
        " · platform fee 0.60 EUR (you receive 39.40 EUR) · Bob"
    )


def test_a_refund_says_the_fee_went_back_and_a_release_says_no_fee() -> None:
    refund = texts_records.record_line(EN, record(card(EntryKind.PAYMENT_REFUNDED), (Role.PAYEE,)))
    assert refund.endswith(
        "· refunded · card → your own account · platform fee 0.60 EUR refunded · Bob"
    )
    release = texts_records.record_line(EN, record(card(EntryKind.PAYMENT_VOIDED), (Role.PAYEE,)))
    assert release.endswith("· released · card → your own account · Bob")
    no_fee = texts_records.record_line(EN, record(card(fee=0), (Role.PAYER,)))
    assert no_fee.endswith("· paid · card → Ann's own account")


def test_an_operator_payment_reads_as_before() -> None:
    operator = replace(card(), account=None, fee_minor=None)
    line = texts_records.record_line(EN, record(operator, (Role.PAYER,)))
    assert line.endswith("· paid · Card (Stripe), through Chipin's payment gateway")
    assert "account" not in line
    assert "fee" not in line
    assert texts_records.receipt_account_line(EN, operator, "Ann") is None


def test_the_receipt_line_names_the_payees_account_and_the_fee() -> None:
    line = texts_records.receipt_account_line(EN, card(), "Ann")
    assert line == (
        "Paid by card → Ann's own account · platform fee 0.60 EUR (Ann receives 39.40 EUR)"
    )
    assert texts_records.receipt_account_line(EN, card(), "") == (
        "Paid by card → the payee's own account"
        " · platform fee 0.60 EUR (the payee receives 39.40 EUR)"
    )
    receipt = texts_payer.receipt(
        EN,
        title="Dinner",
        amount=Money(4000, currency("EUR")),
        paid_at=NOW,
        receipt_id="rcpt-7-abc",
        settled=line,
    )
    assert line in receipt.splitlines()
    assert_telegram_html(receipt)


@pytest.mark.parametrize("t", [EN, ZH])
def test_a_payees_name_is_escaped(t: Translator) -> None:
    line = texts_records.record_line(t, record(card(), (Role.PAYER,), payee=HOSTILE))
    assert line.count(HOSTILE_ESCAPED) == 2
    assert_telegram_html(line)
    receipt = texts_records.receipt_account_line(t, card(), HOSTILE)
    assert receipt is not None
    assert receipt.count(HOSTILE_ESCAPED) == 2
    assert_telegram_html(receipt)


def test_the_lines_in_chinese() -> None:
    assert texts_records.record_line(ZH, record(card(), (Role.PAYEE,))).endswith(
        "· 银行卡 → 你自己的账户 · 平台手续费 0.60 EUR（你实收 39.40 EUR） · Bob"
    )
    assert texts_records.receipt_account_line(ZH, card(), "Ann") == (
        "付款方式：银行卡 → Ann 自己的账户 · 平台手续费 0.60 EUR（Ann 实收 39.40 EUR）"
    )


def stats(*totals: Totals) -> Stats:
    return Stats(None, None, totals, (), (), 2, 1, 0, 0, None)


def test_stats_show_card_money_into_the_payees_account_and_the_fees() -> None:
    cards = Totals("EUR", 10000, 0, 3000, to_payee_account_minor=4000, platform_fees_minor=120)
    text = texts_records.stats_summary(EN, stats(cards, Totals("USD", 500)))
    assert text.splitlines()[1:5] == [
        "EUR: collected 100.00 EUR, refunded 0.00 EUR, net <b>100.00 EUR</b>",
        "  of which 30.00 EUR straight to you, 70.00 EUR through Chipin",
        "  card → your own account: 40.00 EUR, platform fees 1.20 EUR",
        "USD: collected 5.00 USD, refunded 0.00 USD, net <b>5.00 USD</b>",
    ]
    assert_telegram_html(text)
    only_cards = Totals("EUR", 4000, to_payee_account_minor=4000, platform_fees_minor=60)
    assert texts_records.stats_summary(ZH, stats(only_cards)).splitlines()[2] == (
        "  银行卡 → 你自己的账户：40.00 EUR，平台手续费 0.60 EUR"
    )
