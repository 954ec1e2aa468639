"""The app factory: one FastAPI app with webhooks, health and the REST API v1 over an Engine."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fastapi import FastAPI
from starlette.routing import BaseRoute

from core.engine import Engine
from core.errors import InvalidInput
from core.money import Currency, currency
from web import health as health_api
from web import ledger_api, orders_api, pay_api, pay_page, pay_stripe, records_api, webhooks
from web.context import STATE_KEY, HealthCheck, WebContext
from web.errors import install_error_handlers
from web.links import Links
from web.qr import QrCache

MAX_BODY_BYTES = 64 * 1024  # every request body; webhooks have the same cap on their own route
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
) -> FastAPI:
    """Build the listener's ASGI app; bad settings raise ValueError here, not on a request.

    `public_base_url` is where payers reach the listener (pay links and QR codes point under
    it); `health` answers whether the database is reachable; `extra_routes` (the sandbox
    gateway's checkout pages) are mounted after Chipin's own routes and are not in the
    OpenAPI document; `max_amount_minor` caps an order total; `default_currency` is an
    ISO 4217 code for orders that name none; `chain_pem` gives Chipin's certificate chain
    for receipts (None: the ledger is not signing, and receipts answer 503).
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
    )
    app = FastAPI(
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
        records_api,
        ledger_api,
        pay_api,
        pay_page,
        pay_stripe,
    )
    for module in routers:
        app.include_router(module.router)
    app.router.routes.extend(extra_routes)
    return app


def _currency_setting(code: str) -> Currency:
    try:
        return currency(code)
    except InvalidInput as exc:
        raise ValueError(f"default_currency: {exc.message}") from exc
