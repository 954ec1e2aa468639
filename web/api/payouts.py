"""REST API v1 for a payee's payout account (Stripe Connect): connect it on Stripe's hosted
sign-up, see what Stripe says of it, disconnect it. While it is enabled, payers' cards pay
the payee's orders straight into it."""

from __future__ import annotations

from core.domain.errors import NotFound, Unavailable
from core.domain.payouts import PayoutAccount, reason_text
from web.api.auth import CurrentPayee
from web.api.schemas_payouts import ConnectPayoutsIn, PayoutAccountOut, PayoutOnboardingOut
from web.context import Ctx, WebContext
from web.errors import body_error_responses, error_responses
from web.routing import keyed_router

router = keyed_router("/api/v1/payouts", "payouts")

NOT_SET_UP = "card payouts into payees' own accounts are not set up here"
NO_BODY = ConnectPayoutsIn()  # a POST without a body: Stripe picks the country
NEVER_CONNECTED = "you have no payout account; POST /api/v1/payouts to connect one"


def account_out(account: PayoutAccount) -> PayoutAccountOut:
    return PayoutAccountOut(
        gateway=account.gateway,
        state=account.state,
        reason=reason_text(account),
        due=list(account.due),
        deadline=account.deadline,
        payouts_enabled=account.payouts_enabled,
        connected_at=account.connected_at,
        updated_at=account.updated_at,
    )


def _set_up(ctx: WebContext) -> None:
    """503 `unavailable` while the operator has not set up Stripe Connect."""
    if ctx.engine.deps.payouts is None:
        raise Unavailable(NOT_SET_UP)


@router.get("", summary="My payout account", responses=error_responses(401, 404, 503))
async def get_payouts(payee: CurrentPayee, ctx: Ctx) -> PayoutAccountOut:
    """As Chipin last heard of it (Stripe's news, or my return from its sign-up). 404
    `not_found` if I never connected one; 503 `unavailable` if the operator has not set up
    Stripe Connect."""
    _set_up(ctx)
    account = await ctx.engine.payout_account(payee)
    if account is None:
        raise NotFound(NEVER_CONNECTED)
    return account_out(account)


@router.post(
    "",
    summary="Connect my payout account, or get a new sign-up link for it",
    responses=body_error_responses(401, 422, 502, 503),
)
async def connect_payouts(
    payee: CurrentPayee, ctx: Ctx, body: ConnectPayoutsIn = NO_BODY
) -> PayoutOnboardingOut:
    """The first call makes my Stripe account (in `country`, if given); every call answers
    the same account and a new one-time `onboarding_url` to Stripe's sign-up, where I give
    Stripe my details. Card payments go into the account once Stripe enables it. Connecting
    again after a disconnect takes the same account back.

    422 `invalid_input` (`field` country) for a country that is not two letters; 503
    `unavailable` if the operator has not set up Stripe Connect; 503 `gateway_unavailable`
    or 502 `gateway_refused` when Stripe does not answer or refuses."""
    _set_up(ctx)
    onboarding = await ctx.engine.connect_payouts(payee, body.country)
    return PayoutOnboardingOut(
        **account_out(onboarding.account).model_dump(), onboarding_url=onboarding.url
    )


@router.delete(
    "",
    summary="Disconnect my payout account",
    responses=error_responses(401, 404, 503),
)
async def disconnect_payouts(payee: CurrentPayee, ctx: Ctx) -> PayoutAccountOut:
    """New orders pay the operator's account again; my open orders bound to this account
    stop taking cards (paid parts stay paid; refunds still come out of it). The account
    stays mine at Stripe: connecting again takes it back. 404 `not_found` when none is
    connected."""
    _set_up(ctx)
    return account_out(await ctx.engine.disconnect_payouts(payee))
