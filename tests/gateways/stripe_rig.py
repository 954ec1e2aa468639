"""localstripe for the Stripe tests: the process, its admin calls, a Chipin listener it posts to.

One localstripe runs per session (tests/gateways/conftest.py) with one webhook registered,
to a fixed loopback port. Each test serves its own Chipin app on that port behind a `Gate`
that passes on only the webhooks about its own PaymentIntents (localstripe posts every
event to every hook, about 1 s late, so an earlier test's events can still arrive), and
that can hold them back so a test decides when, and in which order, they land.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import stripe
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

API_KEY = "sk_test_chipin_0123456789"
PUBLISHABLE_KEY = "pk_test_chipin_0123456789"
WEBHOOK_SECRET = "whsec_chipin_tests_0123456789abcdef"
LINK_KEY = b"stripe-pay-link-key-for-tests-0123456789"
HOOK_PATH = "/webhooks/stripe"
WAIT_S = 10.0  # localstripe posts about 1 s after the event


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass(frozen=True)
class Localstripe:
    """The localstripe process of this session, and where its webhooks go.

    `hook_socket` keeps the hook's port bound for the whole session (so nothing else takes
    it between tests); each test's listener serves on a duplicate of it.
    """

    base_url: str
    hook_socket: socket.socket

    @property
    def hook_port(self) -> int:
        port: int = self.hook_socket.getsockname()[1]
        return port

    @property
    def js_url(self) -> str:
        """Its stand-in for Stripe.js."""
        return f"{self.base_url}/js.stripe.com/v3/"

    @property
    def hook_url(self) -> str:
        return f"http://127.0.0.1:{self.hook_port}{HOOK_PATH}"


@contextmanager
def run_localstripe(log: Path) -> Iterator[Localstripe]:
    """Start the launcher on a free loopback port, wait until it answers, stop it after."""
    port = free_port()
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}  # its own dependencies' warnings
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.gateways.localstripe_launcher", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    hook = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_ready(base_url, proc, log)
        hook.bind(("127.0.0.1", 0))
        found = Localstripe(base_url, hook)
        answer = httpx.post(
            f"{base_url}/_config/webhooks/chipin",
            data={"url": found.hook_url, "secret": WEBHOOK_SECRET},
            timeout=5,
        )
        answer.raise_for_status()
        yield found
    finally:
        hook.close()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _wait_ready(base_url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"localstripe exited:\n{log.read_text()[-2000:]}")
        try:
            answer = httpx.get(f"{base_url}/v1/payment_intents", auth=(API_KEY, ""), timeout=1)
            if answer.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"localstripe did not answer:\n{log.read_text()[-2000:]}")


class Admin:
    """What a test does at 'Stripe' directly: the payer's card, the dashboard, raw objects."""

    def __init__(self, base_url: str) -> None:
        self._http = httpx.AsyncClient(base_url=base_url, auth=(API_KEY, ""), timeout=10)

    async def close(self) -> None:
        await self._http.aclose()

    async def intent(self, intent_id: str) -> dict[str, Any]:
        answer = await self._http.get(f"/v1/payment_intents/{intent_id}")
        answer.raise_for_status()
        doc: dict[str, Any] = answer.json()
        return doc

    async def create_intent(self, amount_minor: int, currency: str) -> str:
        """A PaymentIntent made by someone else on the same account (no metadata of ours)."""
        answer = await self._http.post(
            "/v1/payment_intents", data={"amount": amount_minor, "currency": currency}
        )
        answer.raise_for_status()
        return str(answer.json()["id"])

    async def pay(self, intent_id: str, payment_method: str = "pm_card_visa") -> dict[str, Any]:
        """The payer's card is attached and confirmed; a decline answers 402 with an error."""
        await self.update(intent_id, payment_method=payment_method)
        answer = await self._http.post(f"/v1/payment_intents/{intent_id}/confirm")
        doc: dict[str, Any] = answer.json()
        return doc

    async def await_3ds(self, intent_id: str, card_number: str = "4000002500003155") -> str:
        """The payer's card needs 3-D Secure: the intent waits in requires_action.

        localstripe's Stripe.js stand-in completes only such an intent (its
        confirmCardPayment shows a 3-D Secure dialog and ignores the card element).
        """
        card = {"number": card_number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}
        made = await self._http.post("/v1/payment_methods", json={"type": "card", "card": card})
        made.raise_for_status()
        intent = await self.pay(intent_id, str(made.json()["id"]))
        return str(intent["status"])

    async def update(self, intent_id: str, **fields: str | int) -> None:
        answer = await self._http.post(f"/v1/payment_intents/{intent_id}", json=fields)
        answer.raise_for_status()

    async def refunded_minor(self, intent_id: str) -> int:
        charge = (await self.intent(intent_id)).get("latest_charge") or {}
        return int(charge.get("amount_refunded") or 0)


def signed(doc: dict[str, Any], secret: str = WEBHOOK_SECRET, at: int | None = None) -> Delivery:
    """An event as Stripe would post it: the exact body and its Stripe-Signature header."""
    body = json.dumps(doc, indent=2).encode()
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), secret, at)
    obj = doc.get("data", {}).get("object", {})
    intent_id = obj.get("payment_intent") if obj.get("object") == "charge" else obj.get("id")
    return Delivery(str(doc.get("type")), str(intent_id), body, {"Stripe-Signature": header})


def event_doc(event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
    """The envelope of a Stripe event around one object (as localstripe builds them)."""
    return {
        "id": f"evt_{secrets.token_hex(8)}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "api_version": "2017-08-15",
        "livemode": False,
        "data": {"object": obj},
    }


@dataclass
class Delivery:
    """One webhook request, and what Chipin answered once it was passed on."""

    event_type: str
    intent_id: str
    body: bytes
    headers: dict[str, str]
    status: int | None = None
    outcomes: list[str] | None = None
    answer: bytes = b""

    @property
    def event_id(self) -> str:
        return str(json.loads(self.body)["id"])


@dataclass
class Gate:
    """ASGI middleware before Chipin's app: other tests' webhooks are dropped, ours can wait.

    With `hold`, localstripe's posts are answered 200 and kept until `forward`; the events
    a test posts itself go straight through.
    """

    app: ASGIApp
    mine: Callable[[str], bool]
    hold: bool = False
    arrived: list[Delivery] = field(default_factory=list)
    held: list[Delivery] = field(default_factory=list)
    forwarded: list[Delivery] = field(default_factory=list)
    taken: list[Delivery] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != HOOK_PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        delivery = _parse(body, headers)
        if delivery is None or not self.mine(delivery.intent_id):
            await _answer(send, 200, b"not for this test")
            return
        self.arrived.append(delivery)
        if self.hold and "aiohttp" in headers.get("user-agent", ""):  # localstripe's own
            self.held.append(delivery)
            await _answer(send, 200, b"held by the test")
            return
        await self.forward(delivery)
        await _answer(send, delivery.status or 500, delivery.answer)

    async def forward(self, delivery: Delivery) -> list[str]:
        """Pass one webhook to Chipin's app (as it arrived, or again); its outcomes."""
        if delivery in self.held:
            self.held.remove(delivery)
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://listener") as client:
            answer = await client.post(HOOK_PATH, content=delivery.body, headers=delivery.headers)
        delivery.status, delivery.answer = answer.status_code, answer.content
        outcomes = answer.json().get("outcomes", []) if answer.status_code == 200 else []
        delivery.outcomes = [str(o) for o in outcomes]
        self.forwarded.append(delivery)
        return delivery.outcomes

    async def arrival(self, event_type: str, intent_id: str, timeout_s: float = WAIT_S) -> Delivery:
        """The next webhook of this type about this intent that no earlier call returned,
        once it arrived (and, unless held, once Chipin answered it)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for d in self.arrived:
                if (d.event_type, d.intent_id) != (event_type, intent_id):
                    continue
                if any(d is t for t in self.taken):
                    continue
                if d in self.held or d.outcomes is not None:
                    self.taken.append(d)
                    return d
            await asyncio.sleep(0.02)
        seen = [(d.event_type, d.intent_id) for d in self.arrived]
        raise AssertionError(f"no {event_type} for {intent_id} within {timeout_s} s; saw {seen}")


def _parse(body: bytes, headers: dict[str, str]) -> Delivery | None:
    try:
        doc = json.loads(body)
        obj = doc["data"]["object"]
    except (ValueError, KeyError, TypeError):
        return None
    intent_id = obj.get("payment_intent") if obj.get("object") == "charge" else obj.get("id")
    if not isinstance(intent_id, str):
        return None
    return Delivery(str(doc.get("type")), intent_id, body, headers)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _answer(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Listener:
    """An ASGI app served by uvicorn on a bound loopback socket (its own, closed at stop)."""

    def __init__(self, app: ASGIApp, sock: socket.socket) -> None:
        self.sock = sock
        self.base_url = "http://{}:{}".format(*sock.getsockname())
        config = uvicorn.Config(
            app, log_config=None, log_level="warning", lifespan="off", ws="none"
        )
        self.server = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or self._task.done():
                raise AssertionError("the listener did not start")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self.server.should_exit = True
        if self._task is not None:
            await self._task
        self.sock.close()
