"""API-key authentication: `Authorization: Bearer <key>` resolved to the payee who owns it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core.model import PayeeId
from web.context import Ctx
from web.errors import Unauthorized

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    bearerFormat="chp_…",
    description="A payee's API key (`chipin apikey create`), as `Authorization: Bearer <key>`.",
)


async def current_payee(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)], ctx: Ctx
) -> PayeeId:
    """The payee behind the key; 401 if there is no key or it is not a valid one."""
    if credentials is None:
        raise Unauthorized(invalid=False)
    payee_id = await ctx.engine.authenticate(credentials.credentials)
    if payee_id is None:
        raise Unauthorized(invalid=True)
    return payee_id


CurrentPayee = Annotated[PayeeId, Depends(current_payee)]
