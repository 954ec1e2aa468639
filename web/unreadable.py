"""Text no store can hold (core.domain.text) in a path, a query or a JSON body: a 422 naming it.

Checked before any route runs, so no handler, engine call, hash or database driver ever
sees a lone surrogate or a NUL. The path and the query are checked for every route (API,
pages, the sandbox's checkout); JSON bodies by ChipinRoute, once parsed (web.routing).
Webhook bodies are the gateways' to read, after their signature is checked.
"""

from __future__ import annotations

from fastapi.exceptions import RequestValidationError
from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from core.domain.text import JsonPath, first_unstorable, is_storable
from web.errors import render

TEXT_INVALID = "text_invalid"


def unreadable(loc: JsonPath) -> RequestValidationError:
    """The validation error for the text at `loc` (('body', 'title'), ('query', 'order_id'))."""
    error = {"type": TEXT_INVALID, "loc": loc, "msg": "text that cannot be stored", "input": None}
    return RequestValidationError([error])


def check_body(doc: object) -> None:
    """RequestValidationError naming the first string of a JSON body no store can hold."""
    where = first_unstorable(doc)
    if where is not None:
        raise unreadable(("body", *where))


def unreadable_in_url(scope: Scope) -> JsonPath | None:
    """Where the path or the query holds text no store can hold: ('path',), ('query', <name>)
    or ('query',) for a name that is bad itself; None when both are fine.

    Servers decode %-escapes with replacement characters, so only a NUL gets this far from
    the wire; a lone surrogate would need an ASGI server less careful than uvicorn.
    """
    if not is_storable(scope.get("path", "")):
        return ("path",)
    for key, value in QueryParams(scope.get("query_string", b"")).multi_items():
        if not is_storable(key):
            return ("query",)
        if not is_storable(value):
            return ("query", key)
    return None


def refuse_unreadable_urls(app: ASGIApp) -> ASGIApp:
    """An ASGI wrapper answering 422 (our error shape) for a path or query with bad text."""

    async def check(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            where = unreadable_in_url(scope)
            if where is not None:
                await render(unreadable(where))(scope, receive, send)
                return
        await app(scope, receive, send)

    return check
