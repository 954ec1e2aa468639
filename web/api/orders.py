"""REST API v1 for payees: their orders (create, read, list, cancel, release a part), QR images."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Query, Response

from core.domain.errors import RefundNotConfirmed
from core.domain.params import build_request
from web.api import render
from web.api.auth import CurrentPayee
from web.api.schemas import CancelIn, CancelOut, CreateOrderIn, OrderListOut, OrderOut
from web.context import Ctx
from web.errors import body_error_responses, error_responses
from web.routing import keyed_router

router = keyed_router("/api/v1/orders", "orders")

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description=(
            "A retry with the same key and the same body returns the first order instead of "
            "a new one; the same key with another body is 422 idempotency_key_reused."
        ),
    ),
]
PNG = {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}}
NO_BODY = CancelIn()
#: A completed order is cancelled only on purpose: what the API tells a caller who did not say.
REFUND_FIRST = (
    "every part of this order is paid: cancelling it refunds every payer; send "
    '{"refund_paid": true} to cancel it and refund them'
)


@router.post(
    "",
    status_code=201,
    summary="Create an order",
    responses=body_error_responses(401, 422, 503),
)
async def create_order(
    body: CreateOrderIn, payee: CurrentPayee, ctx: Ctx, idempotency_key: IdempotencyKey = None
) -> OrderOut:
    """Split an amount into parts and open the order.

    With an `Idempotency-Key`, a replay with the same body answers 201 with the first order
    (its current state); the same key with another body (other amounts, title, mode,
    password, …) is 422 `idempotency_key_reused` and creates nothing.
    """
    req = build_request(body.to_raw(ctx.default_currency), ctx.max_amount_minor)
    view = await ctx.engine.create_order(payee, req, idempotency_key=idempotency_key)
    return render.order_out(view, ctx.links)


@router.get("", summary="List my orders", responses=error_responses(401, 422, 503))
async def list_orders(
    payee: CurrentPayee,
    ctx: Ctx,
    limit: Annotated[int, Query(description="1 to 100.")] = 20,
    offset: Annotated[int, Query(description="Orders to skip, newest first.")] = 0,
) -> OrderListOut:
    orders, total = await ctx.engine.list_orders(payee, limit, offset)
    items = [render.order_summary(o, ctx.links) for o in orders]
    return OrderListOut(items=items, total=total, limit=limit, offset=offset)


@router.get("/{order_id}", summary="Get an order", responses=error_responses(401, 404, 503))
async def get_order(order_id: str, payee: CurrentPayee, ctx: Ctx) -> OrderOut:
    view = await ctx.engine.get_order(order_id, payee)
    return render.order_out(view, ctx.links)


@router.post(
    "/{order_id}/cancel",
    summary="Cancel an order",
    responses=body_error_responses(401, 404, 409, 503),
)
async def cancel_order(
    order_id: str, payee: CurrentPayee, ctx: Ctx, body: CancelIn = NO_BODY
) -> CancelOut:
    """Close the order; every paid part is refunded (or its authorisation voided) and listed.

    An open order is cancelled as it is, its paid parts refunded. An order whose every part
    is paid (completed) is cancelled only with `{"refund_paid": true}`: without it, 409
    `refund_not_confirmed` and nothing changes. 409 `order_closed` once it expired or was
    cancelled.
    """
    try:
        result = await ctx.engine.cancel_order(order_id, payee, refund_paid=body.refund_paid)
    except RefundNotConfirmed as exc:
        raise RefundNotConfirmed(REFUND_FIRST, **exc.fields) from None
    return render.cancel_out(result, ctx.links)


@router.post(
    "/{order_id}/parts/{index}/release",
    summary="Release a held part",
    responses=error_responses(401, 404, 409, 503),
)
async def release_part(order_id: str, index: int, payee: CurrentPayee, ctx: Ctx) -> OrderOut:
    """Free one held part at once, whoever holds it; its checkout is closed at the gateway
    (a payment that got in first is refunded). 409 `not_held` if the part is not held."""
    view = await ctx.engine.release_part(order_id, index, payee)
    return render.order_out(view, ctx.links)


@router.get(
    "/{order_id}/qr.png",
    summary="The order's QR code",
    response_class=Response,
    responses={
        200: {**PNG, "description": "A PNG QR code of pay_url."},
        **error_responses(401, 404, 503),
    },
)
async def order_qr(order_id: str, payee: CurrentPayee, ctx: Ctx) -> Response:
    view = await ctx.engine.get_order(order_id, payee)
    token = view.order.token
    png = await ctx.qr.png(token, ctx.links.pay(token))
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, max-age=300"})
