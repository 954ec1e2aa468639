"""localstripe for the Stripe tests: the process, its admin calls, a Chipin listener it posts to.

One localstripe runs per session (tests/gateways/conftest.py) with two webhooks registered,
to a fixed loopback port: the platform's (HOOK_PATH) and, for Stripe Connect, the Connect
endpoint's (CONNECT_HOOK_PATH, its own secret; localstripe gets Connect from
tests.gateways.connect_layer). Each test serves its own Chipin app on that port behind a
`Gate` that passes on only the webhooks about its own PaymentIntents, or its own connected
accounts (localstripe posts every event to every hook, about 1 s late, Connect events
0.2 s late, so an earlier test's events can still arrive), and that can hold them back so
a test decides when, and in which order, they land.
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
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import stripe
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

API_KEY = "sk_test_chipin_0123456789"
PUBLISHABLE_KEY = "pk_test_chipin_0123456789"
WEBHOOK_SECRET = "whsec_chipin_tests_0123456789abcdef"
LINK_KEY = b"stripe-pay-link-key-for-tests-0123456789"
HOOK_PATH = "/webhooks/stripe"
CONNECT_WEBHOOK_SECRET = "whsec_chipin_connect_tests_0123456789"
CONNECT_HOOK_PATH = "/webhooks/stripe/connect"
HOOK_PATHS = (HOOK_PATH, CONNECT_HOOK_PATH)
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

    @property
    def connect_hook_url(self) -> str:
        return f"http://127.0.0.1:{self.hook_port}{CONNECT_HOOK_PATH}"


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
        for registry, url, secret in (
            ("webhooks", found.hook_url, WEBHOOK_SECRET),
            ("connect_webhooks", found.connect_hook_url, CONNECT_WEBHOOK_SECRET),
        ):
            answer = httpx.post(
                f"{base_url}/_config/{registry}/chipin",
                data={"url": url, "secret": secret},
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

    async def create_intent(
        self, amount_minor: int, currency: str, params: dict[str, str | int] | None = None
    ) -> str:
        """A PaymentIntent made by someone else on the same account (no metadata of ours);
        `params` adds form fields as stripe-python sends them, e.g.
        {"transfer_data[destination]": "acct_…", "application_fee_amount": 30}."""
        answer = await self._http.post(
            "/v1/payment_intents",
            data={"amount": amount_minor, "currency": currency, **(params or {})},
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

    # ---- Stripe Connect (tests.gateways.connect_layer) ----

    async def create_account(
        self, country: str = "US", params: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """An Express account requesting card payments and transfers, as Chipin makes one."""
        form = {
            "type": "express",
            "country": country,
            "capabilities[card_payments][requested]": "true",
            "capabilities[transfers][requested]": "true",
            **(params or {}),
        }
        return await self._json(await self._http.post("/v1/accounts", data=form))

    async def account(self, account_id: str) -> dict[str, Any]:
        return await self._json(await self._http.get(f"/v1/accounts/{account_id}"))

    async def set_account(self, account_id: str, **fields: object) -> dict[str, Any]:
        """What Stripe decides about an account (the layer's test control): charges_enabled,
        payouts_enabled, details_submitted, disabled_reason, currently_due, past_due,
        eventually_due, current_deadline, capabilities={name: status}. Sends
        account.updated to the Connect endpoints when something changed."""
        answer = await self._http.post(f"/_config/accounts/{account_id}", json=fields)
        return await self._json(answer)

    async def account_link(
        self,
        account_id: str,
        refresh_url: str = "https://chipin.example/refresh",
        return_url: str = "https://chipin.example/return",
    ) -> str:
        """The url of a new `account_onboarding` link."""
        form = {
            "account": account_id,
            "type": "account_onboarding",
            "refresh_url": refresh_url,
            "return_url": return_url,
        }
        doc = await self._json(await self._http.post("/v1/account_links", data=form))
        return str(doc["url"])

    async def onboard(self, link_url: str, complete: bool = True) -> str:
        """The payee at Stripe's onboarding: open the link, press "Agree and submit" (or,
        with complete=False, "Submit without ID document") as a browser would; where
        Stripe sends them then (the link's return_url, or its refresh_url for a used or
        expired link), not followed."""
        async with httpx.AsyncClient(timeout=10, follow_redirects=False) as browser:
            page = await browser.get(link_url)
            if page.status_code == 303:
                return page.headers["location"]
            assert page.status_code == 200, page.text
            form = _Form()
            form.feed(page.text)
            label = "Agree and submit" if complete else "Submit without ID document"
            name, value = form.button(label)
            sent = await browser.post(urljoin(link_url, form.action), data={name: value})
        assert sent.status_code == 303, sent.text
        return sent.headers["location"]

    async def balance(self, account_id: str | None = None) -> dict[str, int]:
        """Available balance by currency: the platform's, or a connected account's."""
        headers = {"Stripe-Account": account_id} if account_id else {}
        doc = await self._json(await self._http.get("/v1/balance", headers=headers))
        return {str(b["currency"]): int(b["amount"]) for b in doc["available"]}

    async def transfers(self, destination: str) -> list[dict[str, Any]]:
        """The transfers into a connected account, newest first."""
        query: dict[str, str | int] = {"destination": destination, "limit": 100}
        doc = await self._json(await self._http.get("/v1/transfers", params=query))
        return list(doc["data"])

    async def application_fees(self, charge: str | None = None) -> list[dict[str, Any]]:
        """The platform's application fees (of one platform charge), newest first."""
        query: dict[str, str | int] = {"limit": 100}
        if charge is not None:
            query["charge"] = charge
        doc = await self._json(await self._http.get("/v1/application_fees", params=query))
        return list(doc["data"])

    async def refund(self, intent_id: str, **params: str | int) -> dict[str, Any]:
        """A refund of the intent's charge; e.g. amount=250, reverse_transfer="true",
        refund_application_fee="true"."""
        form = {"payment_intent": intent_id, **params}
        return await self._json(await self._http.post("/v1/refunds", data=form))

    @staticmethod
    async def _json(answer: httpx.Response) -> dict[str, Any]:
        answer.raise_for_status()
        doc: dict[str, Any] = answer.json()
        return doc


class _Form(HTMLParser):
    """The onboarding page's form: where it posts, and its submit buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.buttons: list[tuple[str, str, str]] = []  # (name, value, label)
        self._open: tuple[str, str] | None = None
        self._label: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.action = found.get("action") or ""
        elif tag == "button":
            self._open = (found.get("name") or "", found.get("value") or "")
            self._label = []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._label.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._open is not None:
            self.buttons.append((*self._open, "".join(self._label).strip()))
            self._open = None

    def button(self, label: str) -> tuple[str, str]:
        for name, value, text in self.buttons:
            if text == label:
                return name, value
        raise AssertionError(f"no button {label!r} on the page: {self.buttons}")


def signed(
    doc: dict[str, Any],
    secret: str = WEBHOOK_SECRET,
    at: int | None = None,
    path: str = HOOK_PATH,
) -> Delivery:
    """An event as Stripe would post it: the exact body and its Stripe-Signature header."""
    body = json.dumps(doc, indent=2).encode()
    header = stripe.WebhookSignature.generate_signature_header(body.decode(), secret, at)
    subject = _subject(doc, path)
    return Delivery(
        str(doc.get("type")), str(subject), body, {"Stripe-Signature": header}, path=path
    )


def signed_connect(
    doc: dict[str, Any], secret: str = CONNECT_WEBHOOK_SECRET, at: int | None = None
) -> Delivery:
    """A Connect event as Stripe posts it to the Connect endpoint (its own secret)."""
    return signed(doc, secret, at, path=CONNECT_HOOK_PATH)


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


def account_event_doc(
    event_type: str, account_obj: dict[str, Any], previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A Connect event's envelope: as event_doc, naming the account at the top level (and,
    for an update, the fields' earlier values)."""
    doc = event_doc(event_type, account_obj)
    doc["account"] = account_obj["id"]
    if previous is not None:
        doc["data"]["previous_attributes"] = previous
    return doc


@dataclass
class Delivery:
    """One webhook request, and what Chipin answered once it was passed on.

    `intent_id` is what the event is about: a PaymentIntent's id, or for one posted to the
    Connect endpoint (`path` CONNECT_HOOK_PATH) a connected account's id.
    """

    event_type: str
    intent_id: str
    body: bytes
    headers: dict[str, str]
    status: int | None = None
    outcomes: list[str] | None = None
    answer: bytes = b""
    path: str = HOOK_PATH

    @property
    def account_id(self) -> str:
        return self.intent_id

    @property
    def event_id(self) -> str:
        return str(json.loads(self.body)["id"])


@dataclass
class Gate:
    """ASGI middleware before Chipin's app: other tests' webhooks are dropped, ours can wait.

    Both endpoints are gated: on HOOK_PATH `mine` is asked about the event's PaymentIntent,
    on CONNECT_HOOK_PATH about its connected account. With `hold`, localstripe's posts are
    answered 200 and kept until `forward`; the events a test posts itself go straight
    through.
    """

    app: ASGIApp
    mine: Callable[[str], bool]
    hold: bool = False
    arrived: list[Delivery] = field(default_factory=list)
    held: list[Delivery] = field(default_factory=list)
    forwarded: list[Delivery] = field(default_factory=list)
    taken: list[Delivery] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path")
        if scope["type"] != "http" or path not in HOOK_PATHS or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        delivery = _parse(body, headers, str(path))
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
            answer = await client.post(
                delivery.path, content=delivery.body, headers=delivery.headers
            )
        delivery.status, delivery.answer = answer.status_code, answer.content
        delivery.outcomes = [str(o) for o in _outcomes(answer)]
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


def _parse(body: bytes, headers: dict[str, str], path: str = HOOK_PATH) -> Delivery | None:
    try:
        doc = json.loads(body)
        doc["data"]["object"].get("object")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    subject = _subject(doc, path)
    if not isinstance(subject, str):
        return None
    return Delivery(str(doc.get("type")), subject, body, headers, path=path)


def _subject(doc: dict[str, Any], path: str) -> object:
    """What an event is about: on the Connect endpoint its account (top-level `account`,
    else an account object's id); otherwise its PaymentIntent (a charge's, or the object)."""
    obj = doc.get("data", {}).get("object", {})
    if path == CONNECT_HOOK_PATH:
        if doc.get("account") is not None:
            return doc["account"]
        return obj.get("id") if obj.get("object") == "account" else None
    return obj.get("payment_intent") if obj.get("object") == "charge" else obj.get("id")


def _outcomes(answer: httpx.Response) -> list[object]:
    """The outcomes Chipin's app listed in a 200 answer (none in any other answer)."""
    if answer.status_code != 200:
        return []
    try:
        doc = answer.json()
    except ValueError:
        return []
    found = doc.get("outcomes", []) if isinstance(doc, dict) else []
    return list(found) if isinstance(found, list) else []


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
