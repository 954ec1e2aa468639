"""The pay page's bank transfer straight to the payee: the part's payment QR code and the same
details as text, the "I've paid" form, and the claimed part (web.pages.pay serves them).

Every URL here is a path (the public base URL's, so a prefix the proxy strips is kept): the
page may be reached under another host name, and its Content-Security-Policy allows images
from 'self' only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from html import escape
from urllib.parse import urlsplit

from core.domain.methods import Instructions
from core.domain.model import MethodKind, Order, OrderState
from core.domain.payqr.rf import printable
from web.api.render import amount_text
from web.links import Links

# what the pay page's choice of method calls each of the payee's own methods
LABELS: Mapping[MethodKind, str] = {
    MethodKind.SEPA: "Bank transfer (SEPA)",
    MethodKind.PIX: "PIX",
    MethodKind.UPI: "UPI",
}
CLAIMED = "The payee has been asked to confirm; your part is held until they do or the order ends."
LATE_MONEY = (
    "Your money goes straight to the payee's own account, never through Chipin. Money that "
    "arrives after the order is full or closed, or after your part was let go, is returned "
    "to you by the payee by hand, not by Chipin."
)
QR_ALT = "Payment QR code"
_HEADING: Mapping[MethodKind, str] = {
    MethodKind.SEPA: "Pay by bank transfer (SEPA)",
    MethodKind.PIX: "Pay by PIX",
    MethodKind.UPI: "Pay by UPI",
}
EXACT = "Copy the reference exactly, or the payee cannot tell your payment from others."

_SCAN: Mapping[MethodKind, str] = {
    MethodKind.SEPA: (
        "Scan this QR code in your banking app, or type the details below into a SEPA transfer."
    ),
    MethodKind.PIX: (
        "Scan this QR code in your bank's app to pay by PIX, or paste the PIX copia e cola "
        "code below."
    ),
    MethodKind.UPI: "Scan this QR code in your UPI app.",
}
_ACCOUNT: Mapping[MethodKind, str] = {
    MethodKind.SEPA: "IBAN",
    MethodKind.PIX: "PIX key",
    MethodKind.UPI: "UPI ID",
}
_THEN: Mapping[MethodKind, str] = {
    MethodKind.SEPA: "Once you have sent the money, say so:",
    MethodKind.PIX: "Once you have sent the money, say so:",
    MethodKind.UPI: (
        "Once you have paid, type the UTR, the 12-digit transaction number your UPI app "
        "shows for the payment, and say so:"
    ),
}

STYLE = (
    "dl{display:grid;grid-template-columns:auto 1fr;gap:.3rem .8rem;margin:.8rem 0}"
    "dt{color:#555}dd{margin:0;overflow-wrap:anywhere}"
    ".ref{font-family:ui-monospace,monospace;font-size:1.15rem;font-weight:600}"
    "img.qr{display:block;width:100%;max-width:16rem;height:auto;margin:.6rem auto;"
    "image-rendering:pixelated}"
    "textarea{width:100%;box-sizing:border-box;font-family:ui-monospace,monospace;"
    "font-size:.85rem;padding:.5rem;border-radius:.4rem;border:1px solid #888}"
    ".done{background:#dafbe1;border-radius:.4rem;padding:.6rem .8rem}"
)


def page_path(links: Links, token: str) -> str:
    """The pay page's own path, where its order form posts."""
    return urlsplit(links.pay(token)).path


def claim_path(links: Links, token: str) -> str:
    """Where the "I've paid" form posts."""
    return page_path(links, token) + "/claim"


def qr_path(links: Links, token: str, reference: str) -> str:
    """The API's payment QR image of the transfer (GET …/transfers/{reference}/qr.png)."""
    return urlsplit(links.transfer_qr(token, reference)).path


def _money(amount_minor: int, order: Order) -> str:
    return f"{amount_text(amount_minor, order.currency)} {order.currency.code}"


def _head(order: Order, heading: str, error: str | None) -> list[str]:
    rows = [f"<h1>{escape(order.title or 'Chipin')}</h1>", f"<h2>{escape(heading)}</h2>"]
    if error:
        rows.append(f'<p class="error" role="alert">{escape(error)}</p>')
    return rows


def _dl(items: list[tuple[str, str]]) -> str:
    """A list of details: (label, value as HTML)."""
    rows = "".join(f"<dt>{escape(label)}</dt><dd>{value}</dd>" for label, value in items)
    return f"<dl>{rows}</dl>"


def _reference(printed: str) -> str:
    return f'<span class="ref">{escape(printed)}</span>'


def _details(how: Instructions, order: Order) -> str:
    """Everything the QR code holds, as text to type by hand."""
    account = printable(how.account) if how.kind == MethodKind.SEPA else how.account
    items = [
        ("Amount", escape(_money(how.amount.amount_minor, order))),
        ("To", escape(how.holder)),
        (_ACCOUNT[how.kind], escape(account)),
    ]
    if how.bic:
        items.append(("BIC", escape(how.bic)))
    if how.city:
        items.append(("City", escape(how.city)))
    items.append(("Reference", _reference(how.printed_reference)))
    return _dl(items)


def _claim_form(how: Instructions, links: Links, token: str) -> str:
    """The "I've paid" form: a POST, with the UTR for UPI."""
    rows = [
        f"<p>{escape(_THEN[how.kind])}</p>",
        f'<form method="post" action="{escape(claim_path(links, token))}">',
    ]
    if how.kind == MethodKind.UPI:
        rows.append(
            '<label for="utr">UTR (12 digits)</label>'
            '<input id="utr" name="utr" inputmode="numeric" autocomplete="off" maxlength="20" '
            'required aria-describedby="utr-note">'
            '<span id="utr-note" class="note">Your UPI app shows it once the payment is '
            "made (also called UPI Ref. No.).</span>"
        )
    rows.append("<button>I've paid</button></form>")
    return "".join(rows)


def transfer_body(
    order: Order,
    how: Instructions,
    links: Links,
    hold_until: datetime | None,
    error: str | None = None,
) -> str:
    """How to pay the part by transfer: its QR code, the same details as text, and (while
    the order is open) the "I've paid" form."""
    token = order.token
    rows = _head(order, _HEADING[how.kind], error)
    rows.append(f"<p>{escape(_SCAN[how.kind])}</p>")
    qr = escape(qr_path(links, token, how.reference))
    rows.append(f'<img class="qr" src="{qr}" alt="{QR_ALT}">')
    rows.append(_details(how, order))
    rows.append(f"<p><b>{escape(EXACT)}</b></p>")
    if how.kind == MethodKind.PIX:
        rows.append(
            '<label for="pix-code">PIX copia e cola</label>'
            f'<textarea id="pix-code" readonly rows="5">{escape(how.payload)}</textarea>'
        )
    rows.append(f'<p class="note">{escape(LATE_MONEY)}</p>')
    if order.state != OrderState.OPEN:
        rows.append(f"<p><b>This order is {escape(order.state.value)}.</b></p>")
        return "".join(rows)
    if hold_until is not None:
        rows.append(
            f"<p>Your part is held for you until {hold_until:%Y-%m-%d %H:%M} UTC: pay, "
            "then say so before then.</p>"
        )
    rows.append(_claim_form(how, links, token))
    return "".join(rows)


def claimed_body(
    order: Order, kind: MethodKind, amount_minor: int, reference: str, error: str | None = None
) -> str:
    """The part the payer says they paid: what happens now, and what they paid."""
    rows = _head(order, f"{LABELS[kind]}: waiting for the payee", error)
    rows.append(f'<p class="done" role="status">{escape(CLAIMED)}</p>')
    rows.append(
        _dl(
            [
                ("Amount", escape(_money(amount_minor, order))),
                ("Reference", _reference(printable(reference))),
            ]
        )
    )
    rows.append(f'<p class="note">{escape(LATE_MONEY)}</p>')
    return "".join(rows)
