"""REST API v1 for a payee's bank statements: upload one (CAMT.053, MT940, OFX) and its booked
credits confirm the transfers whose reference and amount they carry.

The file is the raw request body, not a form: `curl --data-binary @statement.xml`. It may be
up to 5 MB, past the 64 KiB every other body is held to (web.app reads BODY_LIMITS).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import Query, Request
from starlette.exceptions import HTTPException

from core.usecases.payments.statements import MAX_FILE_BYTES
from web.api.auth import CurrentPayee
from web.api.render_methods import import_report, statement_line
from web.api.schemas_methods import StatementLinesOut, StatementReportOut
from web.context import Ctx
from web.errors import error_responses
from web.routing import keyed_router

router = keyed_router("/api/v1/statements", "statements")

PATH = "/api/v1/statements"
LIMIT = MAX_FILE_BYTES
LIMIT_TEXT = f"{MAX_FILE_BYTES // 2**20} MB"
# forms are refused: a statement is sent as it is (curl --data sends a form and drops newlines)
FORMS = ("multipart/form-data", "application/x-www-form-urlencoded")

_FILE = {"schema": {"type": "string", "format": "binary"}}
BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": (
            "The statement file itself as the body (not a form), up to "
            f"{LIMIT_TEXT}: CAMT.053 (XML, versions 02 to 13), MT940 or OFX. The format is "
            "told by the content; any Content-Type but a form's is taken."
        ),
        "content": {"application/octet-stream": _FILE},
    }
}


def too_large() -> HTTPException:
    return HTTPException(413, f"the statement is over {LIMIT_TEXT}; Chipin reads up to that")


async def read_file(request: Request) -> bytes:
    """The body, read no further than one byte past MAX_FILE_BYTES (413 then)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in FORMS:
        raise HTTPException(
            415,
            "send the statement file itself as the body (curl --data-binary @FILE), not a form",
        )
    data = bytearray()
    try:
        async for chunk in request.stream():
            data += chunk
            if len(data) > MAX_FILE_BYTES:
                raise too_large()
    except HTTPException as exc:
        if exc.status_code != 413:
            raise
        raise too_large() from None  # the route's own limit (a chunk past it)
    return bytes(data)


@router.post(
    "",
    summary="Import a bank statement",
    openapi_extra=BODY,
    max_body_size=MAX_FILE_BYTES,
    responses=error_responses(401, 413, 415, 422, 503),
)
async def import_statement(
    request: Request,
    payee: CurrentPayee,
    ctx: Ctx,
    filename: Annotated[
        str | None,
        Query(max_length=200, description="The file's name: a hint when it is no statement."),
    ] = None,
) -> StatementReportOut:
    """Each booked credit (not pending lines, debits or reversals) that carries the
    reference of one of my transfers, in any of its fields, with exactly its amount, counts
    that part as if I had confirmed it; money whose part cannot count any more is recorded
    to return by hand. Each line is kept by its hash: uploading the same file again, or a
    later one that overlaps it, changes nothing (`imported_again`). `to_check` lists the new
    lines to look at myself.

    413 `too_large` past 5 MB; 415 for a form (send the file as the body); 422
    `statement_unreadable` with what is wrong (not CAMT.053, MT940 or OFX, a PDF, a
    currency Chipin does not know, …); nothing changed then.
    """
    data = await read_file(request)
    statement = await asyncio.to_thread(ctx.engine.read_statement, data, filename)
    return import_report(await ctx.engine.import_statement(payee, statement))


@router.get(
    "/lines",
    summary="Imported lines that need me",
    responses=error_responses(401, 503),
)
async def lines(payee: CurrentPayee, ctx: Ctx) -> StatementLinesOut:
    """Credits that carried one of my references with another amount (underpaid,
    overpaid) or none of mine (unmatched), newest first, at most 100."""
    found = await ctx.engine.statement_lines(payee)
    return StatementLinesOut(items=[statement_line(line) for line in found])
