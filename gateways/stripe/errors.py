"""Stripe's errors translated at the boundary: retry later, or refused for good."""

from __future__ import annotations

import stripe

from core.domain.errors import GatewayError, GatewayFinal, GatewayRetryable

# 409: a concurrent request with the same idempotency key is still running.
_RETRY_STATUSES = frozenset({409, 429})


def translate(exc: stripe.StripeError, operation: str) -> GatewayError:
    """GatewayRetryable for network trouble, rate limits and 5xx; GatewayFinal otherwise.

    The message names the operation, the error class, the HTTP status and Stripe's error
    code; never Stripe's free text, which can quote request parameters.
    """
    status = exc.http_status
    what = f"stripe {operation}: {type(exc).__name__} {status or '-'} {exc.code or ''}".rstrip()
    if isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError):
        return GatewayRetryable(what)
    if status is None or status >= 500 or status in _RETRY_STATUSES:
        return GatewayRetryable(what)
    return GatewayFinal(what)
