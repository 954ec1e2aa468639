"""The sandbox's hosted checkout page: plain HTML forms to pay or decline, no JavaScript."""

from __future__ import annotations

import logging
import re
from html import escape
from typing import Protocol

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from core.domain.errors import GatewayRetryable
from core.domain.money import CURRENCIES, Money, format_money
from core.ports.store import CheckoutStatus
from gateways.sandbox.records import CheckoutView, PaymentState, PayResult

log = logging.getLogger(__name__)

_REF = re.compile(r"cs_[A-Za-z0-9_-]{1,60}")
# Where the payer goes once the checkout is done, as a hosted checkout's return URL: Chipin's
# listener (web.pages.after_pay), on the same origin, takes them back to their order.
RETURN_PATH = "/pay/return/sandbox/{ref}"

_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;"
    "color:#222;line-height:1.4}"
    ".card{border:1px solid #ddd;border-radius:.6rem;padding:1rem 1.2rem}"
    ".amount{font-size:2rem;font-weight:600;margin:.3rem 0 1rem}"
    ".status{font-size:1.3rem;font-weight:600}"
    ".notice{background:#fff8c5;border-radius:.4rem;padding:.6rem .8rem}"
    "button{width:100%;font-size:1.1rem;padding:.8rem;margin:.3rem 0;border-radius:.4rem;"
    "border:1px solid #888;background:#fff}"
    "button.pay{background:#1a7f37;border-color:#1a7f37;color:#fff}"
    "a.back{display:block;text-align:center;font-size:1.1rem;padding:.8rem;margin:.3rem 0;"
    "border-radius:.4rem;background:#1a7f37;color:#fff;text-decoration:none}"
    ".note{color:#666;font-size:.85rem}"
)

# Messages a redirect may ask the page to show; the query carries only these codes.
_NOTICES = {
    PayResult.ALREADY_PAID: "This checkout is already paid; nothing was charged again.",
    PayResult.ALREADY_DECLINED: "This payment was declined; it cannot be paid now.",
    PayResult.CANCELLED: "This checkout was cancelled; nothing was charged.",
}


class CheckoutDesk(Protocol):
    """What the pages need from the gateway."""

    async def view(self, ref: str) -> CheckoutView | None: ...
    async def pay(self, ref: str) -> PayResult: ...
    async def decline(self, ref: str) -> PayResult: ...


class ActionFn(Protocol):
    async def __call__(self, ref: str) -> PayResult: ...


def checkout_routes(desk: CheckoutDesk) -> list[BaseRoute]:
    """GET the page; POST pay or decline, each answered 303 back to the page."""

    async def show(request: Request) -> Response:
        ref = request.path_params["ref"]
        if not _REF.fullmatch(ref):
            return _not_found()
        try:
            view = await desk.view(ref)
        except GatewayRetryable:
            return _unavailable()
        if view is None:
            return _not_found()
        code = request.query_params.get("r", "")
        notice = next((text for result, text in _NOTICES.items() if result.value == code), None)
        forms = (
            request.url_for("sandbox_checkout_pay", ref=ref).path,
            request.url_for("sandbox_checkout_decline", ref=ref).path,
        )
        back = request.scope.get("root_path", "") + RETURN_PATH.format(ref=ref)
        return _page(_title(view), _body(view, notice, forms, back), 200)

    async def pay(request: Request) -> Response:
        return await _act(request, desk.pay)

    async def decline(request: Request) -> Response:
        return await _act(request, desk.decline)

    return [
        Route("/sandbox/checkout/{ref}", show, methods=["GET"], name="sandbox_checkout"),
        Route("/sandbox/checkout/{ref}/pay", pay, methods=["POST"], name="sandbox_checkout_pay"),
        Route(
            "/sandbox/checkout/{ref}/decline",
            decline,
            methods=["POST"],
            name="sandbox_checkout_decline",
        ),
    ]


async def _act(request: Request, action: ActionFn) -> Response:
    ref = request.path_params["ref"]
    if not _REF.fullmatch(ref):
        return _not_found()
    try:
        result = await action(ref)
    except GatewayRetryable:
        return _unavailable()
    if result == PayResult.NOT_FOUND:
        return _not_found()
    page = request.url_for("sandbox_checkout", ref=ref).path
    query = f"?r={result.value}" if result in _NOTICES else ""
    return RedirectResponse(page + query, status_code=303, headers={"Cache-Control": "no-store"})


def _title(view: CheckoutView) -> str:
    return f"Pay {_amount(view)}"


def _amount(view: CheckoutView) -> str:
    currency = CURRENCIES.get(view.currency)
    if currency is None:
        return f"{view.amount_minor} (minor units) {view.currency}"
    return format_money(Money(view.amount_minor, currency))


def _status(view: CheckoutView) -> str | None:
    """The outcome to show, or None while the checkout can be paid."""
    if view.payment_state == PaymentState.VOIDED:
        return "Authorisation released — you were not charged"
    if view.payment_state == PaymentState.REFUNDED:
        return "Paid, then refunded"
    return {
        CheckoutStatus.OPEN: None,
        CheckoutStatus.SUCCEEDED: "Paid",
        CheckoutStatus.AUTHORISED: "Authorised — will be charged when everyone has paid",
        CheckoutStatus.FAILED: "Declined",
        CheckoutStatus.CANCELLED: "This checkout was cancelled",
    }[view.status]


def _body(view: CheckoutView, notice: str | None, forms: tuple[str, str], back: str) -> str:
    """The checkout: its forms while it can be paid, else its outcome and the way back to the
    order (to try again, after a decline)."""
    parts = ["<h1>Chipin sandbox checkout</h1>", '<div class="card">']
    parts.append(f"<p>{escape(view.description)}</p>")
    parts.append(f'<p class="amount">{escape(_amount(view))}</p>')
    if notice:
        parts.append(f'<p class="notice" role="status">{escape(notice)}</p>')
    status = _status(view)
    if status is None:
        pay, decline = (escape(action) for action in forms)
        parts.append(
            f'<form method="post" action="{pay}">'
            f'<button class="pay" type="submit">Pay {escape(_amount(view))}</button></form>'
            f'<form method="post" action="{decline}">'
            '<button type="submit">Decline</button></form>'
        )
    else:
        parts.append(f'<p class="status" role="status">{escape(status)}</p>')
        again = view.status in (CheckoutStatus.FAILED, CheckoutStatus.CANCELLED)
        label = "Try again" if again else "Back to the order"
        parts.append(f'<p><a class="back" href="{escape(back)}">{label}</a></p>')
    parts.append("</div>")
    parts.append('<p class="note">A test payment page: no real money moves.</p>')
    return "".join(parts)


def _page(title: str, body: str, status_code: int) -> HTMLResponse:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status_code, headers=_HEADERS)


def _not_found() -> HTMLResponse:
    body = "<h1>Checkout not found</h1><p>Check the link, or ask for a new one.</p>"
    return _page("Checkout not found", body, 404)


def _unavailable() -> HTMLResponse:
    body = "<h1>Try again in a moment</h1><p>The payment service is busy.</p>"
    return _page("Try again in a moment", body, 503)
