"""REST API v1 for payers without the bot: an order behind its link, holding a part, that hold."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from core.domain.errors import Unsupported
from core.domain.payers import api_payer
from core.ports.store import traits_of
from web.api import render
from web.api.schemas import PublicOrderOut, ReserveIn, ReserveOut
from web.clients import source_of
from web.context import Ctx
from web.errors import error_responses
from web.routing import ChipinRoute

router = APIRouter(prefix="/api/v1/pay", tags=["pay"], route_class=ChipinRoute)

HoldSecret = Annotated[
    str | None,
    Header(
        alias="Chipin-Hold",
        max_length=200,
        description="The hold_secret the reservation that created the hold returned.",
    ),
]


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
    token: str,
    body: ReserveIn,
    ctx: Ctx,
    request: Request,
    response: Response,
    hold_secret: HoldSecret = None,
) -> ReserveOut:
    """201 with a new hold and its `hold_secret` (given only here, once); 200 when the same
    payer asks again with that secret in `Chipin-Hold` and gets the same part back.

    403 `hold_not_yours` when the payer already holds a part and the secret is missing or
    wrong. 429 `too_many_holds` (with `Retry-After`) when this client (address, IPv6 /64)
    holds too many parts of the order or took too many lately. Telegram Payments are
    bot-only (the checkout is an invoice in a private chat): 422.
    """
    gateway = ctx.engine.deps.gateway(body.gateway)
    if not traits_of(gateway).web_checkout:
        raise Unsupported(
            f"{gateway.name} payments are made in the Chipin bot; choose another gateway",
            gateway=gateway.name,
            reason="bot_only",
        )
    res = await ctx.engine.reserve(
        token,
        api_payer(body.payer),
        body.password,
        gateway.name,
        source=source_of(request),
        hold_secret=hold_secret,
    )
    if not res.created:
        response.status_code = 200
    return render.reservation(res)


@router.get(
    "/{token}/hold",
    summary="Read my hold again",
    responses=error_responses(403, 404, 503),
)
async def read_hold(token: str, ctx: Ctx, hold_secret: HoldSecret = None) -> ReserveOut:
    """The part the `Chipin-Hold` secret opens, its state and checkout URL (no new secret).

    403 `hold_not_yours` without the header, with a wrong secret, or once the hold ended.
    """
    return render.reservation(await ctx.engine.held_part(token, hold_secret))


@router.delete(
    "/{token}/hold",
    status_code=204,
    summary="Release my hold",
    responses=error_responses(403, 404, 409, 503),
)
async def release_hold(token: str, ctx: Ctx, hold_secret: HoldSecret = None) -> Response:
    """Free the part the `Chipin-Hold` secret opens at once; its checkout is closed.

    403 `hold_not_yours` without the right secret; 409 `already_paid` for a paid part.
    """
    await ctx.engine.release_own_hold(token, hold_secret)
    return Response(status_code=204)
