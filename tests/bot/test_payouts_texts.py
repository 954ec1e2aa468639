"""The texts of payees' own Stripe accounts (bot.views.texts.payouts): Stripe's requirements and
reasons in words, the fee, the payer's lines, and the progress message's paused line."""

from __future__ import annotations

import re

import pytest

from bot.views.i18n import translator
from bot.views.progress import render_progress
from bot.views.texts import payments as texts_payments
from bot.views.texts import payouts as texts
from core.domain.model import OrderState, PayeeId
from core.domain.money import Money, currency
from core.domain.payouts import PayoutAccount, PayoutState, reason_text
from tests.support.bot_views import NOW, PAY_URL, make_view

EN = translator("en")
ZH = translator("zh-hans")
USD = currency("USD")


def account(state: PayoutState = PayoutState.RESTRICTED, reason: str = "") -> PayoutAccount:
    return PayoutAccount(
        PayeeId("p1"), "stripe", "acct_1", state, reason, (), None, False, NOW, NOW
    )


def test_requirements_read_as_what_to_give_each_once_at_most_five() -> None:
    due = (
        "individual.verification.document",
        "individual.verification.additional_document",
        "external_account",
        "individual.dob.day",
        "individual.dob.month",
        "tos_acceptance.date",
        "business_profile.url",
        "company.tax_id",
        "representative.title",
    )
    assert texts.requirements(EN, due) == (
        "an identity document, a proof of address, a bank account for payouts, your date of "
        "birth, accepting Stripe's terms and 3 more requirements"
    )
    assert texts.requirement(EN, "something.new") == "other details"


@pytest.mark.parametrize(
    "reason",
    [
        "requirements.past_due",
        "requirements.pending_verification",
        "under_review",
        "listed",
        "platform_paused",
        "action_required.requested_capabilities",
        "rejected.fraud",
        "rejected.incomplete_verification",
        "rejected.listed",
        "rejected.terms_of_service",
        "rejected.platform_fraud",
        "rejected.platform_terms_of_service",
        "rejected.platform_other",
        "rejected.other",
        "other",
        "some_new_reason",
    ],
)
def test_every_reason_core_gives_is_translated(reason: str) -> None:
    english = reason_text(account(reason=reason))
    assert texts.payee_reason(EN, english) == english
    chinese = texts.payee_reason(ZH, english)
    assert not re.search("[A-Za-z]", re.sub(r"“\w+”|Chipin", "", chinese)), chinese


def test_the_pending_and_disconnected_reasons_are_translated_too() -> None:
    for state in (PayoutState.PENDING, PayoutState.DISCONNECTED):
        english = reason_text(account(state))
        assert texts.payee_reason(ZH, english) != english


@pytest.mark.parametrize(
    ("bps", "shown"), [(250, "2.5%"), (100, "1%"), (5000, "50%"), (1, "0.01%")]
)
def test_the_fee_is_a_percentage(bps: int, shown: str) -> None:
    assert texts.fee_percent(bps) == shown


def test_the_payer_never_reads_the_payees_reason() -> None:
    shown = texts.paused_line(EN, account(reason="requirements.past_due"))
    assert (
        shown
        == "💳 Card payments are paused: the payee's Stripe account cannot take payments right now."
    )
    closed = texts.paused_line(EN, account(reason="rejected.fraud"))
    assert closed.endswith("the payee's Stripe account is closed.")


def test_the_card_line_escapes_the_payees_name() -> None:
    fee = Money(75, USD)
    assert texts.card_into(EN, "<Ann>", fee) == (
        "💳 Card → &lt;Ann&gt;'s own Stripe account, of which 0.75 USD is the platform's fee."
    )
    assert texts.card_into(EN, "", None) == "💳 Card → the payee's own Stripe account."


def test_a_card_hold_refusal_names_its_days() -> None:
    text = texts_payments.unsupported(EN, "Trip", "hold_lifetime")
    assert "longer than a card can hold money (7 days)" in text
    assert text.startswith("<b>Trip</b> charges only when everyone has paid")


def test_the_progress_message_shows_the_paused_line_while_open_only() -> None:
    paused = account(PayoutState.DISCONNECTED)
    text, _ = render_progress(make_view(), None, NOW, EN, PAY_URL, paused=paused)
    assert "💳 Card payments are paused: the payee disconnected their Stripe account." in text
    plain, _ = render_progress(make_view(), None, NOW, EN, PAY_URL)
    assert "paused" not in plain
    closed = make_view(state=OrderState.CANCELLED)
    done, _ = render_progress(closed, None, NOW, EN, PAY_URL, paused=paused)
    assert "paused" not in done
