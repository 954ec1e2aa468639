"""Stripe webhooks verified: the `Stripe-Signature` header over the raw body, one endpoint's
secret (the account's endpoint and the Connect endpoint each have their own)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import stripe

from core.domain.errors import WebhookRejected, invariant

SIGNATURE_HEADER = "Stripe-Signature"
MAX_WEBHOOK_BYTES = 64 * 1024


def verified_event(
    body: bytes, headers: Mapping[str, str], secret: str, now: datetime
) -> dict[str, Any]:
    """The event as a dict once its signature checks out (stripe-python, default tolerance,
    against the system clock); WebhookRejected if it does not, or if it is not an event."""
    invariant(now.tzinfo is not None, "a webhook is read with an aware datetime")
    if len(body) > MAX_WEBHOOK_BYTES:
        raise WebhookRejected("payload too large")
    signature = header(headers, SIGNATURE_HEADER)
    if signature is None:
        raise WebhookRejected("missing signature header")
    try:
        event = stripe.Webhook.construct_event(body, signature, secret)
    except stripe.SignatureVerificationError as exc:
        raise WebhookRejected("bad signature") from exc
    except (ValueError, TypeError, AttributeError, RecursionError) as exc:
        # Signed but not an event: not UTF-8, not JSON (or nested past the parser's depth),
        # a thin event, or JSON that is not an object (stripe-python then fails on it with
        # AttributeError).
        raise WebhookRejected("payload is not a Stripe event") from exc
    found: dict[str, Any] = event.to_dict()
    return found


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive lookup over any mapping (a dict or Starlette's Headers)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None
