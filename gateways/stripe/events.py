"""Stripe webhook events (already verified) read as GatewayEvents; unknown types are ignored."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from core.domain.text import is_storable
from core.ports.store import GatewayEvent, GatewayEventKind
from gateways.stripe.objects import Intent, Malformed, read_charge, read_intent

log = logging.getLogger(__name__)

INTENT_SUCCEEDED = "payment_intent.succeeded"
INTENT_CAPTURABLE = "payment_intent.amount_capturable_updated"
INTENT_FAILED = "payment_intent.payment_failed"
INTENT_CANCELED = "payment_intent.canceled"
CHARGE_REFUNDED = "charge.refunded"
CHARGE_CAPTURED = "charge.captured"

#: The event types to enable on the Stripe webhook endpoint (README says so too).
HANDLED_TYPES = (
    INTENT_SUCCEEDED,
    INTENT_CAPTURABLE,
    INTENT_FAILED,
    INTENT_CANCELED,
    CHARGE_REFUNDED,
    CHARGE_CAPTURED,
)

# The second reading of a canceled PaymentIntent gets its own id, deduplicated like any other.
RELEASED_SUFFIX = ":released"

Reader = Callable[[str, str, Mapping[str, Any]], list[GatewayEvent]]


def decode_event(gateway: str, doc: Mapping[str, Any]) -> list[GatewayEvent]:
    """The GatewayEvents one verified Stripe event stands for; Malformed if it is not one."""
    event_id = doc.get("id")
    event_type = doc.get("type")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 255 or not is_storable(event_id):
        raise Malformed("event has no id")
    if not isinstance(event_type, str):
        raise Malformed("event has no type")
    reader = _READERS.get(event_type)
    if reader is None:
        return [ignored(gateway, event_id)]
    data = doc.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    if not isinstance(obj, Mapping):
        raise Malformed("event has no data.object")
    return reader(gateway, event_id, obj)


def ignored(gateway: str, event_id: str) -> GatewayEvent:
    """Acknowledged and recorded, and nothing else: a type or object that is not ours."""
    return GatewayEvent(gateway, event_id, GatewayEventKind.IGNORED, "", "", 0, "")


def _event(
    gateway: str, event_id: str, kind: GatewayEventKind, intent: Intent, amount_minor: int
) -> GatewayEvent:
    return GatewayEvent(
        gateway=gateway,
        event_id=event_id,
        kind=kind,
        checkout_ref=intent.id,
        payment_ref=intent.id,
        amount_minor=amount_minor,
        currency=intent.currency,
        sub_order_id=intent.sub_order_id,
        payout_account=intent.destination,
        fee_minor=intent.fee_minor,
    )


def _ours(gateway: str, event_id: str, obj: Mapping[str, Any]) -> Intent | None:
    """The intent, if Chipin created it: money of other integrations on the same account
    is never counted, and never refunded by us either."""
    intent = read_intent(obj)
    if intent.sub_order_id is None:
        log.info("event %s: payment intent %s is not Chipin's; ignored", event_id, intent.id)
        return None
    return intent


def _succeeded(gateway: str, event_id: str, obj: Mapping[str, Any]) -> list[GatewayEvent]:
    intent = _ours(gateway, event_id, obj)
    if intent is None:
        return [ignored(gateway, event_id)]
    return [_event(gateway, event_id, GatewayEventKind.SUCCEEDED, intent, intent.moved_minor)]


def _capturable(gateway: str, event_id: str, obj: Mapping[str, Any]) -> list[GatewayEvent]:
    intent = _ours(gateway, event_id, obj)
    if intent is None or intent.status != "requires_capture":
        return [ignored(gateway, event_id)]
    return [_event(gateway, event_id, GatewayEventKind.AUTHORISED, intent, intent.moved_minor)]


def _failed(gateway: str, event_id: str, obj: Mapping[str, Any]) -> list[GatewayEvent]:
    intent = _ours(gateway, event_id, obj)
    if intent is None:
        return [ignored(gateway, event_id)]
    return [_event(gateway, event_id, GatewayEventKind.FAILED, intent, intent.amount_minor)]


def _canceled(gateway: str, event_id: str, obj: Mapping[str, Any]) -> list[GatewayEvent]:
    """A canceled intent either held money (an authorisation, now voided) or never did (a
    checkout closed unpaid). The payload cannot tell which for sure, but the engine can:
    VOIDED acts only on a recorded authorisation, FAILED only on a hold still waiting for
    this checkout. So both readings go on, and the one that does not apply changes nothing.
    """
    intent = _ours(gateway, event_id, obj)
    if intent is None:
        return [ignored(gateway, event_id)]
    return [
        _event(gateway, event_id, GatewayEventKind.VOIDED, intent, intent.amount_minor),
        _event(
            gateway,
            event_id + RELEASED_SUFFIX,
            GatewayEventKind.FAILED,
            intent,
            intent.amount_minor,
        ),
    ]


def _charge_event(
    gateway: str, event_id: str, kind: GatewayEventKind, intent_id: str, amount: int, cur: str
) -> GatewayEvent:
    # A charge carries no metadata of ours: the engine finds the payment by its intent id.
    return GatewayEvent(gateway, event_id, kind, intent_id, intent_id, amount, cur)


def _refunded(gateway: str, event_id: str, obj: Mapping[str, Any]) -> list[GatewayEvent]:
    charge = read_charge(obj)
    if charge.intent_id is None or not charge.captured:
        # An authorisation released by a cancel is reported as refunded too:
        # payment_intent.canceled says that already.
        return [ignored(gateway, event_id)]
    if not (charge.refunded or charge.refunded_minor >= charge.amount_minor):
        log.warning(
            "event %s: charge %s of %s partly refunded (%d of %d); left to the payee",
            event_id,
            charge.id,
            charge.intent_id,
            charge.refunded_minor,
            charge.amount_minor,
        )
        return [ignored(gateway, event_id)]
    kind = GatewayEventKind.REFUNDED
    return [
        _charge_event(
            gateway, event_id, kind, charge.intent_id, charge.amount_minor, charge.currency
        )
    ]


def _captured(gateway: str, event_id: str, obj: Mapping[str, Any]) -> list[GatewayEvent]:
    charge = read_charge(obj)
    if charge.intent_id is None or not charge.captured:
        return [ignored(gateway, event_id)]
    amount = charge.captured_minor or charge.amount_minor
    kind = GatewayEventKind.CAPTURED
    return [_charge_event(gateway, event_id, kind, charge.intent_id, amount, charge.currency)]


_READERS: Mapping[str, Reader] = {
    INTENT_SUCCEEDED: _succeeded,
    INTENT_CAPTURABLE: _capturable,
    INTENT_FAILED: _failed,
    INTENT_CANCELED: _canceled,
    CHARGE_REFUNDED: _refunded,
    CHARGE_CAPTURED: _captured,
}
