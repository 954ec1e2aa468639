"""The page behind a payment link (what the QR code opens): see the order, reserve a part, pay."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from core.domain.errors import DomainError, GatewayError, HoldNotYours
from core.domain.model import OrderState, SubOrderState
from core.domain.payers import web_payer
from core.domain.text import is_storable
from core.usecases.deps import OrderView, Reservation
from web.api.render import amount_text
from web.clients import source_of
from web.context import Ctx, WebContext
from web.pages.html import card_page
from web.pages.payer_cookie import COOKIE, MAX_AGE_S, PayerCookie

router = APIRouter(include_in_schema=False)

MAX_NAME = 40
METHOD_LABELS = {"stripe": "Card (Stripe)", "sandbox": "Sandbox (test money)"}
_PICK_METHOD = "Please pick how you want to pay."
_NO_METHOD = "This order can be paid only in Telegram: open its link in the Chipin bot."
_UNREADABLE = "Something you typed holds a character that cannot be stored. Please type it again."
_HELD_ELSEWHERE = (
    "Your part of this order is held in another window or browser: finish paying there, "
    "or try again once that hold has run out."
)

_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;"
    "color:#222;line-height:1.4}.card{border:1px solid #ddd;border-radius:.6rem;"
    "padding:1rem 1.2rem}.amount{font-size:1.8rem;font-weight:600;margin:.3rem 0}"
    ".error{background:#ffebe9;border-radius:.4rem;padding:.6rem .8rem}"
    "input,button,select{width:100%;box-sizing:border-box;font-size:1.1rem;padding:.7rem;"
    "margin:.3rem 0;border-radius:.4rem;border:1px solid #888}"
    "button{background:#1a7f37;border-color:#1a7f37;color:#fff}.note{color:#666;font-size:.85rem}"
)


@router.get("/pay/{token}", response_class=HTMLResponse)
async def show(token: str, request: Request, ctx: Ctx) -> Response:
    try:
        view = await ctx.engine.public_order(token)
    except DomainError:
        return _page("Not found", "<p>There is no order behind this link.</p>", 404)
    return _order_page(view, await _methods(ctx, view), error=None, status=200)


@router.post("/pay/{token}", response_class=HTMLResponse)
async def reserve(token: str, request: Request, ctx: Ctx) -> Response:
    """Reserve a part for this browser's payer and send them on to the checkout.

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
        return _page("Not found", "<p>There is no order behind this link.</p>", 404)
    methods = await _methods(ctx, view)
    if not all(is_storable(text) for item in form.multi_items() for text in _texts(item)):
        return _order_page(view, methods, error=_UNREADABLE)
    if not name:
        error = "Please write your name, so the payee knows who paid."
        return _order_page(view, methods, error=error)
    gateway = str(form.get("gateway", "")) or (methods[0] if len(methods) == 1 else "")
    if gateway not in methods:
        return _order_page(view, methods, error=_NO_METHOD if not methods else _PICK_METHOD)
    try:
        res = await ctx.engine.reserve(
            token,
            web_payer(cookie.browser_id),
            password,
            gateway,
            payer_name=name,
            source=source_of(request),
            hold_secret=cookie.secret_for(token),
        )
    except HoldNotYours:
        return _order_page(view, methods, error=_HELD_ELSEWHERE, status=409)
    except GatewayError:
        return _order_page(view, methods, error="Payments are unavailable.", status=409)
    except DomainError as exc:
        return _refused(view, methods, exc)
    return _to_checkout(ctx, token, res, cookie)


def _refused(view: OrderView, methods: list[str], exc: DomainError) -> Response:
    """The page again with the reason; a client that holds or took too many parts of the
    order, or is locked out of its password, gets 429 and Retry-After, as the API answers."""
    if exc.code not in ("too_many_holds", "locked_out"):
        return _order_page(view, methods, error=exc.message, status=409)
    page = _order_page(view, methods, error=exc.message, status=429)
    retry_s = exc.fields.get("retry_after_s")
    if isinstance(retry_s, int):
        page.headers["Retry-After"] = str(retry_s)
    return page


def _to_checkout(ctx: WebContext, token: str, res: Reservation, cookie: PayerCookie) -> Response:
    """On to the checkout, with the hold's secret kept in the payer cookie (HttpOnly, and
    Secure when Chipin's public URL is https)."""
    response = RedirectResponse(res.sub.checkout_url or f"/pay/{token}", status_code=303)
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


def _texts(item: tuple[str, str | UploadFile]) -> tuple[str, ...]:
    """The text of one form field: its name, and its value unless it is a file."""
    key, value = item
    return (key, value) if isinstance(value, str) else (key,)


async def _methods(ctx: WebContext, view: OrderView) -> list[str]:
    """The payment methods a browser can use for this order (Telegram's are bot-only)."""
    return await ctx.engine.methods_for(view.order, web=True)


def _method_select(methods: list[str]) -> str:
    """A choice of payment method, when there is more than one."""
    if len(methods) < 2:
        return ""
    options = "".join(
        f'<option value="{escape(m)}">{escape(METHOD_LABELS.get(m, m))}</option>' for m in methods
    )
    return f'<label>Pay with <select name="gateway">{options}</select></label>'


def _order_page(
    view: OrderView, methods: list[str], error: str | None, status: int = 422
) -> Response:
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
        f'<div class="amount">{escape(each)} {escape(cur.code)}</div>',
        f"<p>{order.paid_count} of {order.n} paid · {free} open · "
        f"until {order.expires_at:%Y-%m-%d %H:%M} UTC</p>",
    ]
    if error:
        rows.append(f'<p class="error">{escape(error)}</p>')
    if order.state != OrderState.OPEN:
        rows.append(f"<p><b>This order is {escape(order.state.value)}.</b></p>")
        return _page(order.title or "Chipin", "".join(rows), 200 if not error else status)
    rows.append('<form method="post"><input name="name" placeholder="Your name" required>')
    if order.has_password:
        rows.append('<input name="password" type="password" placeholder="Order password">')
    rows.append(_method_select(methods))
    rows.append("<button>Reserve my part and pay</button></form>")
    rows.append('<p class="note">Your part is held for you while you pay.</p>')
    return _page(order.title or "Chipin", "".join(rows), 200 if not error else status)


def _page(title: str, body: str, status: int) -> HTMLResponse:
    html = card_page(title, _STYLE, body)
    return HTMLResponse(html, status_code=status, headers=_HEADERS)
