"""The Stripe pay page: Stripe.js's card element, confirmed with the PaymentIntent's secret."""

from __future__ import annotations

import logging
import re
import secrets
from html import escape
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from core.domain.errors import GatewayError
from core.domain.money import CURRENCIES
from core.ports.store import CheckoutStatus
from web.api.render import amount_text
from web.context import Ctx

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

GATEWAY = "stripe"
_TOKEN = re.compile(r"pi_[A-Za-z0-9]{1,100}\.[A-Za-z0-9_-]{32}")
# Stripe.js talks to these besides its own origin (Stripe's CSP guide); the stand-in that
# localstripe serves talks only to the origin it is loaded from.
_STRIPE_API = "https://api.stripe.com"
_STRIPE_FRAMES = "https://*.js.stripe.com https://hooks.stripe.com"

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;"
    "color:#222;line-height:1.4}.card{border:1px solid #ddd;border-radius:.6rem;"
    "padding:1rem 1.2rem}.amount{font-size:1.8rem;font-weight:600;margin:.3rem 0}"
    "#card{border:1px solid #888;border-radius:.4rem;padding:.7rem;margin:.6rem 0}"
    "#card input{font-size:1rem;margin:.1rem}"
    "button{width:100%;font-size:1.1rem;padding:.8rem;margin:.3rem 0;border-radius:.4rem;"
    "border:1px solid #1a7f37;background:#1a7f37;color:#fff}button:disabled{opacity:.6}"
    ".status{font-weight:600}.note{color:#666;font-size:.85rem}"
    "a.next{display:block;text-align:center;font-size:1.1rem;padding:.8rem;margin:.3rem 0;"
    "border-radius:.4rem;background:#1a7f37;color:#fff;text-decoration:none}"
)

# Runs under a per-response nonce; reads its inputs from data- attributes, writes only text.
_SCRIPT = """
(function () {
  var root = document.getElementById('pay');
  var form = document.getElementById('pay-form');
  var button = document.getElementById('pay-button');
  var status = document.getElementById('pay-status');
  var next = document.getElementById('pay-next');
  var nextLink = document.getElementById('pay-next-link');
  function say(text) { status.textContent = text; }
  function offer(text) { nextLink.textContent = text; next.hidden = false; }
  if (typeof Stripe !== 'function') {
    say('The payment form could not load.');
    offer('Back to the order');
    return;
  }
  var stripe = Stripe(root.dataset.key);
  var card = stripe.elements().create('card');
  card.mount('#card');
  button.disabled = false;
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    button.disabled = true;
    say('Paying\\u2026');
    stripe.confirmCardPayment(root.dataset.secret, {payment_method: {card: card}})
      .then(function (result) {
        if (result.error) {
          if (result.error.type === 'validation_error') { button.disabled = false; }
          else { offer('Try again'); }
          say(result.error.message || 'The payment did not go through.');
          return;
        }
        var done = result.paymentIntent && result.paymentIntent.status;
        if (done === 'succeeded') { say('Paid. Thank you!'); }
        else if (done === 'requires_capture') { say(root.dataset.authorised); }
        else { say('Your payment is being processed.'); }
        form.hidden = true;
        offer('Back to the order');
      }, function () {
        button.disabled = false;
        say('The payment service did not answer; try again.');
      });
  });
})();
"""

TO_PAYEE = "Your payment goes straight to the payee's own Stripe account."
_AUTHORISED = "Authorised: you will be charged when everyone has paid."
_OUTCOMES = {
    CheckoutStatus.SUCCEEDED: "Paid. Thank you!",
    CheckoutStatus.AUTHORISED: _AUTHORISED,
    CheckoutStatus.FAILED: "Your card was declined, and nothing was charged. "
    "Go back to the order and start again.",
    CheckoutStatus.CANCELLED: "This payment link is closed; nothing was charged.",
}
# outcomes after which the payer starts again from the order's page
_AGAIN = (CheckoutStatus.FAILED, CheckoutStatus.CANCELLED)
# where the payer goes once done: Chipin's way back to the order (web.pages.after_pay)
RETURN_PATH = "/pay/return/stripe/{intent}"


class StripePayView(Protocol):
    """What one PaymentIntent's page shows (gateways.stripe.PayPage has this shape)."""

    @property
    def client_secret(self) -> str: ...
    @property
    def amount_minor(self) -> int: ...
    @property
    def currency(self) -> str: ...
    @property
    def status(self) -> CheckoutStatus: ...
    @property
    def description(self) -> str: ...
    @property
    def to_payee(self) -> bool:
        """A destination charge: the money goes into the payee's own Stripe account."""
        ...

    @property
    def fee_minor(self) -> int:
        """The platform's fee out of it (0: none)."""
        ...


@runtime_checkable
class StripeDesk(Protocol):
    """What the page needs from the Stripe gateway (web does not import gateways)."""

    @property
    def publishable_key(self) -> str: ...
    @property
    def js_url(self) -> str: ...
    async def pay_page(self, token: str) -> StripePayView | None: ...


@router.get("/pay/stripe/{token}", response_class=HTMLResponse)
async def show(token: str, request: Request, ctx: Ctx) -> Response:
    desk = ctx.engine.deps.gateways.get(GATEWAY)
    if not isinstance(desk, StripeDesk) or not _TOKEN.fullmatch(token):
        return _not_found()
    try:
        view = await desk.pay_page(token)
    except GatewayError as exc:
        log.warning("stripe pay page: gateway unavailable: %s", type(exc).__name__)
        return _page("Try again in a moment", "<p>The payment service is busy.</p>", 503)
    if view is None:
        return _not_found()
    intent = token.split(".", 1)[0]  # the checkout's reference at Chipin: the intent's id
    back = request.scope.get("root_path", "") + RETURN_PATH.format(intent=intent)
    return _pay_page(desk, view, back)


def _pay_page(desk: StripeDesk, view: StripePayView, back: str) -> HTMLResponse:
    """The card form, or the payment's outcome; either way, the way back to the order once
    done (to try again, after a decline)."""
    amount = _amount(view)
    rows = ["<h1>Chipin</h1>"]
    if view.description:
        rows.append(f"<p>{escape(view.description)}</p>")
    rows.append(f'<p class="amount">{escape(amount)}</p>')
    outcome = _OUTCOMES.get(view.status)
    if outcome is not None:
        label = "Try again" if view.status in _AGAIN else "Back to the order"
        rows.append(f'<p class="status" role="status">{escape(outcome)}</p>')
        rows.append(f'<p><a class="next" href="{escape(back)}">{label}</a></p>')
        return _page(f"Pay {amount}", "".join(rows), 200)
    if view.to_payee:
        rows.append(f"<p>{escape(_to_payee(view))}</p>")
    nonce = secrets.token_urlsafe(16)
    rows.append(
        f'<div id="pay" data-key="{escape(desk.publishable_key)}" '
        f'data-secret="{escape(view.client_secret)}" data-authorised="{escape(_AUTHORISED)}">'
        '<form id="pay-form"><div id="card"></div>'
        f'<button id="pay-button" type="submit" disabled>Pay {escape(amount)}</button></form>'
        '<p id="pay-status" class="status" role="status"></p>'
        f'<p id="pay-next" hidden><a id="pay-next-link" class="next" href="{escape(back)}">'
        "Back to the order</a></p></div>"
        '<p class="note">Card details go straight to Stripe; Chipin never sees them.</p>'
        f'<script src="{escape(desk.js_url)}" nonce="{nonce}"></script>'
        f'<script nonce="{nonce}">{_SCRIPT}</script>'
    )
    return _page(f"Pay {amount}", "".join(rows), 200, _csp(desk.js_url, nonce))


def _amount(view: StripePayView, amount_minor: int | None = None) -> str:
    """The payment's amount (or `amount_minor` of its currency) as the page shows money."""
    minor = view.amount_minor if amount_minor is None else amount_minor
    cur = CURRENCIES.get(view.currency)
    if cur is None:
        return f"{minor} (minor units) {view.currency}"
    return f"{amount_text(minor, cur)} {cur.code}"


def _to_payee(view: StripePayView) -> str:
    """Where a destination charge's money goes, and the platform's fee out of it."""
    if view.fee_minor <= 0:
        return TO_PAYEE
    return f"{TO_PAYEE} Of it, {_amount(view, view.fee_minor)} is the platform's fee."


def _csp(js_url: str, nonce: str | None) -> str:
    """No scripts at all, or: this response's nonce, Stripe.js's origin, and Stripe's hosts."""
    base = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    tail = "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    if nonce is None:
        return base + tail
    parts = urlsplit(js_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    return (
        base + f"script-src 'nonce-{nonce}' {origin}; connect-src {origin} {_STRIPE_API}; "
        f"frame-src {origin} {_STRIPE_FRAMES}; " + tail
    )


def _page(title: str, body: str, status: int, csp: str | None = None) -> HTMLResponse:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f'<body><main class="card">{body}</main></body></html>'
    )
    headers = {
        "Cache-Control": "no-store",
        # The token in the URL stays here; Stripe.js sees only our origin.
        "Referrer-Policy": "origin",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": csp or _csp("", None),
    }
    return HTMLResponse(html, status_code=status, headers=headers)


def _not_found() -> HTMLResponse:
    body = "<h1>Payment not found</h1><p>Check the link, or ask for a new one.</p>"
    return _page("Payment not found", body, 404)
