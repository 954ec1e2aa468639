"""A payee's payout account at a gateway (Stripe Connect): card payments go straight into it.

The gateway says what the account can do (AccountStatus, from `account.updated` or a lookup);
Chipin keeps one PayoutAccount per payee and gateway, in one of four states, and offers the
payee's cards to payers only while it is ENABLED. An order is bound, when it is created, to the
account its payee had then (Order.card_account): its card parts are paid into that account or
not at all, never into the operator's instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from core.domain.errors import InvalidInput
from core.domain.model import PayeeId

#: A card authorisation lasts about 7 days (Stripe cancels an uncaptured PaymentIntent then):
#: a mode `all` order paid by card must complete within it.
CARD_HOLD_LIFETIME = timedelta(days=7)
MAX_FEE_BPS = 5000  # a platform fee of at most 50 %


class PayoutState(StrEnum):
    PENDING = "pending"  # onboarding not finished: no card payments yet
    ENABLED = "enabled"  # charges enabled: payers may pay by card into it
    RESTRICTED = "restricted"  # the gateway stopped charges: payers are not offered it
    DISCONNECTED = "disconnected"  # the payee unlinked it from Chipin


@dataclass(frozen=True, slots=True)
class AccountStatus:
    """What the gateway says about one connected account."""

    account_id: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    disabled_reason: str = ""
    due: tuple[str, ...] = ()  # requirements currently due, then past due
    deadline: datetime | None = None

    @property
    def state(self) -> PayoutState:
        if self.charges_enabled:
            return PayoutState.ENABLED
        if not self.details_submitted and self.disabled_reason in ("", "requirements.past_due"):
            return PayoutState.PENDING  # a fresh account: the payee has not finished yet
        return PayoutState.RESTRICTED


@dataclass(frozen=True, slots=True)
class PayoutAccount:
    """A payee's account at one gateway, as Chipin last heard of it."""

    payee_id: PayeeId
    gateway: str
    account_id: str
    state: PayoutState
    reason: str  # the gateway's disabled_reason, "" when none
    due: tuple[str, ...]
    deadline: datetime | None
    payouts_enabled: bool
    connected_at: datetime
    updated_at: datetime

    @property
    def usable(self) -> bool:
        return self.state == PayoutState.ENABLED

    def updated(self, status: AccountStatus, now: datetime) -> PayoutAccount:
        """This account after the gateway's news; a disconnected one stays disconnected."""
        state = self.state if self.state == PayoutState.DISCONNECTED else status.state
        return PayoutAccount(
            self.payee_id,
            self.gateway,
            self.account_id,
            state,
            status.disabled_reason,
            status.due,
            status.deadline,
            status.payouts_enabled,
            self.connected_at,
            now,
        )


def new_account(
    payee_id: PayeeId, gateway: str, status: AccountStatus, now: datetime
) -> PayoutAccount:
    return PayoutAccount(
        payee_id,
        gateway,
        status.account_id,
        status.state,
        status.disabled_reason,
        status.due,
        status.deadline,
        status.payouts_enabled,
        now,
        now,
    )


# Stripe's `requirements.disabled_reason` values, in words a payee can act on.
_REASONS = {
    "requirements.past_due": "Stripe needs more information from you",
    "requirements.pending_verification": "Stripe is verifying the details you gave",
    "under_review": "Stripe is reviewing your account",
    "listed": "Stripe is reviewing your account",
    "platform_paused": "the operator of this Chipin paused your account",
    "action_required.requested_capabilities": "Stripe needs you to accept card payments again",
    "rejected.fraud": "Stripe closed your account",
    "rejected.incomplete_verification": "Stripe closed your account: verification was not "
    "finished in time",
    "rejected.listed": "Stripe closed your account",
    "rejected.terms_of_service": "Stripe closed your account",
    "rejected.platform_fraud": "the operator closed your account",
    "rejected.platform_terms_of_service": "the operator closed your account",
    "rejected.platform_other": "the operator closed your account",
    "rejected.other": "Stripe closed your account",
    "other": "Stripe paused your account",
}


def reason_text(account: PayoutAccount) -> str:
    """Why card payments into this account are not possible now, in one line ("" if they are)."""
    if account.state == PayoutState.ENABLED:
        return ""
    if account.state == PayoutState.DISCONNECTED:
        return "you disconnected it from Chipin"
    if account.state == PayoutState.PENDING:
        return "you have not finished Stripe's sign-up yet"
    return _REASONS.get(account.reason, "Stripe has not enabled card payments yet")


def closed_for_good(account: PayoutAccount) -> bool:
    """Stripe rejected the account: finishing its steps cannot bring it back."""
    return account.reason.startswith("rejected.")


# ---- the platform fee ----


def parse_fee_percent(text: str) -> int:
    """'1.5' (a percentage of each card part) into basis points (150); 0 by default."""
    raw = text.strip().rstrip("%").strip() or "0"
    try:
        value = Decimal(raw)
    except ArithmeticError:
        raise InvalidInput("fee", "{value} is not a percentage", value=repr(text[:20])) from None
    bps = value * 100
    if not value.is_finite() or bps != bps.to_integral_value() or not 0 <= bps <= MAX_FEE_BPS:
        raise InvalidInput(
            "fee", "the platform fee is a percentage from 0 to 50 with at most two decimals"
        )
    return int(bps)


def platform_fee(amount_minor: int, fee_bps: int) -> int:
    """The platform's fee on one card part, rounded half up, always less than the part."""
    if fee_bps <= 0 or amount_minor <= 0:
        return 0
    exact = Decimal(amount_minor) * fee_bps / 10_000
    fee = int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return min(fee, amount_minor - 1)


@dataclass(frozen=True, slots=True)
class Payout:
    """Where a card checkout's money goes: a destination charge into the payee's account,
    less the platform fee (Stripe's transfer_data[destination] and application_fee_amount)."""

    account_id: str
    fee_minor: int = 0
