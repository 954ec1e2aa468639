"""REST API v1 for payees: the guesses at an order's password, and clearing its lock-outs."""

from __future__ import annotations

from datetime import datetime

from fastapi import Response
from pydantic import BaseModel, Field

from web.api.auth import CurrentPayee
from web.context import Ctx
from web.errors import error_responses
from web.routing import keyed_router

router = keyed_router("/api/v1/orders", "orders")


class PasswordLocksOut(BaseModel):
    """Wrong order passwords are counted per source: a Telegram user, or a client address
    (an IPv6 client by its /64). Ten lock that source out for 15 min, doubling up to a day;
    past 100 a day from every source the order is under attack: each source may then try
    once a minute, and the payee is told once."""

    failures_today: int = Field(
        description="Wrong passwords from every source in the current day-long window."
    )
    locked_sources: int = Field(description="Sources locked out of the password now.")
    under_attack_since: datetime | None = Field(
        description="When the wrong passwords reached the day's ceiling; null: not under attack."
    )


@router.get(
    "/{order_id}/password-locks",
    summary="Guesses at the order's password",
    responses=error_responses(401, 404, 503),
)
async def password_locks(order_id: str, payee: CurrentPayee, ctx: Ctx) -> PasswordLocksOut:
    locks = await ctx.engine.password_locks(order_id, payee)
    return PasswordLocksOut(
        failures_today=locks.failures_today,
        locked_sources=locks.locked_sources,
        under_attack_since=locks.under_attack_since,
    )


@router.delete(
    "/{order_id}/password-locks",
    status_code=204,
    summary="Clear the order's password lock-outs",
    response_class=Response,
    responses=error_responses(401, 404, 503),
)
async def clear_password_locks(order_id: str, payee: CurrentPayee, ctx: Ctx) -> Response:
    """Every source may try again at once, and the attack is over: a new one is told again."""
    await ctx.engine.clear_password_locks(order_id, payee)
    return Response(status_code=204)
