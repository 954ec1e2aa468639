"""parse_webhook of the Stripe gateway: Stripe-Signature first, then each event type's reading."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from core.domain.errors import InvariantViolation, WebhookRejected
from core.ports.store import GatewayEvent, GatewayEventKind
from gateways.stripe import SIGNATURE_HEADER, StripeGateway
from gateways.stripe.events import RELEASED_SUFFIX
from tests.gateways.stripe_rig import (
    API_KEY,
    LINK_KEY,
    PUBLISHABLE_KEY,
    WEBHOOK_SECRET,
    Delivery,
    event_doc,
    signed,
)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)  # Stripe's library checks the system clock


@pytest.fixture
async def gw() -> AsyncIterator[StripeGateway]:
    # parse_webhook makes no calls: no Stripe is needed here.
    gateway = StripeGateway(
        API_KEY, PUBLISHABLE_KEY, WEBHOOK_SECRET, "https://chipin.example", LINK_KEY
    )
    yield gateway
    await gateway.close()


def intent(**fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": "pi_1",
        "object": "payment_intent",
        "amount": 1250,
        "amount_received": 1250,
        "amount_capturable": 0,
        "currency": "usd",
        "status": "succeeded",
        "capture_method": "automatic_async",
        "client_secret": "pi_1_secret_abc",
        "latest_charge": "ch_1",
        "last_payment_error": None,
        "metadata": {"chipin_sub_order": "sub_1", "chipin_order": "ord_1"},
    }
    doc.update(fields)
    return doc


def charge(**fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": "ch_1",
        "object": "charge",
        "amount": 1250,
        "amount_captured": 1250,
        "amount_refunded": 1250,
        "captured": True,
        "refunded": True,
        "currency": "usd",
        "payment_intent": "pi_1",
        "metadata": {},
    }
    doc.update(fields)
    return doc


def parse(gw: StripeGateway, d: Delivery) -> list[GatewayEvent]:
    return gw.parse_webhook(d.body, d.headers, NOW)


def rejected(gw: StripeGateway, body: bytes, headers: dict[str, str]) -> str:
    with pytest.raises(WebhookRejected) as info:
        gw.parse_webhook(body, headers, NOW)
    assert info.value.status == 400
    return info.value.reason


def kinds(events: list[GatewayEvent]) -> list[GatewayEventKind]:
    return [e.kind for e in events]


# ---- the signature ----


def test_a_signed_succeeded_event_is_a_success_of_the_sub_order(gw: StripeGateway) -> None:
    d = signed(event_doc("payment_intent.succeeded", intent()))
    [event] = parse(gw, d)
    assert event == GatewayEvent(
        gateway="stripe",
        event_id=d.event_id,
        kind=GatewayEventKind.SUCCEEDED,
        checkout_ref="pi_1",
        payment_ref="pi_1",
        amount_minor=1250,
        currency="USD",
        sub_order_id="sub_1",
    )


def test_a_missing_signature_header_is_rejected(gw: StripeGateway) -> None:
    d = signed(event_doc("payment_intent.succeeded", intent()))
    assert rejected(gw, d.body, {}) == "missing signature header"


def test_another_secret_is_rejected(gw: StripeGateway) -> None:
    d = signed(event_doc("payment_intent.succeeded", intent()), secret="whsec_someone_else")
    assert rejected(gw, d.body, d.headers) == "bad signature"


def test_a_changed_body_is_rejected(gw: StripeGateway) -> None:
    d = signed(event_doc("payment_intent.succeeded", intent()))
    assert rejected(gw, d.body.replace(b"1250", b"9999"), d.headers) == "bad signature"


def test_an_old_signature_is_rejected_as_a_replay(gw: StripeGateway) -> None:
    at = int(time.time()) - 301  # stripe-python's default tolerance is 300 s
    d = signed(event_doc("payment_intent.succeeded", intent()), at=at)
    assert rejected(gw, d.body, d.headers) == "bad signature"


def test_the_header_is_found_in_any_case(gw: StripeGateway) -> None:
    d = signed(event_doc("payment_intent.succeeded", intent()))
    lower = {SIGNATURE_HEADER.lower(): d.headers[SIGNATURE_HEADER]}
    assert kinds(gw.parse_webhook(d.body, lower, NOW)) == [GatewayEventKind.SUCCEEDED]


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe not utf-8",
        b"not json",
        b'{"object": "v2.core.event"}',
        b"[]",
        b'"event"',
        b"[" * 5000 + b"]" * 5000,  # found by tests/fuzz: RecursionError, a 503 retried forever
    ],
)
def test_a_signed_body_that_is_no_event_is_rejected(gw: StripeGateway, body: bytes) -> None:
    assert rejected(gw, body, {SIGNATURE_HEADER: _sign(body)}) == "payload is not a Stripe event"


def test_a_payload_over_64_kib_is_rejected_before_anything_else(gw: StripeGateway) -> None:
    body = b" " * (64 * 1024 + 1)
    assert rejected(gw, body, {SIGNATURE_HEADER: _sign(body)}) == "payload too large"


def test_a_naive_clock_is_a_bug(gw: StripeGateway) -> None:
    d = signed(event_doc("payment_intent.succeeded", intent()))
    with pytest.raises(InvariantViolation):
        gw.parse_webhook(d.body, d.headers, datetime(2026, 1, 1))  # noqa: DTZ001


def _sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    """Stripe's scheme over raw bytes (these bodies need not be text)."""
    at = int(time.time())
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


# ---- what each type means ----


def test_an_authorisation_is_read_from_amount_capturable(gw: StripeGateway) -> None:
    obj = intent(status="requires_capture", amount_received=0, amount_capturable=1250)
    [event] = parse(gw, signed(event_doc("payment_intent.amount_capturable_updated", obj)))
    assert (event.kind, event.amount_minor) == (GatewayEventKind.AUTHORISED, 1250)


def test_a_capturable_update_without_money_to_capture_is_ignored(gw: StripeGateway) -> None:
    obj = intent(status="canceled", amount_capturable=0)
    events = parse(gw, signed(event_doc("payment_intent.amount_capturable_updated", obj)))
    assert kinds(events) == [GatewayEventKind.IGNORED]


def test_a_failed_payment_frees_the_checkout(gw: StripeGateway) -> None:
    obj = intent(status="requires_payment_method", last_payment_error={"code": "card_declined"})
    [event] = parse(gw, signed(event_doc("payment_intent.payment_failed", obj)))
    assert (event.kind, event.checkout_ref, event.sub_order_id) == (
        GatewayEventKind.FAILED,
        "pi_1",
        "sub_1",
    )


def test_a_canceled_intent_is_read_both_as_a_void_and_as_a_released_checkout(
    gw: StripeGateway,
) -> None:
    d = signed(event_doc("payment_intent.canceled", intent(status="canceled")))
    voided, released = parse(gw, d)
    assert (voided.kind, voided.event_id) == (GatewayEventKind.VOIDED, d.event_id)
    assert (released.kind, released.event_id) == (
        GatewayEventKind.FAILED,
        d.event_id + RELEASED_SUFFIX,
    )


def test_a_fully_refunded_charge_names_its_intent(gw: StripeGateway) -> None:
    [event] = parse(gw, signed(event_doc("charge.refunded", charge())))
    assert (event.kind, event.payment_ref, event.amount_minor, event.currency) == (
        GatewayEventKind.REFUNDED,
        "pi_1",
        1250,
        "USD",
    )


def test_a_partial_refund_is_ignored_and_logged(
    gw: StripeGateway, caplog: pytest.LogCaptureFixture
) -> None:
    obj = charge(amount_refunded=250, refunded=False)
    with caplog.at_level(logging.WARNING, logger="gateways.stripe"):
        events = parse(gw, signed(event_doc("charge.refunded", obj)))
    assert kinds(events) == [GatewayEventKind.IGNORED]
    assert "partly refunded (250 of 1250)" in caplog.text


def test_a_released_authorisation_reported_as_refunded_is_ignored(gw: StripeGateway) -> None:
    obj = charge(captured=False, amount_captured=0)
    assert kinds(parse(gw, signed(event_doc("charge.refunded", obj)))) == [GatewayEventKind.IGNORED]


def test_a_captured_charge_is_a_capture_of_its_intent(gw: StripeGateway) -> None:
    obj = charge(amount_refunded=0, refunded=False)
    [event] = parse(gw, signed(event_doc("charge.captured", obj)))
    assert (event.kind, event.payment_ref) == (GatewayEventKind.CAPTURED, "pi_1")


@pytest.mark.parametrize(
    ("event_type", "obj"),
    [
        ("customer.created", {"object": "customer", "id": "cus_1"}),
        ("payment_intent.created", intent(status="requires_payment_method")),
        ("charge.succeeded", charge()),
    ],
)
def test_types_chipin_does_not_act_on_are_acknowledged(
    gw: StripeGateway, event_type: str, obj: dict[str, Any]
) -> None:
    d = signed(event_doc(event_type, obj))
    [event] = parse(gw, d)
    assert (event.kind, event.event_id) == (GatewayEventKind.IGNORED, d.event_id)


def test_an_intent_chipin_did_not_create_is_never_acted_on(gw: StripeGateway) -> None:
    """Money of another integration on the same Stripe account: not counted, not refunded."""
    obj = intent(metadata={"order": "shop-42"})
    events = parse(gw, signed(event_doc("payment_intent.succeeded", obj)))
    assert kinds(events) == [GatewayEventKind.IGNORED]


@pytest.mark.parametrize(
    "change",
    [
        {"amount": "1250"},
        {"amount": True},
        {"amount": -1},
        {"currency": "us dollars"},
        {"metadata": "sub_1"},
        {"id": None},
        # past what a BIGINT column holds, and text no store can hold
        {"amount": 2**63},
        {"amount_received": 10**40},
        {"amount_capturable": 2**63},
        {"id": "pi_\ud800"},
        {"metadata": {"chipin_sub_order": "sub_\x00"}},
    ],
)
def test_a_malformed_intent_is_rejected(gw: StripeGateway, change: dict[str, Any]) -> None:
    d = signed(event_doc("payment_intent.succeeded", intent(**change)))
    assert rejected(gw, d.body, d.headers).startswith("event is malformed")


def test_an_event_without_its_object_is_rejected(gw: StripeGateway) -> None:
    doc = event_doc("payment_intent.succeeded", intent())
    doc["data"] = {}
    d = signed(doc)
    assert rejected(gw, d.body, d.headers).startswith("event is malformed")


def test_no_secret_or_payload_is_logged(
    gw: StripeGateway, caplog: pytest.LogCaptureFixture
) -> None:
    obj = intent(metadata={"order": "shop-42"})
    d = signed(event_doc("payment_intent.succeeded", obj))
    with caplog.at_level(logging.DEBUG):
        parse(gw, d)
        rejected(gw, d.body + b" ", d.headers)
    for secret in (WEBHOOK_SECRET, API_KEY, "pi_1_secret_abc", json.dumps(obj)[:40]):
        assert secret not in caplog.text
