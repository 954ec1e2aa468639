"""REST API v1 for payers without the bot: see an order behind its link and reserve a part."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from core.errors import Unsupported
from core.ports import traits_of
from web import render
from web.clients import source_of
from web.context import Ctx
from web.errors import error_responses
from web.routing import ChipinRoute
from web.schemas import PublicOrderOut, ReserveIn, ReserveOut

router = APIRouter(prefix="/api/v1/pay", tags=["pay"], route_class=ChipinRoute)


@router.get("/{token}", summary="The public view of an order", responses=error_responses(404, 503))
async def public_order(token: str, ctx: Ctx) -> PublicOrderOut:
    """No API key: the token from the payment link is the secret. No payee or payer data."""
    return render.public_order(await ctx.engine.public_order(token))


@router.post(
    "/{token}/reserve",
    status_code=201,
    summary="Reserve a part and get its checkout",
    responses={
        200: {"model": ReserveOut, "description": "The payer already held this part."},
        **error_responses(403, 404, 409, 413, 422, 429, 502, 503),
    },
)
async def reserve(
    token: str, body: ReserveIn, ctx: Ctx, request: Request, response: Response
) -> ReserveOut:
    """201 with a new hold; 200 when the same payer asks again and gets the same part back.

    Telegram Payments are bot-only (the checkout is an invoice in a private chat): 422.
    """
    gateway = ctx.engine.deps.gateway(body.gateway)
    if not traits_of(gateway).web_checkout:
        raise Unsupported(
            f"{gateway.name} payments are made in the Chipin bot; choose another gateway",
            gateway=gateway.name,
            reason="bot_only",
        )
    res = await ctx.engine.reserve(
        token, body.payer, body.password, gateway.name, source=source_of(request)
    )
    if not res.created:
        response.status_code = 200
    return render.reservation(res)
