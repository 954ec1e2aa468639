"""REST API v1 for payers without the bot: an order behind its link, holding a part, that hold;
a part paid by transfer straight to the payee: its payment QR code, and saying it is paid."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response

from bot.views.qr import payment_qr_png
from core.domain.errors import InvalidInput, NotFound, Unavailable, Unsupported
from core.domain.methods import Instructions
from core.domain.model import DIRECT_KINDS, Order, SubOrderState
from core.domain.payers import api_payer
from core.ports.store import traits_of
from core.usecases.deps import Reservation
from trust.receipts import receipt_json
from web.api import render, render_methods
from web.api.orders import PNG
from web.api.records import NOT_SIGNING
from web.api.schemas import PublicOrderOut, ReserveIn, ReserveOut
from web.api.schemas_methods import ClaimIn, ClaimOut
from web.api.schemas_records import ReceiptOut
from web.clients import source_of
from web.context import Ctx, WebContext
from web.errors import body_error_responses, error_responses
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
Reference = Annotated[
    str,
    Path(max_length=64, description="The transfer reference the reservation gave (RF…)."),
]
# a part whose transfer the payer may still make: its instructions are shown again
_PAYING = (SubOrderState.RESERVED, SubOrderState.CLAIMED)


@router.get("/{token}", summary="The public view of an order", responses=error_responses(404, 503))
async def public_order(token: str, ctx: Ctx) -> PublicOrderOut:
    """No API key: the token from the payment link is the secret. No payee or payer data:
    the payee's own methods are listed by kind only (their details come with a hold)."""
    view = await ctx.engine.public_order(token)
    gateways = await ctx.engine.methods_for(view.order, web=True)
    methods = await ctx.engine.payee_methods_for(view.order)
    return render.public_order(view, gateways, methods)


def _chosen(body: ReserveIn) -> str | None:
    """`method`, or `gateway`, its older name; naming two different ones is refused."""
    if body.method is not None and body.gateway is not None and body.method != body.gateway:
        raise InvalidInput("method", "give method or gateway, not both")
    return body.method if body.method is not None else body.gateway


async def _reserve(
    ctx: WebContext, token: str, body: ReserveIn, source: str, hold_secret: str | None
) -> Reservation:
    chosen = _chosen(body)
    kind = chosen.strip().lower() if chosen is not None else None
    payer = api_payer(body.payer)
    if kind in DIRECT_KINDS:
        return await ctx.engine.reserve(
            token, payer, body.password, method=kind, source=source, hold_secret=hold_secret
        )
    if kind is not None and kind not in ctx.engine.deps.gateways:
        raise await _unknown_method(
            ctx, token, "method" if body.method is not None else "gateway", chosen or ""
        )
    gateway = ctx.engine.deps.gateway(kind)
    if not traits_of(gateway).web_checkout:
        raise Unsupported(
            f"{gateway.name} payments are made in the Chipin bot; choose another gateway",
            gateway=gateway.name,
            reason="bot_only",
        )
    return await ctx.engine.reserve(
        token, payer, body.password, gateway.name, source=source, hold_secret=hold_secret
    )


async def offered_methods(ctx: WebContext, order: Order) -> list[str]:
    """The payment methods a payer without the bot may choose for this order: the operator's
    gateways with a web checkout (Telegram's are bot-only), then the payee's own methods that
    can take it (its currency, not mode all, not a printed code's order)."""
    gateways = await ctx.engine.methods_for(order, web=True)
    own = await ctx.engine.payee_methods_for(order)
    return [*gateways, *(m.kind.value for m in own)]


async def _unknown_method(ctx: WebContext, token: str, field: str, chosen: str) -> InvalidInput:
    """A payment method Chipin does not know, named by the ones the order takes."""
    view = await ctx.engine.public_order(token)  # NotFound (404) for a link that is not one
    offered = await offered_methods(ctx, view.order)
    if not offered:
        return InvalidInput(field, "this order takes no payment method here: pay it in the bot")
    return InvalidInput(
        field,
        "{chosen} is not a payment method here; choose one of: {allowed}",
        chosen=repr(chosen[:20]),
        allowed=", ".join(offered),
    )


@router.post(
    "/{token}/reserve",
    status_code=201,
    summary="Reserve a part and get its checkout, or how to pay it by transfer",
    responses={
        200: {"model": ReserveOut, "description": "The payer already held this part."},
        **body_error_responses(403, 404, 409, 422, 429, 502, 503),
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

    `method` sepa, pix or upi (one of the payee's own, as the order lists them): no
    checkout; `transfer` says how to pay from the payer's banking app, with the part's
    reference, and the payer then says so (POST …/claim). 422 `unsupported` if the payee
    has no such method (`reason` `method`), the order is in another currency (`currency`)
    or is mode all (`mode_all`: a transfer cannot be voided). 403 `not_allowed` when this
    hold already pays another way (`reason` `transfer` or `checkout`): release it first.
    422 `unsupported` for a card when the payee's own Stripe account cannot take payments
    now (`reason` `payout_paused`: choose another method, or try later), or when the order
    is mode all and collects for longer than a card holds money (`hold_lifetime`).

    403 `hold_not_yours` when the payer already holds a part and the secret is missing or
    wrong. 429 `too_many_holds` (with `Retry-After`) when this client (address, IPv6 /64)
    holds too many parts of the order or took too many lately. Telegram Payments are
    bot-only (the checkout is an invoice in a private chat): 422.
    """
    try:
        res = await _reserve(ctx, token, body, source_of(request), hold_secret)
    except Unsupported as exc:
        raise render.for_payer(exc) from None
    if not res.created:
        response.status_code = 200
    return render.reservation(res, ctx.links)


@router.get(
    "/{token}/hold",
    summary="Read my hold again",
    responses=error_responses(403, 404, 503),
)
async def read_hold(token: str, ctx: Ctx, hold_secret: HoldSecret = None) -> ReserveOut:
    """The part the `Chipin-Hold` secret opens, its state and checkout URL, or how to pay it
    by transfer while it is held or claimed (no new secret).

    403 `hold_not_yours` without the header, with a wrong secret, or once the hold ended.
    """
    res = await ctx.engine.held_part(token, hold_secret)
    how: Instructions | None = None
    if res.sub.transfer_ref is not None and res.sub.state in _PAYING:
        try:
            how = await ctx.engine.transfer_instructions(token, res.sub.transfer_ref)
        except NotFound:
            how = None  # the payee removed the method since
    return render.reservation(res, ctx.links, how)


@router.get(
    "/{token}/receipt",
    summary="The receipt of my paid part",
    responses=error_responses(403, 404, 503),
)
async def my_receipt(token: str, ctx: Ctx, hold_secret: HoldSecret = None) -> ReceiptOut:
    """The receipt of the part the `Chipin-Hold` secret opens, once it is paid (the same
    document the payee gets, for `chipin receipt verify`).

    403 `hold_not_yours` without the right secret; 404 while the part is not paid; 503
    `unavailable` while the ledger has no certificate authority.
    """
    found = await ctx.engine.payer_receipt(token, hold_secret)
    if ctx.chain_pem is None:
        raise Unavailable(NOT_SIGNING)
    return ReceiptOut.model_validate(receipt_json(found.receipt, ctx.chain_pem()))


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


@router.get(
    "/{token}/transfers/{reference}/qr.png",
    summary="The payment QR code of a transfer",
    response_class=Response,
    responses={
        200: {**PNG, "description": "EPC069-12 (sepa), PIX BR Code or UPI link, as a QR code."},
        **error_responses(404, 503),
    },
)
async def transfer_qr(token: str, reference: Reference, ctx: Ctx) -> Response:
    """The QR code of the transfer's `payload` (error correction M, version 13 at most), for
    the payer's banking app to scan. No API key: the order's token and the reference are
    the secret; 404 if they do not go together, or the payee removed the method since."""
    how = await ctx.engine.transfer_instructions(token, reference)
    try:
        png = await asyncio.to_thread(payment_qr_png, how.payload)
    except ValueError:
        raise Unsupported(
            "these payment details are too long for a QR code; pay with them as text",
            reason="too_long",
        ) from None
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})


@router.post(
    "/{token}/claim",
    summary="Say I paid my part by transfer",
    responses=body_error_responses(403, 404, 409, 503),
)
async def claim(token: str, body: ClaimIn, ctx: Ctx, hold_secret: HoldSecret = None) -> ClaimOut:
    """After paying from the banking app: the part is `claimed`, held for the payer (not
    counted) until the payee confirms the money arrived or their bank statement shows it,
    or denies it (the part is free again), or the order ends. Saying it again answers the
    same claim. upi needs `utr` (422 naming it otherwise).

    403 `hold_not_yours` without the hold's `Chipin-Hold` secret; 409 `not_held` if the
    payer holds no part of the order paid by transfer; 409 `already_paid` once it counts;
    409 `order_closed` once the order ended.
    """
    transfer = await ctx.engine.claim_transfer(
        token, api_payer(body.payer), utr=body.utr, hold_secret=hold_secret
    )
    return render_methods.claim_out(transfer)
