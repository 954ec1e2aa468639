"""A payment gateway that records its calls; tests pay its checkouts by building its events."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from core.domain.errors import GatewayFinal, GatewayRetryable, WebhookRejected
from core.ports.store import (
    Checkout,
    CheckoutRequest,
    CheckoutState,
    CheckoutStatus,
    GatewayEvent,
    GatewayEventKind,
)


@dataclass
class FakeCheckout:
    request: CheckoutRequest
    ref: str
    status: CheckoutStatus = CheckoutStatus.OPEN
    payment_ref: str | None = None


class FakeGateway:
    """A gateway that records calls; tests pay checkouts by building its events."""

    name = "fake"

    def __init__(self) -> None:
        self.checkouts: dict[str, FakeCheckout] = {}
        self.by_key: dict[str, str] = {}
        self.calls: list[tuple[str, str, str]] = []
        self.retrieved: list[str] = []  # the checkouts looked up, in order
        self.fail_next: list[Exception] = []
        self.fail_cancels = 0  # this many cancel_checkout calls fail (retryable) first
        self._n = itertools.count(1)

    def _maybe_fail(self) -> None:
        if self.fail_next:
            raise self.fail_next.pop(0)

    async def create_checkout(self, request: CheckoutRequest) -> Checkout:
        self._maybe_fail()
        ref = self.by_key.get(request.idempotency_key)
        if ref is None:
            ref = f"co{next(self._n)}"
            self.by_key[request.idempotency_key] = ref
            self.checkouts[ref] = FakeCheckout(request, ref)
        self.calls.append(("create_checkout", ref, request.idempotency_key))
        return Checkout(ref, f"https://pay.test/{ref}")

    async def retrieve(self, checkout_ref: str) -> CheckoutState:
        self.retrieved.append(checkout_ref)
        self._maybe_fail()
        co = self.checkouts.get(checkout_ref)
        if co is None:
            raise GatewayFinal("no such checkout")
        amount = co.request.amount
        return CheckoutState(
            co.ref, co.status, co.payment_ref, amount.amount_minor, amount.currency.code
        )

    async def cancel_checkout(self, checkout_ref: str, idempotency_key: str) -> None:
        self.calls.append(("cancel_checkout", checkout_ref, idempotency_key))
        if self.fail_cancels > 0:
            self.fail_cancels -= 1
            raise GatewayRetryable("cancel failed")
        co = self.checkouts.get(checkout_ref)
        if co is not None and co.status == CheckoutStatus.OPEN:
            co.status = CheckoutStatus.CANCELLED

    async def capture(self, payment_ref: str, idempotency_key: str) -> None:
        self._maybe_fail()
        self.calls.append(("capture", payment_ref, idempotency_key))

    async def void(self, payment_ref: str, idempotency_key: str) -> None:
        self._maybe_fail()
        self.calls.append(("void", payment_ref, idempotency_key))

    async def refund(self, payment_ref: str, amount_minor: int, idempotency_key: str) -> None:
        self._maybe_fail()
        self.calls.append(("refund", payment_ref, idempotency_key))

    def parse_webhook(
        self, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> list[GatewayEvent]:
        raise WebhookRejected("the fake gateway takes no webhooks")

    def pay(self, checkout_ref: str, *, event_id: str | None = None) -> GatewayEvent:
        """The payer pays: the checkout succeeds (or is authorised) and the event is returned."""
        co = self.checkouts[checkout_ref]
        manual = co.request.capture_manual
        co.status = CheckoutStatus.AUTHORISED if manual else CheckoutStatus.SUCCEEDED
        co.payment_ref = co.payment_ref or f"py_{checkout_ref}"
        kind = GatewayEventKind.AUTHORISED if manual else GatewayEventKind.SUCCEEDED
        return self.event(checkout_ref, kind, event_id=event_id)

    def event(
        self,
        checkout_ref: str,
        kind: GatewayEventKind,
        *,
        event_id: str | None = None,
        amount_minor: int | None = None,
    ) -> GatewayEvent:
        co = self.checkouts[checkout_ref]
        amount = co.request.amount
        payout = co.request.payout  # a destination charge says where it went, as Stripe's do
        return GatewayEvent(
            gateway=self.name,
            event_id=event_id or f"evt{next(self._n)}",
            kind=kind,
            checkout_ref=checkout_ref,
            payment_ref=co.payment_ref or f"py_{checkout_ref}",
            amount_minor=amount.amount_minor if amount_minor is None else amount_minor,
            currency=amount.currency.code,
            sub_order_id=co.request.sub_order_id,
            payout_account=payout.account_id if payout is not None else None,
            fee_minor=payout.fee_minor if payout is not None else 0,
        )

    def done(self, call: str) -> list[str]:
        return [ref for name, ref, _ in self.calls if name == call]
