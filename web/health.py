"""The health check: 200 while the database answers, 503 otherwise."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from web.api.schemas import HealthOut
from web.context import Ctx
from web.routing import ChipinRoute

log = logging.getLogger(__name__)

HEALTH_TIMEOUT_S = 5.0

router = APIRouter(tags=["health"], route_class=ChipinRoute)


@router.get(
    "/healthz",
    summary="Health check",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "The database does not answer."}},
)
async def healthz(ctx: Ctx) -> JSONResponse:
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_S):
            ok = await ctx.health()
    except Exception as exc:  # a health probe must answer, whatever broke
        log.warning("health check failed: %s", type(exc).__name__)
        ok = False
    if ok:
        return JSONResponse({"status": "ok"})
    return JSONResponse({"status": "unavailable"}, status_code=503)
