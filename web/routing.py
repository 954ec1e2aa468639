"""The route class of every Chipin route (exact JSON numbers, storable text, no raw errors)."""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from web.errors import HANDLED, error_responses, render_unexpected
from web.unreadable import check_body

#: What a body not sent as JSON is told (curl's -d sends a form unless told otherwise).
NOT_JSON = (
    "the body must be JSON, sent with the header Content-Type: application/json "
    "(curl -d sends a form unless you add -H 'Content-Type: application/json')"
)


def is_json(content_type: str | None) -> bool:
    """application/json or application/<something>+json, with any parameters (charset)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    kind, _, subtype = media.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


class ExactJSONRequest(Request):
    """Parses JSON numbers with a fraction as Decimal, so 240.10 is never 240.09999999999999.

    Any body json.loads cannot take (not UTF-8, nested too deep, an integer of more than
    4300 digits) is reported as invalid JSON, which FastAPI answers 422, not a bare 400.
    """

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = json.loads(body, parse_float=Decimal)
            except json.JSONDecodeError:
                raise
            except (ValueError, RecursionError) as exc:
                raise json.JSONDecodeError("not a JSON document", "", 0) from exc
        return self._json

    async def check_body(self) -> None:
        """A body not declared JSON is 415 (FastAPI would call it a body that is not an
        object); a JSON body holding a string that no store can hold is 422 naming it. No
        body at all is left to the route (a required one is 422, as missing)."""
        if await self.body() and not is_json(self.headers.get("content-type")):
            raise HTTPException(415, NOT_JSON)
        await self._check_text()

    async def _check_text(self) -> None:
        """RequestValidationError (422) naming the first string of the JSON body that no
        store can hold. A body that is not JSON is left to FastAPI to refuse as such."""
        try:
            doc = await self.json()
        except json.JSONDecodeError:
            return
        check_body(doc)


class ChipinRoute(APIRoute):
    """Turns an unexpected failure (the database is down) into a logged 503, not a bare 500;
    checks a JSON body's content type and text (core.domain.text) before the route reads it:
    every route with a body takes JSON and lists web.errors.body_error_responses."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        where = (
            f"{','.join(sorted(self.methods or ()))} {self.path}"  # the template: no tokens in logs
        )
        takes_body = self.body_field is not None

        async def run(request: Request) -> Response:
            exact = ExactJSONRequest(request.scope, request.receive)
            try:
                if takes_body:
                    await exact.check_body()
                return await handler(exact)
            except HANDLED:
                raise
            except Exception as exc:
                return render_unexpected(exc, where)

        return run


def keyed_router(prefix: str, tag: str) -> APIRouter:
    """Routes that each take an API key: 401 without a right one, 429 after too many wrong ones."""
    return APIRouter(
        prefix=prefix, tags=[tag], route_class=ChipinRoute, responses=error_responses(401, 429)
    )
