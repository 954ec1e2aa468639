"""Texts and dialogs of money straight to the payee: the details beside the QR code in every
scheme and language, hostile names escaped, statement refusals placed, the dialogs' tables."""

from __future__ import annotations

import re
from datetime import timedelta
from enum import StrEnum
from typing import TypeVar

import pytest

from bot.views.i18n import Translator, translator
from bot.views.texts import methods as texts_methods
from bot.views.texts import transfers as texts_transfers
from core.domain.dialogs.machine import Refused
from core.domain.dialogs.method import MethodState, start_method
from core.domain.methods import (
    KIND_FIELDS,
    Instructions,
    MethodId,
    instructions,
    new_method,
    reference_from_token,
)
from core.domain.model import MethodKind, PayeeId
from core.domain.money import Money, currency
from core.domain.statements import StatementUnreadable
from tests.support.bot_views import HOSTILE, HOSTILE_ESCAPED, NOW, assert_telegram_html

EN, ZH = translator("en"), translator("zh-hans")
S = TypeVar("S", bound=StrEnum)
E = TypeVar("E", bound=StrEnum)
GIVEN = {
    MethodKind.SEPA: {"holder": "Ann Example", "iban": "DE89370400440532013000", "bic": ""},
    MethodKind.PIX: {"holder": "Ann Example", "key": "ann@example.com", "city": "São Paulo"},
    MethodKind.UPI: {"holder": "Ann Example", "vpa": "ann.e@okaxis"},
}
# what a Chinese reader may still see in Latin letters: scheme names, labels, codes, values
_LATIN_OK = re.compile(
    r"<code>[^<]*</code>|<[^>]+>|SEPA|PIX|UPI|IBAN|BIC|[A-Z]{3}|Ann|Example|Chipin|UTC"
    r"|Dinner|Sao Paulo"
)


def _how(kind: MethodKind, holder: str = "Ann Example") -> Instructions:
    method = new_method(
        MethodId("mth_1"), PayeeId("pay_1"), kind, {**GIVEN[kind], "holder": holder}, NOW
    )
    amount = Money(3000, currency(method.currency))
    return instructions(method, amount, reference_from_token("abcdefghijkl"), "Dinner")


@pytest.mark.parametrize("kind", list(MethodKind))
@pytest.mark.parametrize("t", [EN, ZH], ids=["en", "zh"])
def test_the_details_hold_what_the_qr_code_holds_as_valid_html(
    kind: MethodKind, t: Translator
) -> None:
    how = _how(kind)
    text = texts_transfers.instructions(
        t,
        how,
        title="Dinner",
        payee="Ann",
        hold_until=NOW + timedelta(minutes=15),
        now=NOW,
    )
    assert_telegram_html(text)
    assert how.printed_reference in text
    if t is ZH:
        assert not re.search("[A-Za-z]{2,}", _LATIN_OK.sub("", text)), text


def test_each_scheme_shows_its_own_account_lines() -> None:
    sepa = texts_transfers.instructions(
        EN, _how(MethodKind.SEPA), title="D", payee="", hold_until=NOW, now=NOW
    )
    pix = texts_transfers.instructions(
        EN, _how(MethodKind.PIX), title="D", payee="", hold_until=NOW, now=NOW
    )
    upi = texts_transfers.instructions(
        EN, _how(MethodKind.UPI), title="D", payee="", hold_until=NOW, now=NOW
    )
    assert "IBAN: <code>DE89 3704 0044 0532 0130 00</code>" in sepa
    assert "BIC" not in sepa  # none given
    assert "must be returned by the payee by hand" in sepa
    assert "PIX key: <code>ann@example.com</code>" in pix
    assert "City: Sao Paulo" in pix
    assert "UPI ID: <code>ann.e@okaxis</code>" in upi
    assert "links to personal UPI IDs are often blocked" in upi


def test_hostile_names_and_titles_are_escaped() -> None:
    text = texts_transfers.instructions(
        EN,
        _how(MethodKind.SEPA, HOSTILE[:60]),
        title=HOSTILE,
        payee=HOSTILE,
        hold_until=NOW,
        now=NOW,
    )
    claim = texts_transfers.claim(
        EN,
        payer=HOSTILE,
        amount="30.00 EUR",
        method="sepa",
        title=HOSTILE,
        reference="RF18539007547034",
        utr=None,
    )
    for shown in (text, claim):
        assert HOSTILE not in shown
        assert HOSTILE_ESCAPED in shown
        assert_telegram_html(shown)


def test_how_a_part_was_settled_is_named_for_every_payment() -> None:
    assert texts_transfers.how_settled(EN, "sepa", "payee") == (
        "Bank transfer (SEPA), confirmed by the payee"
    )
    assert texts_transfers.how_settled(EN, "pix", "statement") == (
        "PIX, matched on the payee's bank statement"
    )
    assert texts_transfers.how_settled(EN, "stripe", "gateway") == (
        "Card (Stripe), through Chipin's payment gateway"
    )
    assert texts_transfers.how_settled(EN, "stripe", None) is None  # an entry before 0014
    assert texts_transfers.how_settled(ZH, "upi", "payee") == "UPI，由收款人确认"


@pytest.mark.parametrize(
    ("where", "english", "chinese"),
    [
        ("line 12", "Line 12: the amount", "第 12 行：金额"),
        ("entry 3", "Entry 3: the amount", "第 3 条记录：金额"),
        (
            "transaction 2 (line 40)",
            "Transaction 2 (line 40): the amount",
            "第 2 笔交易（第 40 行）",
        ),
    ],
)
def test_a_statement_refusal_says_where_in_the_file_in_the_readers_language(
    where: str, english: str, chinese: str
) -> None:
    error = StatementUnreadable(
        "{where}: the amount {amount} is not a number", where=where, amount="'1,2,3'"
    )
    assert texts_methods.statement_unreadable(EN, error) == (
        f"⚠️ I could not read this statement: {english} '1,2,3' is not a number. "
        "Nothing was imported."
    )
    assert chinese in texts_methods.statement_unreadable(ZH, error)


# ---- the dialogs ----


@pytest.mark.parametrize("kind", list(MethodKind))
def test_the_method_dialog_asks_each_field_in_order_then_saves(kind: MethodKind) -> None:
    dialog = start_method(kind)
    asked = [dialog.field]
    while dialog.state == MethodState.ASKING:
        dialog = dialog.answer(GIVEN[kind][dialog.field] or "")
        if dialog.state == MethodState.ASKING:
            asked.append(dialog.field)
    assert asked == list(KIND_FIELDS[kind])
    assert dialog.state == MethodState.SAVING
    assert dialog.given == GIVEN[kind]
    again = dialog.refused(KIND_FIELDS[kind][1])
    assert (again.state, again.field) == (MethodState.ASKING, KIND_FIELDS[kind][1])
    assert KIND_FIELDS[kind][1] not in again.given
    assert again.answer("x").state == MethodState.SAVING  # the others are kept
    with pytest.raises(Refused):
        dialog.answer("twice")  # SAVING takes no answer
