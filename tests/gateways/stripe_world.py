"""The engine over the real Stripe gateway and localstripe, with Chipin's app on a real listener."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from core.domain.model import OrderId, PayeeId, Payment, SubOrder
from core.ports.store import Checkout, CheckoutRequest, Gateway
from core.usecases.deps import OrderView
from core.usecases.engine import Engine
from gateways.stripe import StripeGateway
from tests.gateways.stripe_rig import (
    API_KEY,
    HOOK_PATH,
    LINK_KEY,
    PUBLISHABLE_KEY,
    WEBHOOK_SECRET,
    Admin,
    Delivery,
    Gate,
    Listener,
    Localstripe,
    event_doc,
    signed,
)
from tests.support.fakes.clock import FakeClock
from tests.support.fakes.notifier import RecordingNotifier
from tests.support.fakes.store import InMemoryStore
from tests.support.harness import build_rig, request
from web.app import create_app

MAX_AMOUNT_MINOR = 10_000_000


class RecordingStripe(StripeGateway):
    """The real gateway, remembering the PaymentIntents it made: the Gate passes only those."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.intents: set[str] = set()

    def mine(self, intent_id: str) -> bool:
        return intent_id in self.intents

    async def create_checkout(self, request: CheckoutRequest) -> Checkout:
        checkout = await super().create_checkout(request)
        self.intents.add(checkout.ref)
        return checkout


def make_gateway(ls: Localstripe, public_url: str, **options: Any) -> RecordingStripe:
    settings: dict[str, Any] = {"api_base": ls.base_url, "js_url": ls.js_url}
    settings.update(network_retries=0, **options)
    return RecordingStripe(
        API_KEY, PUBLISHABLE_KEY, WEBHOOK_SECRET, public_url, LINK_KEY, **settings
    )


@dataclass
class StripeWorld:
    engine: Engine
    store: InMemoryStore
    clock: FakeClock
    notifier: RecordingNotifier
    gateway: RecordingStripe
    admin: Admin
    gate: Gate
    listener: Listener
    payee: PayeeId

    async def order(
        self, total: str = "100", payers: int = 2, *, mode: str = "keep", cur: str = "USD"
    ) -> OrderView:
        return await self.engine.create_order(
            self.payee, request(total, payers, mode=mode, cur=cur)
        )

    async def reserve(self, view: OrderView, payer: str) -> SubOrder:
        held = await self.engine.reserve(view.order.token, payer, source=payer)
        assert held.sub.checkout_ref is not None
        return held.sub

    async def view(self, order_id: OrderId) -> OrderView:
        return await self.engine.get_order(order_id, self.payee)

    async def payments(self, order_id: OrderId) -> list[Payment]:
        async with self.store.transaction() as tx:
            return await tx.payments.payments_of_order(order_id)

    async def event(self, event_type: str, intent_id: str, **changes: Any) -> Delivery:
        """The signed event Stripe would send about the intent as localstripe holds it now
        (localstripe itself sends only payment_intent.succeeded and .payment_failed).
        A charge.* event carries the intent's latest charge."""
        obj = await self.admin.intent(intent_id)
        if event_type.startswith("charge."):
            obj = dict(obj["latest_charge"])
        obj.update(changes)
        return signed(event_doc(event_type, obj))

    async def post(self, delivery: Delivery) -> httpx.Response:
        """Post a webhook over HTTP to the listener, as Stripe does."""
        async with httpx.AsyncClient(base_url=self.listener.base_url, timeout=10) as client:
            return await client.post(HOOK_PATH, content=delivery.body, headers=delivery.headers)


async def healthy() -> bool:
    return True


def engine_over(
    gateway: Gateway, *others: Gateway
) -> tuple[Engine, InMemoryStore, FakeClock, RecordingNotifier]:
    """An engine over fakes (in-memory store, stepped clock) and these gateways; the first
    is the default."""
    store = InMemoryStore()
    rig = build_rig(store, gateways=[gateway, *others]).swap(signer=None)
    return rig.engine, store, rig.clock, rig.notifier


def app_over(engine: Engine, base_url: str) -> FastAPI:
    return create_app(
        engine,
        public_base_url=base_url,
        health=healthy,
        max_amount_minor=MAX_AMOUNT_MINOR,
        default_currency="USD",
    )


@asynccontextmanager
async def open_stripe_world(ls: Localstripe, *, hold: bool = False) -> AsyncIterator[StripeWorld]:
    """A fresh engine (in-memory store) over Stripe, its app listening where the hook posts."""
    base_url = f"http://127.0.0.1:{ls.hook_port}"
    gateway = make_gateway(ls, base_url)
    engine, store, clock, notifier = engine_over(gateway)  # mypy checks the port here
    app = app_over(engine, base_url)
    gate = Gate(app, gateway.mine, hold=hold)
    listener = Listener(gate, ls.hook_socket.dup())
    admin = Admin(ls.base_url)
    payee, _key = await engine.create_api_key("Ann")
    await listener.start()
    try:
        yield StripeWorld(engine, store, clock, notifier, gateway, admin, gate, listener, payee)
    finally:
        await listener.stop()
        await admin.close()
        await gateway.close()
