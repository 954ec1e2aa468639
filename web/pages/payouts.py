"""The payee's pages around Stripe's hosted sign-up (Stripe Connect): where Stripe sends them
back (the account's state, looked up now), and a fresh sign-up link for one that ran out.

The token in the path is the only key (gateways.stripe.links.AccountLinks): these pages show
no account id and no secret, change nothing but the account's state as Stripe reports it,
and never log the token (ChipinRoute logs the route's template only).
"""

from __future__ import annotations

import logging
from html import escape
from urllib.parse import urlsplit

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from core.domain.errors import DomainError, GatewayError
from core.domain.payouts import PayoutAccount, PayoutState, closed_for_good, reason_text
from web.context import Ctx
from web.pages.html import BASE_STYLE, STATIC_CSP, card_page
from web.routing import ChipinRoute

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False, route_class=ChipinRoute)

MAX_TOKEN = 200  # an account link's token is ~70 characters; anything longer is not ours
DONE = (
    "Done: card payments now go straight into your Stripe account. You can close this page; "
    "Chipin will tell you in Telegram too."
)
NOT_VALID = "This link is not valid any more; send /payouts to the bot for a new one."
TRY_AGAIN = "Stripe did not answer just now. Nothing was changed; try again in a moment."
_STYLE = BASE_STYLE + (
    "a.button{display:block;text-align:center;font-size:1.1rem;padding:.7rem;margin:.6rem 0;"
    "border-radius:.4rem;background:#1a7f37;color:#fff;text-decoration:none}"
    ".done{background:#dafbe1;border-radius:.4rem;padding:.6rem .8rem}"
)
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token in the URL never leaves in a Referer
    "X-Content-Type-Options": "nosniff",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": STATIC_CSP,
}


@router.get("/payouts/stripe/return/{token}", response_class=HTMLResponse)
async def payout_return(token: str, ctx: Ctx) -> Response:
    """Stripe's sign-up sent the payee back: the account's state as Stripe says it now."""
    if len(token) > MAX_TOKEN:
        return _not_valid()
    try:
        account = await ctx.engine.payout_return(token)
    except GatewayError as exc:
        log.warning("payout return page: gateway unavailable: %s", type(exc).__name__)
        return _try_again(_path(ctx.links.payout_return(token)))
    except DomainError:  # Stripe Connect is not set up here
        return _not_valid()
    if account is None:
        return _not_valid()
    return _page(*_state_page(account, _path(ctx.links.payout_refresh(token))), 200)


@router.get("/payouts/stripe/refresh/{token}", response_class=HTMLResponse)
async def payout_refresh(token: str, ctx: Ctx) -> Response:
    """A sign-up link that ran out (or was used): on to a fresh one at Stripe."""
    if len(token) > MAX_TOKEN:
        return _not_valid()
    try:
        url = await ctx.engine.payout_refresh(token)
    except GatewayError as exc:
        log.warning("payout refresh page: gateway unavailable: %s", type(exc).__name__)
        return _try_again(_path(ctx.links.payout_refresh(token)))
    except DomainError:
        return _not_valid()
    if url is None:
        return _not_valid()
    return RedirectResponse(url, status_code=303, headers=_HEADERS)


def _state_page(account: PayoutAccount, refresh: str) -> tuple[str, str]:
    """The page's title and body for the account's state."""
    if account.state == PayoutState.ENABLED:
        body = f'<h1>Stripe account connected</h1><p class="done" role="status">{escape(DONE)}</p>'
        return "Stripe account connected", body
    if account.state == PayoutState.DISCONNECTED:
        body = (
            "<h1>Stripe account disconnected</h1>"
            "<p>You disconnected this Stripe account from Chipin, so card payments do not go "
            "into it. To connect it again, send /payouts to the bot.</p>"
        )
        return "Stripe account disconnected", body
    reason = escape(reason_text(account))
    why = f"<p>Card payments cannot go into your Stripe account now: {reason}.</p>"
    if closed_for_good(account):
        body = (
            f"<h1>Stripe closed the account</h1>{why}"
            "<p>Giving Stripe more details cannot open it again. Payers of your orders can "
            "still pay another way; for card payments, contact Stripe's support.</p>"
        )
        return "Stripe closed the account", body
    body = (
        f"<h1>Stripe still needs some details</h1>{why}"
        "<p>Stripe still needs some details from you before payers' cards can pay into your "
        "account. Continue where you left off:</p>"
        f'<a class="button" href="{escape(refresh)}">Continue with Stripe</a>'
        '<p class="note">Chipin will tell you in Telegram once Stripe enables the account.</p>'
    )
    return "Stripe still needs some details", body


def _path(url: str) -> str:
    """A link of ours as a path (the public base URL's, so a prefix the proxy strips stays)."""
    return urlsplit(url).path


def _not_valid() -> HTMLResponse:
    return _page("Link not valid", f"<h1>Link not valid</h1><p>{escape(NOT_VALID)}</p>", 404)


def _try_again(again: str) -> HTMLResponse:
    body = (
        f"<h1>Try again in a moment</h1><p>{escape(TRY_AGAIN)}</p>"
        f'<a class="button" href="{escape(again)}">Try again</a>'
    )
    response = _page("Try again in a moment", body, 503)
    response.headers["Retry-After"] = "10"
    return response


def _page(title: str, body: str, status: int) -> HTMLResponse:
    return HTMLResponse(card_page(title, _STYLE, body), status_code=status, headers=_HEADERS)
