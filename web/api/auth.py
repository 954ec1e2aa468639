"""API-key authentication: `Authorization: Bearer <key>` resolved to the payee who owns it.

Wrong keys are rate-limited per client address (web.api.keyguard): past the limit, the
address gets 429 with Retry-After and its keys are not even looked up.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core.domain.errors import LockedOut
from core.domain.model import PayeeId
from web.clients import client_of
from web.context import Ctx
from web.errors import Unauthorized

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    bearerFormat="chp_…",
    description="A payee's API key (`chipin apikey create`), as `Authorization: Bearer <key>`.",
)


async def current_payee(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    request: Request,
    ctx: Ctx,
) -> PayeeId:
    """The payee behind the key; 401 if there is no key or it is not a valid one, 429 if
    this address sent too many wrong keys lately."""
    if credentials is None:
        raise Unauthorized(invalid=False)
    client = client_of(request)
    wait_s = ctx.key_guard.blocked_for_s(client)
    if wait_s is not None:
        raise LockedOut(
            f"too many wrong API keys from this address; try again in {wait_s} s",
            retry_after_s=wait_s,
        )
    payee_id = await ctx.engine.authenticate(credentials.credentials)
    if payee_id is None:
        ctx.key_guard.failed(client)
        raise Unauthorized(invalid=True)
    return payee_id


CurrentPayee = Annotated[PayeeId, Depends(current_payee)]
