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
