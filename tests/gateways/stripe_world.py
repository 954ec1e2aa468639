"""The engine over the real Stripe gateway and localstripe, with Chipin's app on a real listener."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI

from bot.app.bootstrap import build_engine
from core.domain.model import OrderId, PayeeId, Payment, SubOrder
from core.domain.payouts import AccountStatus
from core.ports.store import Checkout, CheckoutRequest, Gateway
from core.usecases.deps import EngineConfig, OrderView
from core.usecases.engine import Engine
from gateways.stripe import StripeConnect, StripeGateway
from tests.gateways.stripe_rig import (
    API_KEY,
    CONNECT_WEBHOOK_SECRET,
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
    """The real gateway, remembering the PaymentIntents (and, with Connect, the accounts) it
    made: the Gate passes only webhooks about those."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.intents: set[str] = set()
        if self.connect is not None:
            self.connect = RecordingConnect(self.connect, self.intents)

    def mine(self, object_id: str) -> bool:
        return object_id in self.intents

    async def create_checkout(self, request: CheckoutRequest) -> Checkout:
        checkout = await super().create_checkout(request)
        self.intents.add(checkout.ref)
        return checkout


class RecordingConnect(StripeConnect):
    """The real Connect side, adding each account it makes to the gateway's own set."""

    def __init__(self, real: StripeConnect, mine: set[str]) -> None:
        self.__dict__.update(real.__dict__)
        self._mine = mine

    async def create_account(
        self, payee_id: str, country: str | None, idempotency_key: str
    ) -> AccountStatus:
        status = await super().create_account(payee_id, country, idempotency_key)
        self._mine.add(status.account_id)
        return status


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
async def open_stripe_world(
    ls: Localstripe, *, hold: bool = False, connect: bool = False, fee_bps: int = 0
) -> AsyncIterator[StripeWorld]:
    """A fresh engine (in-memory store) over Stripe, its app listening where the hooks post;
    `connect`: with Stripe Connect (payees' accounts, the platform fee in basis points)."""
    base_url = f"http://127.0.0.1:{ls.hook_port}"
    options = {"connect_webhook_secret": CONNECT_WEBHOOK_SECRET} if connect else {}
    gateway = make_gateway(ls, base_url, **options)
    engine, store, clock, notifier = engine_over(gateway)  # mypy checks the port here
    if gateway.connect is not None:
        config = EngineConfig(default_gateway=gateway.name, payout_fee_bps=fee_bps)
        engine = build_engine(engine.deps, payouts=gateway.connect, config=config)
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
