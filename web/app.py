"""The app factory: one FastAPI app with webhooks, health and the REST API v1 over an Engine."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from bot.views.qr import QrCache
from core.domain.errors import InvalidInput
from core.domain.money import Currency, currency
from core.usecases.engine import Engine
from web import health as health_api
from web import webhooks
from web.api import codes as codes_api
from web.api import ledger as ledger_api
from web.api import methods as methods_api
from web.api import orders as orders_api
from web.api import password_locks as password_locks_api
from web.api import pay as pay_api
from web.api import payouts as payouts_api
from web.api import records as records_api
from web.api import statements as statements_api
from web.api import transfers as transfers_api
from web.api.keyguard import KeyGuard
from web.clients import ForwardedUnheeded, check_proxies
from web.context import STATE_KEY, HealthCheck, WebContext
from web.errors import install_error_handlers, render
from web.links import Links
from web.pages import pay as pay_page
from web.pages import payouts as payouts_page
from web.pages import stripe_pay as pay_stripe
from web.pages import verify as verify_page
from web.redirects import slash_redirects
from web.unreadable import refuse_unreadable_urls

MAX_BODY_BYTES = 64 * 1024  # every request body; webhooks have the same cap on their own route
# the routes that take more, by path: a bank statement file (the route reads at most that)
BODY_LIMITS: dict[str, tuple[int, str]] = {
    statements_api.PATH: (statements_api.LIMIT, statements_api.LIMIT_TEXT),
}
QR_CACHE_SIZE = 256


def create_app(
    engine: Engine,
    *,
    public_base_url: str,
    health: HealthCheck,
    extra_routes: Sequence[BaseRoute] = (),
    max_amount_minor: int,
    default_currency: str,
    chain_pem: Callable[[], str] | None = None,
    key_guard: KeyGuard | None = None,
    trusted_proxies: Sequence[str] = (),
) -> FastAPI:
    """Build the listener's ASGI app; bad settings raise ValueError here, not on a request.

    `public_base_url` is where payers reach the listener (pay links and QR codes point under
    it); `health` answers whether the database is reachable; `extra_routes` (the sandbox
    gateway's checkout pages) are mounted after Chipin's own routes and are not in the
    OpenAPI document; `max_amount_minor` caps an order total; `default_currency` is an
    ISO 4217 code for orders that name none; `chain_pem` gives Chipin's certificate chain
    for receipts (None: the ledger is not signing, and receipts answer 503); `key_guard`
    limits wrong API keys per client address (the default: 10 a minute); `trusted_proxies`
    (addresses or CIDR networks) are the only peers whose X-Forwarded-For is believed.
    """
    if max_amount_minor < 1:
        raise ValueError("max_amount_minor must be at least 1")
    ctx = WebContext(
        engine=engine,
        links=Links.under(public_base_url),
        health=health,
        max_amount_minor=max_amount_minor,
        default_currency=_currency_setting(default_currency),
        qr=QrCache(QR_CACHE_SIZE),
        chain_pem=chain_pem,
        key_guard=key_guard if key_guard is not None else KeyGuard(),
    )
    app = _ChipinApp(
        title="Chipin API",
        version="1",
        description="Group payments: one QR code, many payers; exactly N payments succeed.",
        openapi_url="/openapi.json",
        redoc_url=None,
        max_body_size=MAX_BODY_BYTES,
    )
    setattr(app.state, STATE_KEY, ctx)
    install_error_handlers(app)
    routers = (
        webhooks,
        health_api,
        orders_api,
        password_locks_api,
        codes_api,
        methods_api,
        payouts_api,
        transfers_api,
        statements_api,
        records_api,
        ledger_api,
        pay_api,
        pay_page,
        pay_stripe,
        payouts_page,
        verify_page,
    )
    for module in routers:
        app.include_router(module.router)
    app.router.routes.extend(extra_routes)
    app.router.redirect_slashes = False  # its Location would name the client's Host
    app.router.default = slash_redirects(app.router, ctx.links)
    if not trusted_proxies:
        app.add_middleware(ForwardedUnheeded)
    else:
        app.add_middleware(
            ProxyHeadersMiddleware, trusted_hosts=list(check_proxies(",".join(trusted_proxies)))
        )
    return app


class _ChipinApp(FastAPI):
    """FastAPI, with a body declared too large answered 413 in our JSON error shape, and a
    path or query holding text no store can hold answered 422 (web.unreadable).

    Starlette's body limiter answers a Content-Length over the limit in plain text,
    whatever the route answered; this check runs before it. The limit is 64 KiB but on the
    paths of BODY_LIMITS (whose routes set the same limit as their max_body_size).
    """

    def build_middleware_stack(self) -> ASGIApp:
        inner = refuse_unreadable_urls(super().build_middleware_stack())

        async def declared_length_check(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                limit, text = BODY_LIMITS.get(scope["path"], (MAX_BODY_BYTES, "64 KiB"))
                if _declared_length(scope) > limit:
                    response = render(HTTPException(413, f"the request body is over {text}"))
                    await response(scope, receive, send)
                    return
            await inner(scope, receive, send)

        return declared_length_check


def _declared_length(scope: Scope) -> int:
    value = Headers(scope=scope).get("content-length", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 20 else 0


def _currency_setting(code: str) -> Currency:
    try:
        return currency(code)
    except InvalidInput as exc:
        raise ValueError(f"default_currency: {exc.message}") from exc
