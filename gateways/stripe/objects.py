"""Stripe's objects read into ours: the PaymentIntent and Charge fields Chipin uses, checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.domain.money import MAX_MINOR
from core.domain.text import is_storable
from core.ports.store import CheckoutState, CheckoutStatus

META_SUB_ORDER = "chipin_sub_order"
META_ORDER = "chipin_order"
META_DESCRIPTION = "chipin_description"

MAX_ID_CHARS = 255

_STATUS = {
    "requires_payment_method": CheckoutStatus.OPEN,
    "requires_confirmation": CheckoutStatus.OPEN,
    "requires_action": CheckoutStatus.OPEN,
    "processing": CheckoutStatus.OPEN,
    "requires_capture": CheckoutStatus.AUTHORISED,
    "succeeded": CheckoutStatus.SUCCEEDED,
    "canceled": CheckoutStatus.CANCELLED,
}


class Malformed(ValueError):
    """A Stripe object lacks a field Chipin needs, or has it in a shape we do not expect."""


@dataclass(frozen=True, slots=True)
class Intent:
    """A PaymentIntent as Chipin sees it. Amounts are in Stripe's minor units, like ours."""

    id: str
    status: str
    amount_minor: int
    received_minor: int | None
    capturable_minor: int | None
    currency: str  # upper case, like our Currency codes
    manual: bool
    declined: bool  # the last attempt failed (last_payment_error is set)
    sub_order_id: str | None  # None: not a PaymentIntent Chipin created
    description: str
    client_secret: str | None = field(repr=False, default=None)
    # a destination charge: the connected account it pays into, and the platform's fee
    destination: str | None = None
    fee_minor: int = 0

    @property
    def checkout_status(self) -> CheckoutStatus:
        if self.status == "requires_payment_method" and self.declined:
            return CheckoutStatus.FAILED
        # A status Stripe adds later is read as still open: nothing is done on it.
        return _STATUS.get(self.status, CheckoutStatus.OPEN)

    @property
    def moved_minor(self) -> int:
        """The money this intent holds or took: received, else capturable, else its amount."""
        if self.status == "succeeded" and self.received_minor:
            return self.received_minor
        if self.status == "requires_capture" and self.capturable_minor:
            return self.capturable_minor
        return self.amount_minor

    def state(self) -> CheckoutState:
        status = self.checkout_status
        paid = status in (CheckoutStatus.SUCCEEDED, CheckoutStatus.AUTHORISED)
        return CheckoutState(
            ref=self.id,
            status=status,
            # The PaymentIntent id is the payment's reference too: webhooks about its
            # charge (refunded, captured) name it, so one id serves every event.
            payment_ref=self.id if paid else None,
            amount_minor=self.moved_minor,
            currency=self.currency,
            payout_account=self.destination,
            fee_minor=self.fee_minor,
        )


@dataclass(frozen=True, slots=True)
class Charge:
    id: str
    intent_id: str | None
    amount_minor: int
    captured_minor: int | None
    refunded_minor: int
    refunded: bool
    captured: bool
    currency: str


def read_intent(doc: Mapping[str, Any]) -> Intent:
    """Check and read a PaymentIntent (from the API or a webhook); Malformed if it is not one."""
    if doc.get("object") != "payment_intent":
        raise Malformed("not a payment_intent")
    metadata = _metadata(doc)
    return Intent(
        id=_text(doc, "id"),
        status=_text(doc, "status"),
        amount_minor=_amount(doc, "amount"),
        received_minor=_optional_amount(doc, "amount_received"),
        capturable_minor=_optional_amount(doc, "amount_capturable"),
        currency=_currency(doc),
        manual=doc.get("capture_method") == "manual",
        declined=bool(doc.get("last_payment_error")),
        sub_order_id=_optional_text(metadata, META_SUB_ORDER),
        description=_optional_text(metadata, META_DESCRIPTION, 500) or "",
        client_secret=_optional_text(doc, "client_secret"),
        destination=_destination(doc),
        fee_minor=_optional_amount(doc, "application_fee_amount") or 0,
    )


def read_charge(doc: Mapping[str, Any]) -> Charge:
    if doc.get("object") != "charge":
        raise Malformed("not a charge")
    return Charge(
        id=_text(doc, "id"),
        intent_id=_intent_id(doc.get("payment_intent")),
        amount_minor=_amount(doc, "amount"),
        captured_minor=_optional_amount(doc, "amount_captured"),
        refunded_minor=_optional_amount(doc, "amount_refunded") or 0,
        refunded=doc.get("refunded") is True,
        captured=doc.get("captured") is True,
        currency=_currency(doc),
    )


def _destination(doc: Mapping[str, Any]) -> str | None:
    """`transfer_data.destination`: the account id (or, expanded, the account)."""
    data = doc.get("transfer_data")
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise Malformed("field 'transfer_data' is malformed")
    value = data.get("destination")
    if isinstance(value, Mapping):
        value = value.get("id")
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith("acct_") or len(value) > MAX_ID_CHARS:
        raise Malformed("field 'transfer_data.destination' is malformed")
    if not is_storable(value):
        raise Malformed("field 'transfer_data.destination' is malformed")
    return value


def _intent_id(value: object) -> str | None:
    """A charge names its PaymentIntent by id (or, expanded, as the object)."""
    if isinstance(value, Mapping):
        value = value.get("id")
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID_CHARS or not is_storable(value):
        raise Malformed("field 'payment_intent' is malformed")
    return value


def _text(doc: Mapping[str, Any], name: str) -> str:
    value = doc.get(name)
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID_CHARS or not is_storable(value):
        raise Malformed(f"field {name!r} is malformed")
    return value


def _optional_text(doc: Mapping[str, Any], name: str, max_chars: int = MAX_ID_CHARS) -> str | None:
    value = doc.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > max_chars or not is_storable(value):
        raise Malformed(f"field {name!r} is malformed")
    return value


def _amount(doc: Mapping[str, Any], name: str) -> int:
    value = _optional_amount(doc, name)
    if value is None:
        raise Malformed(f"field {name!r} is missing")
    return value


def _optional_amount(doc: Mapping[str, Any], name: str) -> int | None:
    value = doc.get(name)
    if value is None:
        return None
    # bool is an int in Python; an amount of `true` is not an amount; past BIGINT no
    # column holds it (refused as malformed, never retried as a database error).
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_MINOR:
        raise Malformed(f"field {name!r} is malformed")
    return value


def _currency(doc: Mapping[str, Any]) -> str:
    value = doc.get("currency")
    if not isinstance(value, str) or not (len(value) == 3 and value.isascii() and value.isalpha()):
        raise Malformed("field 'currency' is malformed")
    return value.upper()


def _metadata(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    value = doc.get("metadata")
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise Malformed("field 'metadata' is malformed")
    return value
