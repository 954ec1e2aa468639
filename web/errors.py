"""Every error the listener can answer, mapped to an HTTP status and a JSON body in one place."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError, ResponseValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException
from starlette.responses import Response

from core.domain.errors import (
    DomainError,
    GatewayError,
    InvalidInput,
    InvariantViolation,
    WebhookRejected,
)
from web.api.validation import explain_all

log = logging.getLogger(__name__)

#: DomainError.code -> HTTP status. Every closed state (completed, expired, cancelled) is 409:
#: the body's `state` says which, so clients need not tell 409 from 410.
DOMAIN_STATUS: dict[str, int] = {
    "invalid_input": 422,
    "not_found": 404,
    "order_full": 409,
    "order_closed": 409,
    "already_paid": 409,
    "wrong_password": 403,
    "locked_out": 429,
    "too_many_holds": 429,
    "hold_not_yours": 403,
    "not_held": 409,
    "not_allowed": 403,
    "conflict": 409,
    "unsupported": 422,
    "unavailable": 503,
    "code_inactive": 409,
    "statement_unreadable": 422,
    "refund_not_confirmed": 409,
    # as the IETF httpapi Idempotency-Key draft answers a key reused with another payload
    "idempotency_key_reused": 422,
}
GATEWAY_RETRYABLE_STATUS = 503
GATEWAY_FINAL_STATUS = 502
RETRY_AFTER_S = 10

_HTTP_CODES: dict[int, str] = {
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
}


class ErrorDetail(BaseModel):
    field: str
    message: str


class ApiError(BaseModel):
    """The body of every error answer; `error` is stable, `message` is for people."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(examples=["invalid_input"])
    message: str = Field(examples=["payers: must be a whole number"])
    field: str | None = Field(default=None, description="The input at fault, for invalid_input.")
    state: str | None = Field(default=None, description="The order's state, for order_closed.")
    details: list[ErrorDetail] | None = Field(
        default=None, description="Every field at fault, when the request failed validation."
    )


class Unauthorized(Exception):
    """No API key, or one that is not valid; the key itself is never repeated."""

    def __init__(self, *, invalid: bool) -> None:
        super().__init__("invalid API key" if invalid else "missing API key")
        self.invalid = invalid


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the error statuses a route can answer.

    422 is always listed: FastAPI would otherwise document its own validation body for it.
    """
    return {status: {"model": ApiError} for status in sorted({*statuses, 422})}


def body_error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """error_responses for a route that takes a JSON body: it may also answer 413 (over
    64 KiB) and 415 (not sent as JSON, web.routing)."""
    return error_responses(*statuses, 413, 415)


def _json(status: int, body: dict[str, Any], headers: Mapping[str, str] | None = None) -> Response:
    clean = {k: v for k, v in body.items() if v is not None}
    return JSONResponse(clean, status_code=status, headers=headers)


def render_domain(exc: DomainError) -> Response:
    status = DOMAIN_STATUS.get(exc.code, 400)
    # an InvalidInput's template values are for the bot's catalogs; the API names the field only
    fields = {"field": exc.field} if isinstance(exc, InvalidInput) else exc.fields
    extra = {
        k: v
        for k, v in fields.items()
        if isinstance(v, str | int | bool) and k not in ("error", "message")
    }
    retry_s = exc.fields.get("retry_after_s")
    headers = {"Retry-After": str(retry_s)} if isinstance(retry_s, int) else None
    return _json(status, {"error": exc.code, "message": exc.message, **extra}, headers)


def render_gateway(exc: GatewayError) -> Response:
    log.warning("gateway call failed: %s", type(exc).__name__)
    if exc.retryable:
        message = "the payment provider is not answering; try again shortly"
        headers = {"Retry-After": str(RETRY_AFTER_S)}
        return _json(
            GATEWAY_RETRYABLE_STATUS, {"error": "gateway_unavailable", "message": message}, headers
        )
    message = "the payment provider refused the request"
    return _json(GATEWAY_FINAL_STATUS, {"error": "gateway_refused", "message": message})


def render_webhook_rejected(exc: WebhookRejected) -> Response:
    status = exc.status if 400 <= exc.status < 500 else 400
    return _json(status, {"ok": False, "error": "webhook_rejected", "message": exc.reason})


def render_validation(exc: RequestValidationError) -> Response:
    details = explain_all(exc.errors())
    first = details[0] if details else {"field": "body", "message": "the request is not valid"}
    body = {"error": "invalid_input", **first, "details": details}
    return _json(422, body)


def render_unauthorized(exc: Unauthorized) -> Response:
    challenge = 'Bearer error="invalid_token"' if exc.invalid else "Bearer"
    message = (
        "the API key is not valid"
        if exc.invalid
        else "an API key is required: send Authorization: Bearer <key>"
    )
    return _json(
        401, {"error": "unauthorized", "message": message}, {"WWW-Authenticate": challenge}
    )


def render_http(exc: HTTPException) -> Response:
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return _json(exc.status_code, {"error": code, "message": str(exc.detail)}, exc.headers)


def render_unexpected(exc: Exception, where: str) -> Response:
    """A database outage or a bug: logged with its traceback, answered without details.

    503 asks the caller (a gateway above all) to retry later; a bug (a broken invariant,
    an answer that does not fit its schema) is a 500.
    """
    if isinstance(exc, InvariantViolation | ResponseValidationError):
        level = logging.CRITICAL if isinstance(exc, InvariantViolation) else logging.ERROR
        log.log(level, "bug in %s: %s", where, type(exc).__name__, exc_info=exc)
        return _json(500, {"error": "internal", "message": "internal error"})
    log.error("%s failed: %s", where, type(exc).__name__, exc_info=exc)
    message = "the service is temporarily unavailable; try again shortly"
    return _json(
        503, {"error": "unavailable", "message": message}, {"Retry-After": str(RETRY_AFTER_S)}
    )


def render(exc: Exception) -> Response:
    """The single dispatch from an exception to its answer."""
    if isinstance(exc, DomainError):
        return render_domain(exc)
    if isinstance(exc, GatewayError):
        return render_gateway(exc)
    if isinstance(exc, WebhookRejected):
        return render_webhook_rejected(exc)
    if isinstance(exc, RequestValidationError):
        return render_validation(exc)
    if isinstance(exc, Unauthorized):
        return render_unauthorized(exc)
    if isinstance(exc, HTTPException):
        return render_http(exc)
    return render_unexpected(exc, "request")


#: Exceptions with a deliberate answer; anything else is unexpected (see render_unexpected).
HANDLED: tuple[type[Exception], ...] = (
    DomainError,
    GatewayError,
    WebhookRejected,
    RequestValidationError,
    Unauthorized,
    HTTPException,
)


async def _handle(request: Request, exc: Exception) -> Response:
    return render(exc)


def install_error_handlers(app: FastAPI) -> None:
    for kind in HANDLED:
        app.add_exception_handler(kind, _handle)
