"""Gateway webhooks: the raw body (64 KiB at most) goes to the engine to verify and settle."""

from __future__ import annotations

from fastapi import APIRouter, Request

from web.api.schemas import WebhookOut
from web.context import Ctx
from web.errors import error_responses
from web.routing import ChipinRoute

MAX_WEBHOOK_BYTES = 64 * 1024

router = APIRouter(tags=["webhooks"], route_class=ChipinRoute)


@router.post(
    "/webhooks/{gateway}",
    summary="A payment gateway's notification",
    max_body_size=MAX_WEBHOOK_BYTES,
    responses=error_responses(400, 401, 404, 413, 503),
)
async def receive_webhook(gateway: str, request: Request, ctx: Ctx) -> WebhookOut:
    """200 once applied (or a duplicate, ignored, refunding); 4xx if rejected, nothing changed.

    A 503 asks the gateway to deliver again later: nothing was committed.
    """
    body = await request.body()
    outcomes = await ctx.engine.handle_webhook(gateway, body, request.headers)
    return WebhookOut(ok=True, outcomes=[o.value for o in outcomes])


@router.post(
    "/webhooks/stripe/connect",
    summary="Stripe Connect's notification about a payee's account",
    max_body_size=MAX_WEBHOOK_BYTES,
    responses=error_responses(400, 401, 404, 413, 503),
)
async def receive_connect_webhook(request: Request, ctx: Ctx) -> WebhookOut:
    """The Connect endpoint (its own signing secret, STRIPE_CONNECT_WEBHOOK_SECRET): each
    account an `account.updated` names is looked up again and its state stored. 200 once
    applied (a repeat changes nothing); 401 for a bad signature; 503 when Connect is not set
    up here, or to ask Stripe to deliver again later.
    """
    body = await request.body()
    changed = await ctx.engine.handle_account_webhook(body, request.headers)
    return WebhookOut(ok=True, outcomes=["changed"] * changed)
