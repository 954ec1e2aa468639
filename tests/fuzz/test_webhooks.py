"""Hostile webhooks through the real app: POST /webhooks/sandbox and /webhooks/stripe.

The gateways' own tests check parse_webhook alone (tests/gateways/test_*_webhooks.py);
here every request goes through the listener, the engine and a database (in memory,
SQLite, PostgreSQL), and whatever is refused or ignored must leave the books unchanged:
a refusal changes nothing at all, an ignored event only records its id (so a redelivery
is a duplicate).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateways.sandbox import SIGNATURE_HEADER as SANDBOX_HEADER
from gateways.sandbox import SandboxGateway, sign_header
from gateways.stripe import SIGNATURE_HEADER as STRIPE_HEADER
from gateways.stripe import StripeGateway
from storage.store import SqlStore
from tests.gateways.stripe_rig import API_KEY, LINK_KEY, PUBLISHABLE_KEY, WEBHOOK_SECRET
from tests.support.fakes.store import InMemoryStore
from tests.support.harness import Rig, build_rig, dump, open_store, request
from tests.web.conftest import client_for, make_app

SANDBOX_SECRET = b"test-webhook-secret-0123456789abcdef"
OTHER_SECRET = b"not-the-secret-at-all-0123456789abcdef"
GATEWAYS = ["sandbox", "stripe"]
EVENTS_TABLE = "gateway_events"


@dataclass
class Hooks:
    """The app with the sandbox and Stripe gateways enabled, and how to sign for each."""

    client: httpx.AsyncClient
    rig: Rig

    def now_s(self, gateway: str) -> int:
        # the sandbox checks against the engine's clock, stripe-python against the system's
        return int(self.rig.clock.now().timestamp()) if gateway == "sandbox" else int(time.time())

    def header(self, gateway: str, body: bytes, at: int | None = None, **kw: Any) -> dict[str, str]:
        at = self.now_s(gateway) if at is None else at
        if gateway == "sandbox":
            secret = kw.get("secret", SANDBOX_SECRET)
            return {SANDBOX_HEADER: sign_header(secret, at, body)}
        secret = kw.get("secret", WEBHOOK_SECRET.encode())
        signature = hmac.new(secret, f"{at}.".encode() + body, hashlib.sha256).hexdigest()
        return {STRIPE_HEADER: f"t={at},v1={signature}"}  # Stripe's scheme, over raw bytes

    async def post(
        self, gateway: str, body: bytes, headers: dict[str, str], content_type: str | None = None
    ) -> httpx.Response:
        sent = {"Content-Type": content_type or "application/json", **headers}
        return await self.client.post(f"/webhooks/{gateway}", content=body, headers=sent)


def event(gateway: str, event_type: str | None = None, event_id: str = "evt_hostile_1") -> bytes:
    """A well-formed event: by default a payment of a checkout Chipin never opened."""
    if gateway == "sandbox":
        doc: dict[str, Any] = {
            "id": event_id,
            "type": event_type or "checkout.succeeded",
            "created": 1767268800,
            "data": {
                "checkout": "cs_nope",
                "payment": "py_nope",
                "amount_minor": 1250,
                "currency": "USD",
                "metadata": {"sub_order_id": "sub_000099", "order_id": "ord_000099"},
            },
        }
    else:
        doc = {
            "id": event_id,
            "object": "event",
            "type": event_type or "payment_intent.succeeded",
            "created": int(time.time()),
            "data": {
                "object": {
                    "id": "pi_nope",
                    "object": "payment_intent",
                    "amount": 1250,
                    "amount_received": 1250,
                    "currency": "usd",
                    "status": "succeeded",
                    "metadata": {"chipin_sub_order": "sub_000099"},
                }
            },
        }
    return json.dumps(doc).encode()


def unknown(gateway: str) -> bytes:
    return event(gateway, "customer.created", event_id="evt_unknown_1")


@pytest.fixture
async def hooks(store_url: str | None, tmp_path: Path) -> AsyncIterator[Hooks]:
    sandbox = SandboxGateway(
        f"sqlite+aiosqlite:///{tmp_path / 'sandbox.db'}",  # never started: parsing needs none
        "https://chipin.test",
        "http://listener/webhooks/sandbox",
        SANDBOX_SECRET,
    )
    stripe_gw = StripeGateway(
        API_KEY, PUBLISHABLE_KEY, WEBHOOK_SECRET, "https://chipin.test", LINK_KEY
    )
    async with open_store(store_url) as store:
        base = build_rig(store)
        rig = base.swap(
            gateways={**base.engine.deps.gateways, "sandbox": sandbox, "stripe": stripe_gw}
        )
        engine = rig.engine
        payee = await rig.payee()
        view = await engine.create_order(payee, request())
        held = await engine.reserve(
            view.order.token, "bob", source="bob"
        )  # a hold, so there is state to keep
        assert held.created
        async with client_for(make_app(rig)) as client:
            yield Hooks(client, rig)
    await stripe_gw.close()


async def books(rig: Rig) -> object:
    """Everything the store holds but the record of event ids seen."""
    return books_of(await dump(rig.store), rig)


def books_of(state: object, rig: Rig) -> object:
    if isinstance(rig.store, InMemoryStore):
        return {
            f.name: getattr(state, f.name) for f in fields(rig.store.state) if f.name != "events"
        }
    assert isinstance(rig.store, SqlStore)
    assert isinstance(state, dict)
    return {name: rows for name, rows in state.items() if name != EVENTS_TABLE}


# ---- refused: 4xx, nothing changed ----

ATTACKS = [
    "wrong secret",
    "no header",
    "empty header",
    "body swapped under a valid header",
    "valid header of another body",
    "captured header, timestamp moved forward",
    "timestamp 10 minutes old (replay)",
    "signature only in another scheme",
    "header of a truncated body",
    "bad header first, then a valid one",
]
NOT_EVENTS = [
    b"{not json",
    b'{"id": "evt_1", "type": ',
    b"[1, 2, 3]",
    b"null",
    b"\xff\xfe\x00",
    b"[" * 5000 + b"]" * 5000,  # past the JSON parser's depth (stripe: was a 503, fixed)
    b"",
]
FORMS = [
    (b"id=evt_1&type=checkout.succeeded&amount_minor=1250", "application/x-www-form-urlencoded"),
    (
        b'--b\r\nContent-Disposition: form-data; name="id"\r\n\r\nevt_1\r\n--b--\r\n',
        "multipart/form-data; boundary=b",
    ),
    (b"<event><id>evt_1</id></event>", "application/xml"),
]
Request = tuple[bytes, list[tuple[str, str]]]


def forged(hooks: Hooks, gateway: str, attack: str) -> Request:
    """The body and headers of one attack on a payment event (a money-moving type)."""
    body = event(gateway)
    now = hooks.now_s(gateway)
    good = hooks.header(gateway, body)
    [(name, value)] = good.items()
    bad_copy = (name, f"t={now},v1={'0' * 64}")
    made: dict[str, Request] = {
        "wrong secret": (body, [*hooks.header(gateway, body, secret=OTHER_SECRET).items()]),
        "no header": (body, []),
        "empty header": (body, [(name, "")]),
        "body swapped under a valid header": (body.replace(b"1250", b"9999"), [(name, value)]),
        "valid header of another body": (body, [*hooks.header(gateway, unknown(gateway)).items()]),
        "captured header, timestamp moved forward": (
            body,
            [(name, value.replace(f"t={now}", f"t={now + 3600}"))],
        ),
        "timestamp 10 minutes old (replay)": (
            body,
            [*hooks.header(gateway, body, at=now - 600).items()],
        ),
        "signature only in another scheme": (body, [(name, value.replace("v1=", "v0="))]),
        "header of a truncated body": (body[: len(body) // 2], [(name, value)]),
        "bad header first, then a valid one": (body, [bad_copy, (name, value)]),
    }
    return made[attack]


async def refusals(
    hooks: Hooks, gateway: str, requests: dict[str, Request], content_type: str = "application/json"
) -> list[str]:
    """Send each request; what was not refused with a 4xx or changed the store."""
    wrong: list[str] = []
    for label, (body, headers) in requests.items():
        before = await dump(hooks.rig.store)
        sent = [("Content-Type", content_type), *headers]
        response = await hooks.client.post(f"/webhooks/{gateway}", content=body, headers=sent)
        if not 400 <= response.status_code < 500 or response.json()["ok"] is not False:
            wrong.append(f"{label}: {response.status_code} {response.text}")
        if await dump(hooks.rig.store) != before:
            wrong.append(f"{label}: the store changed")
    return wrong


@pytest.mark.parametrize("gateway", GATEWAYS)
async def test_a_forged_or_replayed_webhook_is_refused_and_changes_nothing(
    hooks: Hooks, gateway: str
) -> None:
    attacks = {attack: forged(hooks, gateway, attack) for attack in ATTACKS}
    assert await refusals(hooks, gateway, attacks) == []


@pytest.mark.parametrize("gateway", GATEWAYS)
async def test_a_signed_body_that_is_not_an_event_is_refused(hooks: Hooks, gateway: str) -> None:
    bodies = {repr(b[:20]): (b, [*hooks.header(gateway, b).items()]) for b in NOT_EVENTS}
    assert await refusals(hooks, gateway, bodies) == []


@pytest.mark.parametrize("gateway", GATEWAYS)
async def test_another_content_type_is_not_parsed_as_a_form_and_is_refused(
    hooks: Hooks, gateway: str
) -> None:
    for body, content_type in FORMS:
        requests = {
            f"{content_type} unsigned": (body, []),
            f"{content_type} signed": (body, [*hooks.header(gateway, body).items()]),
        }
        assert await refusals(hooks, gateway, requests, content_type) == []


@pytest.mark.parametrize("gateway", GATEWAYS)
async def test_a_giant_webhook_is_413_in_json_and_unread(hooks: Hooks, gateway: str) -> None:
    """Found by this test: a Content-Length over 64 KiB was answered in plain text."""
    doc = json.loads(event(gateway))
    doc["padding"] = "x" * (64 * 1024)
    body = json.dumps(doc).encode()
    before = await dump(hooks.rig.store)
    for headers in ({}, hooks.header(gateway, body)):
        response = await hooks.post(gateway, body, headers)
        assert response.status_code == 413
        assert response.json()["error"] == "too_large"
    assert await dump(hooks.rig.store) == before


@pytest.mark.parametrize("gateway", GATEWAYS)
async def test_a_repeated_signature_header_is_read_once_the_first_copy(
    hooks: Hooks, gateway: str
) -> None:
    """A delivery with a stray second copy of the header is not lost; a bad first copy is
    refused (above, in the attacks) even when a valid one follows."""
    body = unknown(gateway)  # an event Chipin acknowledges and does not act on
    [(name, value)] = hooks.header(gateway, body).items()
    before = await books(hooks.rig)
    headers = [("Content-Type", "application/json"), (name, value), (name, "t=1,v1=00")]
    response = await hooks.client.post(f"/webhooks/{gateway}", content=body, headers=headers)
    assert response.json() == {"ok": True, "outcomes": ["ignored"]}
    assert await books(hooks.rig) == before


# ---- ignored: 200, only the event id is recorded ----


@pytest.mark.parametrize("gateway", GATEWAYS)
async def test_an_unknown_event_type_is_acknowledged_and_changes_no_books(
    hooks: Hooks, gateway: str
) -> None:
    """Authenticity is the signature over the raw bytes; the content type plays no part."""
    before = await books(hooks.rig)
    for n, content_type in enumerate(["application/json", "text/plain", "application/x-unknown"]):
        body = event(gateway, "customer.created", event_id=f"evt_unknown_{n}")
        headers = hooks.header(gateway, body)
        first = await hooks.post(gateway, body, headers, content_type)
        again = await hooks.post(gateway, body, headers, content_type)
        assert first.json() == {"ok": True, "outcomes": ["ignored"]}, content_type
        assert again.json() == {"ok": True, "outcomes": ["duplicate"]}, content_type
    assert await books(hooks.rig) == before


async def test_a_sandbox_event_signed_in_the_future_is_refused(hooks: Hooks) -> None:
    """The sandbox's window is 5 minutes either way. (stripe-python, by design, bounds only
    the age: a future timestamp needs Stripe's secret to sign, and events are deduplicated
    by id, so it cannot be replayed into a second payment.)"""
    body = event("sandbox")
    before = await dump(hooks.rig.store)
    header = hooks.header("sandbox", body, at=hooks.now_s("sandbox") + 600)
    response = await hooks.post("sandbox", body, header)
    assert response.status_code == 400
    assert response.json()["message"] == "timestamp outside tolerance"
    assert await dump(hooks.rig.store) == before


# ---- signed, but carrying what no column can hold: refused as malformed, 4xx ----

BIGINT_MAX = 2**63 - 1


FIELD_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "sandbox": {"amount": ("amount_minor",), "checkout": ("checkout",)},
    "stripe": {"amount": ("amount", "amount_received"), "checkout": ("id",)},
}


def hostile_event(gateway: str, where: str, value: object) -> bytes:
    """A signed-ready event with one field set to `value`: 'id', 'amount', 'currency',
    'checkout' or 'sub_order' (each gateway has its own name for them)."""
    doc = json.loads(event(gateway))
    data = doc["data"] if gateway == "sandbox" else doc["data"]["object"]
    names = FIELD_NAMES[gateway]
    if where == "id":
        doc["id"] = value
    elif where == "sub_order":
        meta = data["metadata"]
        meta["sub_order_id" if gateway == "sandbox" else "chipin_sub_order"] = value
    elif where == "currency":
        data["currency"] = value
    else:
        for name in names[where]:
            data[name] = value
    return json.dumps(doc).encode()


HOSTILE_FIELDS = [
    ("amount", BIGINT_MAX + 1),
    ("amount", 10**30),
    ("id", "evt_\ud800"),
    ("id", "evt_\x00"),
    ("checkout", "cs_\udfff"),
    ("currency", "US\ud800"),
    ("sub_order", "sub_\x00"),
]


@pytest.mark.parametrize("gateway", GATEWAYS)
async def test_a_signed_event_no_column_can_hold_is_refused_as_malformed(
    hooks: Hooks, gateway: str
) -> None:
    """An amount past BIGINT, or text with a lone surrogate or a NUL, signed by the gateway
    itself: 400, never a 503 that the gateway would deliver again for ever."""
    requests = {
        f"{where}={value!r}"[:60]: (body, [*hooks.header(gateway, body).items()])
        for where, value in HOSTILE_FIELDS
        for body in [hostile_event(gateway, where, value)]
    }
    assert await refusals(hooks, gateway, requests) == []


@pytest.mark.parametrize("gateway", GATEWAYS)
async def test_the_largest_amount_a_column_holds_is_read_and_kept_apart(
    hooks: Hooks, gateway: str
) -> None:
    """2^63 - 1 still fits: the payment is read, does not match any part, goes back."""
    body = hostile_event(gateway, "amount", BIGINT_MAX)
    response = await hooks.post(gateway, body, hooks.header(gateway, body))
    assert response.status_code == 200, response.text
    assert response.json()["outcomes"] == ["refunding"]
