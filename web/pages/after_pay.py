"""Where a payer's payment ends: back from a gateway's checkout to the order's pay page, and the
paid part's receipt behind an address only its payer knows (web.pages.pay includes these)."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from core.domain.errors import NotFound, Unavailable
from core.domain.holds import hold_secret_hash, receipt_key
from core.domain.ledger.entries import EntryKind
from core.domain.model import OrderState, SubOrderState
from core.domain.money import currency
from core.usecases.holds import PaidReceipt
from trust.receipts import receipt_json
from web.api.records import NOT_SIGNING
from web.api.render import amount_text
from web.context import Ctx
from web.errors import render
from web.links import Links
from web.pages import transfer
from web.pages.payer_cookie import COOKIE, PayerCookie
from web.pages.payer_html import HEADERS, page, payee_line

router = APIRouter(include_in_schema=False)

_MAX_PART = 200  # a gateway's name or checkout reference; longer is no checkout of ours
_NO_WAY_BACK = (
    "<h1>Payment not found</h1><p>This payment is not known here any more. Open the "
    "payment link you were given again.</p>"
)
_NO_RECEIPT = "<h1>Receipt not found</h1><p>There is no receipt at this address.</p>"
_NOT_YET = "<h1>Try again later</h1><p>Receipts cannot be made here yet.</p>"
_KEEP = (
    "This page's address is yours alone: keep it to see your receipt again. Anyone you give "
    "it to can see the receipt."
)
_VERIFY = "A file anyone can check offline with “chipin receipt verify”."


def receipt_path(links: Links, token: str, secret: str) -> str:
    """The payer's receipt page. Its address holds a key made one way from the hold's secret
    (core.domain.holds.receipt_key), which the paying browser keeps in its payer cookie: only
    that payer (and whoever they give the address to) opens the receipt, and the address,
    which a proxy's access log may keep, opens nothing else (not the hold)."""
    key = receipt_key(hold_secret_hash(secret))
    return f"{transfer.page_path(links, token)}/receipt/{key}"


@router.get("/pay/return/{gateway}/{ref}")
async def back_from_checkout(gateway: str, ref: str, request: Request, ctx: Ctx) -> Response:
    """Where a gateway's checkout sends its payer when they are done (paid, declined or gone
    back): on to the order's pay page, which asks the gateway what became of the payment and
    shows the outcome. Only a browser that held a part of that order (its payer cookie knows
    the order) is sent on: a checkout's reference alone does not reveal its order."""
    cookie = PayerCookie.read(request.cookies.get(COOKIE))
    try:
        if len(gateway) > _MAX_PART or len(ref) > _MAX_PART:
            raise NotFound("no such checkout")
        res = await ctx.engine.checkout_part(gateway, ref)
    except NotFound:
        return page("Payment not found", _NO_WAY_BACK, 404)
    if cookie.secret_for(res.order.token) is None:
        return page("Payment not found", _NO_WAY_BACK, 404)
    to = transfer.page_path(ctx.links, res.order.token)
    return RedirectResponse(to, status_code=303, headers={"Cache-Control": "no-store"})


@router.get("/pay/{token}/receipt/{key}.json")
async def receipt_file(token: str, key: str, ctx: Ctx) -> Response:
    """The receipt as `chipin receipt verify` checks it (the API's receipt format), to keep."""
    try:
        found = await ctx.engine.receipt_by_key(token, key)
    except NotFound:
        return render(NotFound("there is no receipt at this address"))
    if ctx.chain_pem is None:
        return render(Unavailable(NOT_SIGNING))
    doc = receipt_json(found.receipt, ctx.chain_pem())
    name = f"chipin-{found.receipt.receipt_id}.json"
    headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    return JSONResponse(doc, headers=headers)


@router.get("/pay/{token}/receipt/{key}")
async def receipt_page(token: str, key: str, ctx: Ctx) -> Response:
    """The payer's receipt: what they paid, to whom, when, and its receipt id; 404 without
    the right key (a wrong one, or that of a part not paid), as if it did not exist."""
    try:
        found = await ctx.engine.receipt_by_key(token, key)
    except NotFound:
        return page("Receipt not found", _NO_RECEIPT, 404)
    except Unavailable:
        return page("Try again later", _NOT_YET, 503)
    download = None
    if ctx.chain_pem is not None:
        download = f"{transfer.page_path(ctx.links, token)}/receipt/{key}.json"
    return page("Receipt", _receipt_body(found, download), 200)


def _receipt_body(found: PaidReceipt, download: str | None) -> str:
    order, entry = found.order, found.receipt.entry
    amount = f"{amount_text(entry.amount_minor, currency(entry.currency))} {entry.currency}"
    rows = [
        "<h1>Receipt</h1>",
        f"<p>{escape(order.title or 'Chipin')}</p>",
        payee_line(order),
        f'<div class="amount">{escape(amount)}</div>',
        f"<p><b>{escape(_what(found))}</b></p>",
    ]
    if found.receipt.payer.payer_name:
        rows.append(f"<p>Paid by {escape(found.receipt.payer.payer_name)}</p>")
    rows.append(
        f"<p>On {entry.at:%Y-%m-%d %H:%M} UTC · receipt {escape(found.receipt.receipt_id)}</p>"
    )
    if download is not None:
        rows.append(
            f'<p><a href="{escape(download)}" download>Download the receipt</a>. '
            f"{escape(_VERIFY)}</p>"
        )
    rows.append(f'<p class="note">{escape(_KEEP)}</p>')
    return "".join(rows)


def _what(found: PaidReceipt) -> str:
    """What became of the payment, in a few words (mode all: authorised first)."""
    authorised = found.receipt.entry.kind == EntryKind.PART_AUTHORISED
    if found.sub.state == SubOrderState.REFUNDED:
        return "Authorisation released: you were not charged." if authorised else "Refunded."
    if authorised and found.order.state == OrderState.OPEN:
        return "Authorised: you are charged when everyone has paid, or not at all."
    return "Paid."
