"""The REST API's bodies for a payee's payout account (Stripe Connect; OpenAPI schemas): card
payments into the payee's own Stripe account."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from core.domain.payouts import PayoutState


class ConnectPayoutsIn(BaseModel):
    """Optional: without a body (or without `country`), Stripe uses the operator's country."""

    model_config = ConfigDict(extra="forbid")

    country: str | None = Field(
        default=None,
        max_length=10,
        examples=["DE"],
        description=(
            "Where the payee's business is, as two letters (ISO 3166-1 alpha-2, like DE or "
            "US). Used only when the account is made, on the first call: Stripe fixes an "
            "account's country for good."
        ),
    )


class PayoutAccountOut(BaseModel):
    """My payout account, as Chipin last heard of it from Stripe. Card payments of my orders
    go straight into it while `state` is enabled; never its id, never a secret."""

    gateway: str = Field(examples=["stripe"], description="The gateway the account is at.")
    state: PayoutState = Field(
        examples=["pending"],
        description=(
            "enabled: payers' cards pay into it; pending: Stripe's sign-up is not finished; "
            "restricted: Stripe stopped card payments into it (see `reason`, `due`); "
            "disconnected: I unlinked it, and new orders pay the operator's account."
        ),
    )
    reason: str = Field(
        examples=["you have not finished Stripe's sign-up yet"],
        description="Why card payments into it are not possible now, in words; empty when enabled.",
    )
    due: list[str] = Field(
        examples=[["individual.verification.document"]],
        description="What Stripe still needs (its requirement names), past due first.",
    )
    deadline: datetime | None = Field(
        description="When Stripe stops the account unless `due` is given; null when none."
    )
    payouts_enabled: bool = Field(
        description="Whether Stripe pays the balance out to my bank account."
    )
    connected_at: datetime = Field(description="When I first connected it.")
    updated_at: datetime = Field(description="When Chipin last heard of it.")


class PayoutOnboardingOut(PayoutAccountOut):
    """My account, and a new link to Stripe's sign-up for it."""

    onboarding_url: str = Field(
        examples=["https://connect.stripe.com/setup/e/acct_1Nv0FGQ9RKHgCVdK/AbCdEf"],
        description=(
            "Stripe's hosted sign-up for this account: open it soon, once (it runs out after "
            "a few minutes). When done, Stripe sends me back to Chipin's return page; a link "
            "that ran out leads to a fresh one."
        ),
    )
