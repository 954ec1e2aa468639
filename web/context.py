"""What every route needs from the composition root, reachable as one FastAPI dependency."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from bot.views.qr import QrCache
from core.domain.money import Currency
from core.usecases.engine import Engine
from web.api.keyguard import KeyGuard
from web.links import Links

HealthCheck = Callable[[], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class WebContext:
    engine: Engine
    links: Links
    health: HealthCheck
    max_amount_minor: int
    default_currency: Currency
    qr: QrCache
    # Chipin's certificate chain (root CA, then signing certificates), PEM; None while the
    # ledger has no certificate authority (receipts cannot be proven yet)
    chain_pem: Callable[[], str] | None = None
    # wrong API keys per client address, for this process
    key_guard: KeyGuard = field(default_factory=KeyGuard)


STATE_KEY = "chipin"


async def get_context(request: Request) -> WebContext:
    """Async although it awaits nothing: FastAPI runs a plain `def` dependency in a worker
    thread, a thread hop (and a fight for the GIL) on every request."""
    ctx = getattr(request.app.state, STATE_KEY, None)
    if not isinstance(ctx, WebContext):
        raise RuntimeError("the app was not built by web.app.create_app")
    return ctx


Ctx = Annotated[WebContext, Depends(get_context)]
