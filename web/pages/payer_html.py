"""How the payer's pages look and what headers they carry: the pay page, the end of a payment
and its receipt (web.pages.pay, web.pages.after_pay)."""

from __future__ import annotations

from html import escape

from fastapi.responses import HTMLResponse

from core.domain.model import Order
from web.pages import transfer
from web.pages.html import card_page

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}
# a transfer's page shows its payment QR code, an image of the API's under the same origin
_TRANSFER_HEADERS = {
    **HEADERS,
    "Content-Security-Policy": HEADERS["Content-Security-Policy"] + "; img-src 'self'",
}

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;"
    "color:#222;line-height:1.4}.card{border:1px solid #ddd;border-radius:.6rem;"
    "padding:1rem 1.2rem}.amount{font-size:1.8rem;font-weight:600;margin:.3rem 0}"
    ".error{background:#ffebe9;border-radius:.4rem;padding:.6rem .8rem}"
    ".notice{background:#fff8c5;border-radius:.4rem;padding:.6rem .8rem}"
    "input,button,select{width:100%;box-sizing:border-box;font-size:1.1rem;padding:.7rem;"
    "margin:.3rem 0;border-radius:.4rem;border:1px solid #888}"
    "button{background:#1a7f37;border-color:#1a7f37;color:#fff}.note{color:#666;font-size:.85rem}"
    + transfer.STYLE
)


def page(title: str, body: str, status: int, *, qr: bool = False) -> HTMLResponse:
    """`qr`: the page shows a transfer's payment QR code (an image from 'self')."""
    html = card_page(title, _STYLE, body)
    headers = _TRANSFER_HEADERS if qr else HEADERS
    return HTMLResponse(html, status_code=status, headers=headers)


def payee_line(order: Order) -> str:
    """Who collects, as the payee chose to be shown (never a Telegram handle); '' if unnamed."""
    name = order.payee_display_name
    return f"<p>Collected by <b>{escape(name)}</b></p>" if name else ""
