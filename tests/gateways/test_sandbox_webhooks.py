"""parse_webhook: the signature is checked over the raw body before parsing; events map to kinds."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from core.domain.errors import InvariantViolation, WebhookRejected
from core.ports.store import GatewayEventKind
from gateways.sandbox import SIGNATURE_HEADER, SandboxGateway, sign_header
from gateways.sandbox.signing import compute_signature
from tests.gateways.conftest import PUBLIC_URL, SECRET, WEBHOOK_URL

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
T = int(NOW.timestamp())


@pytest.fixture
def gw(sqlite_db_url: str) -> SandboxGateway:
    # parse_webhook needs no database: the gateway is never started here.
    return SandboxGateway(sqlite_db_url, PUBLIC_URL, WEBHOOK_URL, SECRET)


def event(event_type: str = "checkout.succeeded", **data: Any) -> bytes:
    doc = {
        "id": "evt_1",
        "type": event_type,
        "created": T,
        "data": {
            "checkout": "cs_1",
            "payment": "py_1",
            "amount_minor": 1250,
            "currency": "USD",
            "metadata": {"sub_order_id": "sub_1", "order_id": "ord_1"},
            **data,
        },
    }
    return json.dumps(doc).encode()


def signed(body: bytes, at: int = T, secret: bytes = SECRET) -> dict[str, str]:
    return {SIGNATURE_HEADER: sign_header(secret, at, body)}


def rejected(gw: SandboxGateway, body: bytes, headers: Mapping[str, str]) -> str:
    with pytest.raises(WebhookRejected) as info:
        gw.parse_webhook(body, headers, NOW)
    assert info.value.status == 400
    return info.value.reason


# ---- the signature ----


def test_a_well_signed_event_is_accepted(gw: SandboxGateway) -> None:
    body = event()
    [parsed] = gw.parse_webhook(body, signed(body), NOW)
    assert parsed.gateway == "sandbox"
    assert parsed.event_id == "evt_1"
    assert parsed.kind == GatewayEventKind.SUCCEEDED
    assert (parsed.checkout_ref, parsed.payment_ref) == ("cs_1", "py_1")
    assert (parsed.amount_minor, parsed.currency, parsed.sub_order_id) == (1250, "USD", "sub_1")


def test_the_header_name_is_case_insensitive(gw: SandboxGateway) -> None:
    body = event()
    value = sign_header(SECRET, T, body)
    for name in ("chipin-signature", "CHIPIN-SIGNATURE", "Chipin-Signature"):
        assert gw.parse_webhook(body, {name: value}, NOW)


def test_any_of_several_v1_signatures_may_match(gw: SandboxGateway) -> None:
    body = event()
    good = compute_signature(SECRET, T, body)
    old = compute_signature(b"the-previous-secret-0123456789", T, body)
    header = f"t={T},v1={old},v1={good}"
    assert gw.parse_webhook(body, {SIGNATURE_HEADER: header}, NOW)


def test_other_schemes_are_ignored_and_cannot_stand_in_for_v1(gw: SandboxGateway) -> None:
    body = event()
    good = compute_signature(SECRET, T, body)
    assert gw.parse_webhook(body, {SIGNATURE_HEADER: f"t={T},v0=abc,v1={good}"}, NOW)
    assert rejected(gw, body, {SIGNATURE_HEADER: f"t={T},v0={good}"}) == (
        "malformed signature header"
    )


def test_a_wrong_secret_is_a_bad_signature(gw: SandboxGateway) -> None:
    body = event()
    headers = signed(body, secret=b"not-the-secret-0123456789abcdef")
    assert rejected(gw, body, headers) == "bad signature"


def test_a_tampered_body_is_a_bad_signature(gw: SandboxGateway) -> None:
    body = event()
    headers = signed(body)
    tampered = body.replace(b"1250", b"9999")
    assert tampered != body
    assert rejected(gw, tampered, headers) == "bad signature"


def test_a_signature_for_another_timestamp_is_bad(gw: SandboxGateway) -> None:
    body = event()
    signature = compute_signature(SECRET, T, body)
    assert rejected(gw, body, {SIGNATURE_HEADER: f"t={T + 1},v1={signature}"}) == "bad signature"


@pytest.mark.parametrize("offset_s", [-301, 301, -86_400, 86_400])
def test_stale_and_future_timestamps_are_rejected(gw: SandboxGateway, offset_s: int) -> None:
    body = event()
    assert rejected(gw, body, signed(body, at=T + offset_s)) == "timestamp outside tolerance"


@pytest.mark.parametrize("offset_s", [-300, 300])
def test_the_tolerance_is_300_seconds_either_way(gw: SandboxGateway, offset_s: int) -> None:
    body = event()
    assert gw.parse_webhook(body, signed(body, at=T + offset_s), NOW)


def test_a_missing_header_is_rejected(gw: SandboxGateway) -> None:
    assert rejected(gw, event(), {"Content-Type": "application/json"}) == (
        "missing signature header"
    )


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        "v1=abc",  # no timestamp
        "t=1767268800",  # no signature
        "t=,v1=abc",
        "t=abc,v1=abc",
        "t=-5,v1=abc",
        "t=1e9,v1=abc",
        "t=1767268800,t=1767268800,v1=abc",
        "t=١٧٦٧٢٦٨٨٠٠,v1=abc",  # non-ASCII digits
        "t=1767268800,v1=" + "a" * 5000,
    ],
)
def test_malformed_headers_are_rejected(gw: SandboxGateway, header: str) -> None:
    assert rejected(gw, event(), {SIGNATURE_HEADER: header}) == "malformed signature header"


def test_a_non_ascii_signature_is_just_bad(gw: SandboxGateway) -> None:
    assert rejected(gw, event(), {SIGNATURE_HEADER: f"t={T},v1=ünïcödé"}) == "bad signature"


def test_an_oversized_body_is_rejected_before_anything_else(gw: SandboxGateway) -> None:
    body = event(description="x" * (64 * 1024))
    assert rejected(gw, body, signed(body)) == "payload too large"


def test_the_signature_is_checked_before_the_body_is_parsed(gw: SandboxGateway) -> None:
    assert rejected(gw, b"{not json", signed(b"{something else")) == "bad signature"


# ---- the body ----


@pytest.mark.parametrize(
    ("event_type", "kind"),
    [
        ("checkout.succeeded", GatewayEventKind.SUCCEEDED),
        ("checkout.authorised", GatewayEventKind.AUTHORISED),
        ("checkout.failed", GatewayEventKind.FAILED),
        ("payment.captured", GatewayEventKind.CAPTURED),
        ("payment.refunded", GatewayEventKind.REFUNDED),
        ("payment.voided", GatewayEventKind.VOIDED),
    ],
)
def test_event_types_map_to_kinds(
    gw: SandboxGateway, event_type: str, kind: GatewayEventKind
) -> None:
    body = event(event_type)
    [parsed] = gw.parse_webhook(body, signed(body), NOW)
    assert parsed.kind == kind


def test_an_unknown_type_is_acknowledged_as_ignored_whatever_its_data(gw: SandboxGateway) -> None:
    body = json.dumps({"id": "evt_9", "type": "customer.created", "data": [1, 2]}).encode()
    [parsed] = gw.parse_webhook(body, signed(body), NOW)
    assert (parsed.kind, parsed.event_id) == (GatewayEventKind.IGNORED, "evt_9")


def test_a_declined_checkout_without_payment_is_keyed_on_the_checkout(gw: SandboxGateway) -> None:
    body = event("checkout.failed", payment=None)
    [parsed] = gw.parse_webhook(body, signed(body), NOW)
    assert (parsed.kind, parsed.payment_ref) == (GatewayEventKind.FAILED, "cs_1")


def test_metadata_is_optional(gw: SandboxGateway) -> None:
    body = event(metadata=None)
    [parsed] = gw.parse_webhook(body, signed(body), NOW)
    assert parsed.sub_order_id is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "body is not JSON"),
        (b"\xff\xfe", "body is not JSON"),
        (b"[" * 10_000 + b"]" * 10_000, "body is not JSON"),
        (b"[1, 2]", "event is not an object"),
        (b'{"type": "checkout.succeeded"}', "event field 'id' is malformed"),
        (b'{"id": 7, "type": "checkout.succeeded"}', "event field 'id' is malformed"),
        (b'{"id": "evt_1"}', "event field 'type' is malformed"),
        (b'{"id": "evt_1", "type": "checkout.succeeded"}', "event has no data object"),
        (event(checkout=None), "event field 'checkout' is malformed"),
        (event(amount_minor="1250"), "event field 'amount_minor' is malformed"),
        (event(amount_minor=12.5), "event field 'amount_minor' is malformed"),
        (event(amount_minor=True), "event field 'amount_minor' is malformed"),
        (event(amount_minor=-1), "event field 'amount_minor' is malformed"),
        (event(currency=""), "event field 'currency' is malformed"),
        (event(payment=5), "event field 'payment' is malformed"),
        (event(metadata="sub_1"), "event field 'metadata' is malformed"),
        (event(metadata={"sub_order_id": 5}), "event field 'sub_order_id' is malformed"),
        # past what a BIGINT column holds, and text no store can hold
        (event(amount_minor=2**63), "event field 'amount_minor' is malformed"),
        (event(amount_minor=10**40), "event field 'amount_minor' is malformed"),
        (event(checkout="cs_\ud800"), "event field 'checkout' is malformed"),
        (event(currency="US\x00"), "event field 'currency' is malformed"),
        (event(payment="py_\udfff"), "event field 'payment' is malformed"),
        (
            event(metadata={"sub_order_id": "sub_\ud800"}),
            "event field 'sub_order_id' is malformed",
        ),
    ],
)
def test_signed_bodies_of_the_wrong_shape_are_rejected(
    gw: SandboxGateway, body: bytes, reason: str
) -> None:
    assert rejected(gw, body, signed(body)) == reason


def test_parse_webhook_wants_an_aware_datetime(gw: SandboxGateway) -> None:
    body = event()
    with pytest.raises(InvariantViolation, match="aware"):
        gw.parse_webhook(body, signed(body), NOW.replace(tzinfo=None))
