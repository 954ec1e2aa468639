"""The page behind a payment link (what the QR code opens): see the order, reserve a part, pay
at the gateway's checkout, or by bank transfer straight to the payee and then say so."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from core.domain.errors import DomainError, GatewayError, HoldNotYours, NotFound
from core.domain.methods import Instructions
from core.domain.model import (
    DIRECT_KINDS,
    MethodKind,
    Mode,
    Order,
    OrderState,
    SubOrder,
    SubOrderState,
)
from core.domain.payers import web_payer
from core.domain.text import is_storable
from core.ports.store import traits_of
from core.usecases.deps import OrderView, Reservation
from web.api.pay import offered_methods
from web.api.render import amount_text, for_payer
from web.clients import source_of
from web.context import Ctx, WebContext
from web.errors import DOMAIN_STATUS
from web.links import Links
from web.pages import after_pay, transfer
from web.pages.payer_cookie import COOKIE, MAX_AGE_S, PayerCookie
from web.pages.payer_html import page, payee_line

router = APIRouter(include_in_schema=False)
router.include_router(after_pay.router)  # a payment's end: back from a checkout, the receipt

MAX_NAME = 40
MAX_UTR = 40  # a UTR is 12 digits, spaces allowed; anything longer is cut, then refused
METHOD_LABELS = {
    "stripe": "Card (Stripe)",
    "sandbox": "Sandbox (test money)",
    **{kind.value: label for kind, label in transfer.LABELS.items()},
}
_PICK_METHOD = "Please pick how you want to pay."
_NO_METHOD = "This order can be paid only in Telegram: open its link in the Chipin bot."
_UNREADABLE = "Something you typed holds a character that cannot be stored. Please type it again."
_HELD_ELSEWHERE = (
    "Your part of this order is held in another window or browser: finish paying there, "
    "or try again once that hold has run out."
)
_METHOD_GONE = "The payee no longer takes this payment method here."
# this browser's hold of the order ended without a payment
_NOT_PAID = (
    "Your part was not paid: the payment was declined or cancelled, or its hold ran out. "
    "Nothing was charged. You can try again."
)
# a part paid by transfer whose page is shown again: how to pay it, or that it is claimed
_PAYING = (SubOrderState.RESERVED, SubOrderState.CLAIMED)


@router.get("/pay/{token}", response_class=HTMLResponse)
async def show(token: str, request: Request, ctx: Ctx) -> Response:
    try:
        view = await ctx.engine.public_order(token)
    except DomainError:
        return page("Not found", "<p>There is no order behind this link.</p>", 404)
    cookie = PayerCookie.read(request.cookies.get(COOKIE))
    return await _current(ctx, view, cookie, error=None, status=200)


@router.post("/pay/{token}", response_class=HTMLResponse)
async def reserve(token: str, request: Request, ctx: Ctx) -> Response:
    """Reserve a part for this browser's payer and send them on to the checkout, or, for
    one of the payee's own methods, show how to pay it by transfer.

    The payer is this browser (`web:<id>` from its payer cookie) and the name they typed;
    the cookie also keeps the hold's secret, so the same browser gets its part back.
    """
    form = await request.form()
    name = " ".join(str(form.get("name", "")).split())[:MAX_NAME]
    password = str(form.get("password", "")) or None
    cookie = PayerCookie.read(request.cookies.get(COOKIE))
    try:
        view = await ctx.engine.public_order(token)
    except DomainError:
        return page("Not found", "<p>There is no order behind this link.</p>", 404)
    methods = await offered_methods(ctx, view.order)
    links = ctx.links
    if not _storable(form.multi_items()):
        return _order_page(links, view, methods, error=_UNREADABLE)
    if not name:
        error = "Please write your name, so the payee knows who paid."
        return _order_page(links, view, methods, error=error)
    chosen = str(form.get("gateway", "")) or (methods[0] if len(methods) == 1 else "")
    if chosen not in methods:
        # a web gateway not offered for this order goes on: the engine says why not
        chosen = _unoffered(ctx, methods, chosen) or ""
    if not chosen:
        return _order_page(links, view, methods, error=_NO_METHOD if not methods else _PICK_METHOD)
    try:
        res = await ctx.engine.reserve(
            token,
            web_payer(cookie.browser_id),
            password,
            method=chosen,  # one of the operator's gateways, or one of the payee's own methods
            payer_name=name,
            source=source_of(request),
            hold_secret=cookie.secret_for(token),
        )
    except HoldNotYours:
        return _order_page(links, view, methods, error=_HELD_ELSEWHERE, status=409)
    except GatewayError:
        return _order_page(links, view, methods, error="Payments are unavailable.", status=409)
    except DomainError as exc:
        return _refused(links, view, methods, exc)
    if res.sub.transfer_ref is not None:
        body = await _transfer_body(ctx, res.order, res.sub, error=None, how=res.transfer)
        if body is None:
            return _order_page(links, view, methods, error=_METHOD_GONE, status=409)
        answer: Response = page(res.order.title or "Chipin", body, 200, qr=True)
    else:
        answer = RedirectResponse(res.sub.checkout_url or f"/pay/{token}", status_code=303)
    return _remember(ctx, answer, token, res, cookie)


@router.post("/pay/{token}/claim", response_class=HTMLResponse)
async def claim(token: str, request: Request, ctx: Ctx) -> Response:
    """The payer says they paid their part by transfer (the "I've paid" form): it is claimed,
    held for them until the payee confirms or denies it or the order ends. A refusal (a
    UPI claim without its 12-digit UTR, an order that ended, …) shows the page again with
    the reason and changes nothing."""
    form = await request.form()
    cookie = PayerCookie.read(request.cookies.get(COOKIE))
    try:
        view = await ctx.engine.public_order(token)
    except DomainError:
        return page("Not found", "<p>There is no order behind this link.</p>", 404)
    if not _storable(form.multi_items()):
        return await _current(ctx, view, cookie, error=_UNREADABLE, status=422)
    utr = str(form.get("utr", ""))[:MAX_UTR] or None
    try:
        claimed = await ctx.engine.claim_transfer(
            token, web_payer(cookie.browser_id), utr=utr, hold_secret=cookie.secret_for(token)
        )
    except HoldNotYours:
        return await _current(ctx, view, cookie, error=_HELD_ELSEWHERE, status=409)
    except DomainError as exc:
        status = DOMAIN_STATUS.get(exc.code, 409)
        return await _current(ctx, view, cookie, error=exc.message, status=status)
    body = transfer.claimed_body(view.order, claimed.kind, claimed.amount_minor, claimed.reference)
    return page(view.order.title or "Chipin", body, 200)


async def _current(
    ctx: WebContext, view: OrderView, cookie: PayerCookie, error: str | None, status: int
) -> Response:
    """This browser's part of the order: paid (with its receipt), paid by transfer (how to,
    or that it is claimed), or the order page. The gateway is asked first about a checkout
    Chipin has not heard back from (the payer is back from it before its webhook). A hold
    of this browser that ended unpaid (declined, run out) is said so above the order form,
    whose button then tries again. `error` on top, answered with `status` (200 without)."""
    body, ended = None, False
    secret = cookie.secret_for(view.order.token)
    if secret is not None:
        try:
            res = await ctx.engine.own_part(view.order.token, secret)
        except (HoldNotYours, NotFound):
            ended = True  # declined, cancelled, released or run out: nothing was charged
        else:
            paid = res.sub.state == SubOrderState.PAID
            body = _paid_body(ctx.links, res.order, res.sub, secret) if paid else None
            body = body or await _transfer_body(ctx, res.order, res.sub, error)
    if body is None:
        if secret is not None:  # the order as the gateway's news (if any) left it
            view = await ctx.engine.public_order(view.order.token)
        methods = await offered_methods(ctx, view.order)
        notice = _NOT_PAID if ended and not error else None
        return _order_page(ctx.links, view, methods, error, status, notice=notice)
    return page(view.order.title or "Chipin", body, status if error else 200, qr=True)


def _paid_body(links: Links, order: Order, sub: SubOrder, secret: str) -> str:
    """This browser's part, paid (through the checkout, or confirmed by the payee), with the
    way to its receipt; in mode all, while the order collects, authorised."""
    amount = f"{amount_text(sub.amount_minor, order.currency)} {order.currency.code}"
    if sub.transfer_ref is not None:
        done, how = "Your part is paid.", "The payee confirmed your transfer."
    elif order.mode == Mode.ALL and order.state == OrderState.OPEN:
        done, how = "Your payment is authorised.", "You are charged when everyone has paid."
    else:
        done, how = "Your part is paid.", "Your payment went through."
    receipt = after_pay.receipt_path(links, order.token, secret)
    return (
        f"<h1>{escape(order.title or 'Chipin')}</h1>{payee_line(order)}"
        f'<div class="amount">{escape(amount)}</div>'
        f"<p><b>{done}</b> {how} Thank you.</p>"
        f'<p><a href="{escape(receipt)}">See your receipt</a></p>'
        '<p class="note">Its address is yours alone: keep it to see your receipt again.</p>'
    )


async def _transfer_body(
    ctx: WebContext,
    order: Order,
    sub: SubOrder,
    error: str | None,
    how: Instructions | None = None,
) -> str | None:
    """The page of a part paid by transfer: how to pay it (`how`, or as the API shows it
    again) while it is held, that it waits for the payee once claimed. None for a part of
    any other kind or state, or one whose method the payee has removed since."""
    if sub.transfer_ref is None or sub.state not in _PAYING or sub.gateway not in DIRECT_KINDS:
        return None
    kind = MethodKind(sub.gateway)
    if sub.state == SubOrderState.CLAIMED:
        return transfer.claimed_body(order, kind, sub.amount_minor, sub.transfer_ref, error)
    if how is None:
        try:
            how = await ctx.engine.transfer_instructions(order.token, sub.transfer_ref)
        except NotFound:
            return None
    return transfer.transfer_body(order, how, ctx.links, sub.hold_until, error)


def _refused(links: Links, view: OrderView, methods: list[str], exc: DomainError) -> Response:
    """The page again with the reason; a client that holds or took too many parts of the
    order, or is locked out of its password, gets 429 and Retry-After, as the API answers."""
    if exc.code not in ("too_many_holds", "locked_out"):
        return _order_page(links, view, methods, error=for_payer(exc).message, status=409)
    answer = _order_page(links, view, methods, error=exc.message, status=429)
    retry_s = exc.fields.get("retry_after_s")
    if isinstance(retry_s, int):
        answer.headers["Retry-After"] = str(retry_s)
    return answer


def _remember(
    ctx: WebContext, response: Response, token: str, res: Reservation, cookie: PayerCookie
) -> Response:
    """`response` (the checkout's redirect, or the transfer's page), with the hold's secret
    kept in the payer cookie (HttpOnly, and Secure when Chipin's public URL is https)."""
    if res.hold_secret is not None:
        cookie = cookie.with_hold(token, res.hold_secret)
    response.set_cookie(
        COOKIE,
        cookie.value(),
        max_age=MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=ctx.links.base_url.startswith("https://"),
    )
    return response


def _storable(items: list[tuple[str, str | UploadFile]]) -> bool:
    """Whether every field name and text value of a form can be stored."""
    return all(is_storable(text) for item in items for text in _texts(item))


def _texts(item: tuple[str, str | UploadFile]) -> tuple[str, ...]:
    """The text of one form field: its name, and its value unless it is a file."""
    key, value = item
    return (key, value) if isinstance(value, str) else (key,)


def _unoffered(ctx: WebContext, methods: list[str], chosen: str) -> str | None:
    """A gateway with a web checkout that the page does not offer for this order (the payee's
    card account is paused, the order collects longer than a card holds money, …): reserving
    with it gets the engine's reason (or the part, if that changed meanwhile). With nothing
    offered and nothing chosen, the first such gateway. None for anything else."""
    web = [n for n, gw in ctx.engine.deps.gateways.items() if traits_of(gw).web_checkout]
    if not chosen and not methods and web:
        chosen = web[0]
    return chosen if chosen in web else None


def _method_select(methods: list[str]) -> str:
    """A choice of payment method, when there is more than one."""
    if len(methods) < 2:
        return ""
    options = "".join(
        f'<option value="{escape(m)}">{escape(METHOD_LABELS.get(m, m))}</option>' for m in methods
    )
    return f'<label>Pay with <select name="gateway">{options}</select></label>'


def _order_page(
    links: Links,
    view: OrderView,
    methods: list[str],
    error: str | None,
    status: int = 422,
    *,
    notice: str | None = None,
) -> Response:
    """The order and its form; `notice` (this browser's last try was not paid) turns the
    form's button into trying again."""
    order, cur = view.order, view.order.currency
    low = min(s.amount_minor for s in view.subs)
    high = max(s.amount_minor for s in view.subs)
    each = (
        amount_text(low, cur)
        if low == high
        else f"{amount_text(low, cur)} – {amount_text(high, cur)}"
    )
    free = sum(1 for s in view.subs if s.state == SubOrderState.AVAILABLE)
    rows = [
        f"<h1>{escape(order.title or 'Chipin')}</h1>",
        payee_line(order),
        f'<div class="amount">{escape(each)} {escape(cur.code)}</div>',
        f"<p>{order.paid_count} of {order.n} paid · {free} open · "
        f"until {order.expires_at:%Y-%m-%d %H:%M} UTC</p>",
    ]
    if error:
        rows.append(f'<p class="error" role="alert">{escape(error)}</p>')
    if notice:
        rows.append(f'<p class="notice" role="status">{escape(notice)}</p>')
    if order.state != OrderState.OPEN:
        rows.append(f"<p><b>This order is {escape(order.state.value)}.</b></p>")
        return page(order.title or "Chipin", "".join(rows), 200 if not error else status)
    action = escape(transfer.page_path(links, order.token))
    rows.append(
        f'<form method="post" action="{action}">'
        '<input name="name" placeholder="Your name" aria-label="Your name" required>'
    )
    if order.has_password:
        rows.append(
            '<input name="password" type="password" placeholder="Order password" '
            'aria-label="Order password">'
        )
    rows.append(_method_select(methods))
    button = "Try again" if notice else "Reserve my part and pay"
    rows.append(f"<button>{button}</button></form>")
    rows.append('<p class="note">Your part is held for you while you pay.</p>')
    return page(order.title or "Chipin", "".join(rows), 200 if not error else status)
