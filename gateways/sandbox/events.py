"""The sandbox's webhook event wire format: build the JSON we send, parse what we receive."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.domain.errors import WebhookRejected
from core.domain.money import MAX_MINOR
from core.domain.text import is_storable
from core.ports.store import GatewayEvent, GatewayEventKind

CHECKOUT_SUCCEEDED = "checkout.succeeded"
CHECKOUT_AUTHORISED = "checkout.authorised"
CHECKOUT_FAILED = "checkout.failed"
PAYMENT_CAPTURED = "payment.captured"
PAYMENT_REFUNDED = "payment.refunded"
PAYMENT_VOIDED = "payment.voided"

EVENT_KINDS: Mapping[str, GatewayEventKind] = {
    CHECKOUT_SUCCEEDED: GatewayEventKind.SUCCEEDED,
    CHECKOUT_AUTHORISED: GatewayEventKind.AUTHORISED,
    CHECKOUT_FAILED: GatewayEventKind.FAILED,
    PAYMENT_CAPTURED: GatewayEventKind.CAPTURED,
    PAYMENT_REFUNDED: GatewayEventKind.REFUNDED,
    PAYMENT_VOIDED: GatewayEventKind.VOIDED,
}

_MAX_ID_CHARS = 255


@dataclass(frozen=True, slots=True)
class EventData:
    """What one event says about a checkout and its payment."""

    checkout_ref: str
    payment_ref: str | None
    amount_minor: int
    currency: str
    sub_order_id: str
    order_id: str


def encode_event(event_id: str, event_type: str, created_s: int, data: EventData) -> bytes:
    """The exact bytes of one event (compact, stable key order)."""
    doc = {
        "id": event_id,
        "type": event_type,
        "created": created_s,
        "data": {
            "checkout": data.checkout_ref,
            "payment": data.payment_ref,
            "amount_minor": data.amount_minor,
            "currency": data.currency,
            "metadata": {"sub_order_id": data.sub_order_id, "order_id": data.order_id},
        },
    }
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()


def decode_event(gateway: str, body: bytes) -> GatewayEvent:
    """Parse a verified body into a GatewayEvent; WebhookRejected if it is not one of ours."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError
        raise WebhookRejected("body is not JSON") from exc
    if not isinstance(doc, dict):
        raise WebhookRejected("event is not an object")
    event_id = _text(doc, "id")
    kind = EVENT_KINDS.get(_text(doc, "type"), GatewayEventKind.IGNORED)
    if kind == GatewayEventKind.IGNORED:
        # Acknowledged whatever its data: types we do not know carry other shapes.
        return GatewayEvent(gateway, event_id, kind, "", "", 0, "")
    data = doc.get("data")
    if not isinstance(data, dict):
        raise WebhookRejected("event has no data object")
    checkout_ref = _text(data, "checkout")
    payment = data.get("payment")
    if payment is not None and not (
        isinstance(payment, str) and 0 < len(payment) <= _MAX_ID_CHARS and is_storable(payment)
    ):
        raise WebhookRejected("event field 'payment' is malformed")
    return GatewayEvent(
        gateway=gateway,
        event_id=event_id,
        kind=kind,
        checkout_ref=checkout_ref,
        # A declined checkout has no payment; core keys on the checkout then.
        payment_ref=payment or checkout_ref,
        amount_minor=_amount(data),
        currency=_text(data, "currency"),
        sub_order_id=_sub_order_id(data),
    )


def _text(doc: Mapping[str, Any], field: str) -> str:
    value = doc.get(field)
    if not isinstance(value, str) or not 0 < len(value) <= _MAX_ID_CHARS or not is_storable(value):
        raise WebhookRejected(f"event field {field!r} is malformed")
    return value


def _amount(data: Mapping[str, Any]) -> int:
    value = data.get("amount_minor")
    # bool is an int in Python; an amount of `true` is not an amount. Past BIGINT no
    # column holds it: refused here, not retried for ever as a database error.
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_MINOR:
        raise WebhookRejected("event field 'amount_minor' is malformed")
    return value


def _sub_order_id(data: Mapping[str, Any]) -> str | None:
    metadata = data.get("metadata")
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        raise WebhookRejected("event field 'metadata' is malformed")
    value = metadata.get("sub_order_id")
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > _MAX_ID_CHARS or not is_storable(value):
        raise WebhookRejected("event field 'sub_order_id' is malformed")
    return value
