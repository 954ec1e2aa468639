"""The rules of card money paid straight to the payee (core.domain.payouts): the platform fee,
how a connected account's state is read, and what the payee is told about it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from core.domain.errors import InvalidInput
from core.domain.model import PayeeId
from core.domain.payouts import (
    AccountStatus,
    PayoutState,
    closed_for_good,
    new_account,
    parse_fee_percent,
    platform_fee,
    reason_text,
)

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "bps"),
    [("0", 0), ("", 0), ("1.5", 150), ("2.25%", 225), (" 50 ", 5000), ("0.01", 1)],
)
def test_the_fee_setting_reads_as_basis_points(text: str, bps: int) -> None:
    assert parse_fee_percent(text) == bps


@pytest.mark.parametrize("text", ["-1", "50.5", "1.234", "abc", "nan", "inf", "1e3"])
def test_a_fee_setting_out_of_range_or_unreadable_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_fee_percent(text)


@pytest.mark.parametrize(
    ("amount", "bps", "fee"),
    [
        (4005, 250, 100),  # 100.125 rounds half up to 100
        (4020, 250, 101),  # 100.5 rounds half up to 101
        (1000, 0, 0),
        (1, 5000, 0),  # half of one cent rounds to 1, but a fee never takes the whole part
        (3, 5000, 2),
        (10_000_000, 150, 150_000),
    ],
)
def test_the_platform_fee_rounds_half_up_and_never_takes_the_whole_part(
    amount: int, bps: int, fee: int
) -> None:
    assert platform_fee(amount, bps) == fee
    assert platform_fee(amount, bps) < amount or amount == 0


def _status(**fields: object) -> AccountStatus:
    base: dict[str, object] = {
        "account_id": "acct_1",
        "charges_enabled": False,
        "payouts_enabled": False,
        "details_submitted": False,
    }
    return AccountStatus(**{**base, **fields})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "state"),
    [
        ({}, PayoutState.PENDING),
        ({"disabled_reason": "requirements.past_due"}, PayoutState.PENDING),
        ({"charges_enabled": True}, PayoutState.ENABLED),
        (
            {"charges_enabled": True, "disabled_reason": "requirements.past_due"},
            PayoutState.ENABLED,
        ),
        (
            {"details_submitted": True, "disabled_reason": "requirements.pending_verification"},
            PayoutState.RESTRICTED,
        ),
        ({"disabled_reason": "rejected.fraud"}, PayoutState.RESTRICTED),
    ],
)
def test_an_accounts_state_follows_what_the_gateway_says(
    fields: dict[str, object], state: PayoutState
) -> None:
    assert _status(**fields).state == state


def test_the_payee_is_told_why_cards_cannot_pay_into_their_account() -> None:
    payee = PayeeId("pay_1")
    pending = new_account(payee, "stripe", _status(), NOW)
    assert reason_text(pending) == "you have not finished Stripe's sign-up yet"
    restricted = new_account(
        payee,
        "stripe",
        _status(details_submitted=True, disabled_reason="requirements.past_due"),
        NOW,
    )
    assert reason_text(restricted) == "Stripe needs more information from you"
    assert not closed_for_good(restricted)
    rejected = new_account(payee, "stripe", _status(disabled_reason="rejected.fraud"), NOW)
    assert reason_text(rejected) == "Stripe closed your account"
    assert closed_for_good(rejected)
    unknown = new_account(payee, "stripe", _status(disabled_reason="something.new"), NOW)
    assert reason_text(unknown) == "Stripe has not enabled card payments yet"
    enabled = new_account(payee, "stripe", _status(charges_enabled=True), NOW)
    assert reason_text(enabled) == ""
    assert enabled.usable


def test_a_disconnected_account_stays_disconnected_whatever_the_gateway_says() -> None:
    account = replace(
        new_account(PayeeId("pay_1"), "stripe", _status(), NOW), state=PayoutState.DISCONNECTED
    )
    later = account.updated(_status(charges_enabled=True, payouts_enabled=True), NOW)
    assert later.state == PayoutState.DISCONNECTED
    assert later.payouts_enabled
    assert reason_text(later) == "you disconnected it from Chipin"
