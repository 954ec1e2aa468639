"""The simulated payment gateway: its own books of checkouts and money, an outbox, and faults.

The gateway is the world's ground truth about money: what it took, holds, captured,
refunded and voided, whoever asked. Chipin's records are checked against these books.
It outlives Chipin's restarts and keeps every webhook until one is acknowledged.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from core.domain.errors import GatewayFinal, GatewayRetryable, WebhookRejected
from core.ports.store import (
    Checkout,
    CheckoutRequest,
    CheckoutState,
    CheckoutStatus,
    GatewayEvent,
    GatewayEventKind,
)
from tests.sim.faults import FaultPlan, GwFault, SimCrash

SECRET = b"sim-webhook-secret-not-a-real-one"
SIGNATURE_HEADER = "sim-signature"


class Held(StrEnum):
    """Where one payment's money is, as the gateway sees it."""

    AUTHORISED = "authorised"  # held on the payer's card
    CAPTURED = "captured"  # taken
    REFUNDED = "refunded"  # taken, then all given back
    VOIDED = "voided"  # held, then released


RETURNED = (Held.REFUNDED, Held.VOIDED)

# Webhooks the gateway may give up on (after days of retries): the news of money coming in,
# which reconciliation exists to recover. Chipin has no way to ask about the others.
LOSABLE = (GatewayEventKind.SUCCEEDED, GatewayEventKind.AUTHORISED, GatewayEventKind.FAILED)


@dataclass(slots=True)
class GwCheckout:
    ref: str
    request: CheckoutRequest
    key: str
    status: CheckoutStatus = CheckoutStatus.OPEN
    payment_ref: str | None = None
    declined: bool = False  # a card was declined on it


@dataclass(slots=True)
class GwPayment:
    ref: str
    checkout_ref: str
    order_id: str
    sub_order_id: str
    amount_minor: int
    currency: str
    payer: str
    state: Held
    captures: int = 0
    refunds: int = 0
    voids: int = 0
    by_payee: bool = False  # the payee gave it back at the gateway, outside Chipin
    keys: dict[str, list[str]] = field(default_factory=dict)  # Chipin's keys, by call

    @property
    def holds_money(self) -> bool:
        return self.state in (Held.AUTHORISED, Held.CAPTURED)


CaptureProbe = Callable[[GwPayment], Awaitable[None]]


class SimGateway:
    """core.ports.store.Gateway over in-memory books; faults come from the run's FaultPlan."""

    name = "sim"

    def __init__(self, faults: FaultPlan) -> None:
        self.checkouts: dict[str, GwCheckout] = {}
        self.payments: dict[str, GwPayment] = {}
        self.outbox: list[GatewayEvent] = []  # sent, not yet acknowledged
        self.lost: list[GatewayEvent] = []  # given up on: never delivered
        self.problems: list[str] = []  # protocol breaches by Chipin, seen at the calls
        self.on_capture: CaptureProbe | None = None
        self._faults = faults
        self._keys: dict[str, tuple[str, str, str]] = {}  # key -> (call, params, result)
        self._n = 0

    def _next(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n}"

    async def _call(self, call: str, key: str | None, params: str, work: Callable[[], str]) -> str:
        """One API call: faults before and after, idempotency by key (a replay does nothing)."""
        await asyncio.sleep(0)  # a network round trip: concurrent steps interleave here
        fault = self._faults.gateway_call()
        if fault == GwFault.RETRYABLE:
            raise GatewayRetryable(f"{call}: simulated 503")
        if fault == GwFault.FINAL:
            raise GatewayFinal(f"{call}: simulated refusal")
        first = self._keys.get(key) if key is not None else None
        if first is not None:
            if first[:2] != (call, params):
                self.problems.append(f"key {key} reused: {first[:2]} then {(call, params)}")
                raise GatewayFinal("idempotency key reused with other parameters")
            result = first[2]
        else:
            result = work()
            if key is not None:
                self._keys[key] = (call, params, result)
        if fault == GwFault.TIMEOUT_AFTER:
            raise GatewayRetryable(f"{call}: timed out after the work")
        if fault == GwFault.CRASH_AFTER:
            raise SimCrash(f"{call}: Chipin died waiting for the answer")
        return result

    # ---- the Gateway port ----

    async def create_checkout(self, request: CheckoutRequest) -> Checkout:
        amount = request.amount
        params = f"{request.sub_order_id}|{amount.amount_minor}|{amount.currency.code}"
        params += f"|{request.capture_manual}"

        def create() -> str:
            ref = self._next("cs")
            self.checkouts[ref] = GwCheckout(ref, request, request.idempotency_key)
            return ref

        ref = await self._call("create_checkout", request.idempotency_key, params, create)
        return Checkout(ref, f"https://sim.test/pay/{ref}")

    async def retrieve(self, checkout_ref: str) -> CheckoutState:
        def look() -> str:
            self._checkout(checkout_ref)
            return checkout_ref

        await self._call("retrieve", None, checkout_ref, look)
        co = self._checkout(checkout_ref)
        amount = co.request.amount
        return CheckoutState(
            co.ref, co.status, co.payment_ref, amount.amount_minor, amount.currency.code
        )

    async def cancel_checkout(self, checkout_ref: str, idempotency_key: str) -> None:
        def cancel() -> str:
            co = self._checkout(checkout_ref)
            if co.status == CheckoutStatus.OPEN:
                co.status = CheckoutStatus.CANCELLED
            return checkout_ref

        await self._call("cancel_checkout", idempotency_key, checkout_ref, cancel)

    async def capture(self, payment_ref: str, idempotency_key: str) -> None:
        p = self._payment(payment_ref, "capture", idempotency_key)
        if self.on_capture is not None and p.state == Held.AUTHORISED:
            await self.on_capture(p)

        def capture() -> str:
            self._require(p, Held.AUTHORISED, "capture")
            p.state, p.captures = Held.CAPTURED, p.captures + 1
            self.checkouts[p.checkout_ref].status = CheckoutStatus.SUCCEEDED
            self._emit(GatewayEventKind.CAPTURED, p)
            return payment_ref

        await self._call("capture", idempotency_key, payment_ref, capture)

    async def void(self, payment_ref: str, idempotency_key: str) -> None:
        p = self._payment(payment_ref, "void", idempotency_key)

        def void() -> str:
            self._require(p, Held.AUTHORISED, "void")
            self._voided(p)
            return payment_ref

        await self._call("void", idempotency_key, payment_ref, void)

    async def refund(self, payment_ref: str, amount_minor: int, idempotency_key: str) -> None:
        p = self._payment(payment_ref, "refund", idempotency_key)
        if amount_minor != p.amount_minor:
            self.problems.append(f"payment {payment_ref}: refund of {amount_minor}, not in full")

        def refund() -> str:
            self._require(p, Held.CAPTURED, "refund")
            self._refunded(p)
            return payment_ref

        await self._call("refund", idempotency_key, f"{payment_ref}|{amount_minor}", refund)

    def parse_webhook(
        self, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> list[GatewayEvent]:
        expected = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(headers.get(SIGNATURE_HEADER, ""), expected):
            raise WebhookRejected("bad signature")
        doc = json.loads(body)
        return [
            GatewayEvent(
                gateway=self.name,
                event_id=doc["id"],
                kind=GatewayEventKind(doc["kind"]),
                checkout_ref=doc["checkout"],
                payment_ref=doc["payment"],
                amount_minor=int(doc["amount"]),
                currency=doc["currency"],
                sub_order_id=doc["sub"],
            )
        ]

    # ---- the world acting at the gateway: payers and the payee ----

    def pay(self, checkout_ref: str, payer: str) -> GwPayment | None:
        """The payer pays an open checkout: money taken (or held, for a manual capture)."""
        co = self.checkouts[checkout_ref]
        if co.status != CheckoutStatus.OPEN:
            return None
        manual = co.request.capture_manual
        co.status = CheckoutStatus.AUTHORISED if manual else CheckoutStatus.SUCCEEDED
        co.payment_ref = self._next("py")
        amount = co.request.amount
        p = GwPayment(
            ref=co.payment_ref,
            checkout_ref=co.ref,
            order_id=co.request.order_id,
            sub_order_id=co.request.sub_order_id,
            amount_minor=amount.amount_minor,
            currency=amount.currency.code,
            payer=payer,
            state=Held.AUTHORISED if manual else Held.CAPTURED,
        )
        self.payments[p.ref] = p
        self._emit(GatewayEventKind.AUTHORISED if manual else GatewayEventKind.SUCCEEDED, p)
        return p

    def decline(self, checkout_ref: str, closes: bool) -> bool:
        """The card is declined; the checkout stays open for another try unless `closes`."""
        co = self.checkouts[checkout_ref]
        if co.status != CheckoutStatus.OPEN:
            return False
        co.declined = True
        if closes:
            co.status = CheckoutStatus.FAILED
        self._send(GatewayEventKind.FAILED, co, self._next("fail"))
        return True

    def payee_refund(self, payment_ref: str) -> bool:
        p = self.payments[payment_ref]
        if p.state != Held.CAPTURED:
            return False
        p.by_payee = True
        self._refunded(p)
        return True

    def payee_void(self, payment_ref: str) -> bool:
        p = self.payments[payment_ref]
        if p.state != Held.AUTHORISED:
            return False
        p.by_payee = True
        self._voided(p)
        return True

    def noise(self) -> None:
        """An event of a type Chipin does not act on."""
        if self.checkouts:
            co = next(iter(self.checkouts.values()))
            self._send(GatewayEventKind.IGNORED, co, self._next("noise"))

    # ---- webhooks ----

    def webhook(self, event: GatewayEvent) -> tuple[bytes, dict[str, str]]:
        doc = {
            "id": event.event_id,
            "kind": event.kind.value,
            "checkout": event.checkout_ref,
            "payment": event.payment_ref,
            "amount": event.amount_minor,
            "currency": event.currency,
            "sub": event.sub_order_id,
        }
        body = json.dumps(doc, sort_keys=True).encode()
        signature = hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        return body, {SIGNATURE_HEADER: signature}

    def acknowledge(self, event: GatewayEvent) -> None:
        if event in self.outbox:
            self.outbox.remove(event)

    # ---- books ----

    def _checkout(self, ref: str) -> GwCheckout:
        co = self.checkouts.get(ref)
        if co is None:
            raise GatewayFinal(f"no such checkout {ref}")
        return co

    def _payment(self, ref: str, call: str, key: str) -> GwPayment:
        p = self.payments.get(ref)
        if p is None:
            self.problems.append(f"{call} of unknown payment {ref}")
            raise GatewayFinal(f"no such payment {ref}")
        keys = p.keys.setdefault(call, [])
        if key not in keys:
            keys.append(key)
        return p

    @staticmethod
    def _require(p: GwPayment, state: Held, call: str) -> None:
        if p.state != state:
            raise GatewayFinal(f"cannot {call} payment {p.ref}: it is {p.state}")

    def _refunded(self, p: GwPayment) -> None:
        p.state, p.refunds = Held.REFUNDED, p.refunds + 1
        self._emit(GatewayEventKind.REFUNDED, p)

    def _voided(self, p: GwPayment) -> None:
        p.state, p.voids = Held.VOIDED, p.voids + 1
        self.checkouts[p.checkout_ref].status = CheckoutStatus.CANCELLED
        self._emit(GatewayEventKind.VOIDED, p)

    def _emit(self, kind: GatewayEventKind, p: GwPayment) -> None:
        self._send(kind, self.checkouts[p.checkout_ref], p.ref)

    def _send(self, kind: GatewayEventKind, co: GwCheckout, payment_ref: str) -> None:
        amount = co.request.amount
        lost = kind in LOSABLE and self._faults.webhook_lost()
        (self.lost if lost else self.outbox).append(
            GatewayEvent(
                gateway=self.name,
                event_id=self._next("evt"),
                kind=kind,
                checkout_ref=co.ref,
                payment_ref=payment_ref,
                amount_minor=amount.amount_minor,
                currency=amount.currency.code,
                sub_order_id=co.request.sub_order_id,
            )
        )
