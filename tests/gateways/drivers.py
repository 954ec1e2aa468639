"""One driver per gateway for the contract tests: the payer pays or is declined, events land.

A driver holds every webhook back until `deliver()`, so each test decides when the
engine hears of a payment (a success that lands after the order expired, for one).
To add a gateway: a driver class here and its name in DRIVERS.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Protocol

import httpx
import pytest

from core.domain.model import OrderId, PayeeId, PaymentStatus
from core.ports.store import Gateway, GatewayEvent
from core.usecases.engine import Engine
from gateways.sandbox import PayResult, SandboxGateway
from gateways.stripe.events import INTENT_CAPTURABLE, INTENT_FAILED, INTENT_SUCCEEDED
from gateways.telegram import TelegramGateway
from tests.gateways.conftest import PUBLIC_URL, SECRET, WEBHOOK_URL
from tests.gateways.stripe_rig import Delivery, Localstripe
from tests.gateways.stripe_world import StripeWorld, open_stripe_world
from tests.support.fakes.clock import FakeClock
from tests.support.fakes.store import InMemoryStore
from tests.support.harness import build_rig


class Driver(Protocol):
    name: str
    engine: Engine
    store: InMemoryStore
    clock: FakeClock
    gateway: Gateway
    reports_declines: bool  # the gateway tells us a card was declined (else the hold lapses)
    authorises: bool  # it can hold money to capture later (mode all)

    def currency_with(self, exponent: int) -> str | None:
        """A currency with this many decimals that the gateway takes, if it takes one."""
        ...

    async def pay(self, checkout_ref: str) -> None:
        """The payer pays the checkout (authorised only, for a manual-capture checkout)."""
        ...

    async def decline(self, checkout_ref: str) -> None:
        """The payer's card is declined."""
        ...

    async def deliver(self) -> list[str]:
        """Every webhook the gateway has sent since, in the order the payer acted;
        the engine's outcomes, 'ignored' left out."""
        ...

    async def redeliver_last(self) -> list[str]:
        """The last delivered webhook once more, byte for byte."""
        ...

    async def refunded_minor(self, checkout_ref: str) -> int:
        """What the gateway's own books say was refunded of the checkout's payment."""
        ...

    async def finish_refunds(self, order_id: str, payee_id: PayeeId) -> None:
        """What the payee does about refunds the gateway cannot make (none for most)."""
        ...


def _engine(gateway: Gateway, store: InMemoryStore, clock: FakeClock) -> Engine:
    """The tests' rig over this gateway alone, on `store` and `clock`; heads unsigned."""
    return build_rig(store, gateways=[gateway]).swap(clock=clock, signer=None).engine


def _outcomes(outcomes: list[str]) -> list[str]:
    return [o for o in outcomes if o != "ignored"]


class _Refunding:
    """What card gateways share: declines are reported, refunds made by the gateway."""

    reports_declines = True
    authorises = True

    def currency_with(self, exponent: int) -> str | None:
        return {2: "USD", 0: "JPY"}.get(exponent)

    async def finish_refunds(self, order_id: str, payee_id: PayeeId) -> None:
        return None


class SandboxDriver(_Refunding):
    name = "sandbox"

    def __init__(self, db_url: str) -> None:
        self.clock = FakeClock()
        self.store = InMemoryStore()
        self.sent: list[tuple[httpx.Request, list[str]]] = []
        self.sandbox = SandboxGateway(
            db_url,
            PUBLIC_URL,
            WEBHOOK_URL,
            SECRET,
            clock=self.clock,
            transport=httpx.MockTransport(self._route),
        )
        self.gateway: Gateway = self.sandbox
        self.engine = _engine(self.sandbox, self.store, self.clock)

    async def _route(self, request: httpx.Request) -> httpx.Response:
        """What web/ does with a webhook: the raw body and headers go to the engine."""
        outcomes = await self.engine.handle_webhook("sandbox", request.content, request.headers)
        self.sent.append((request, [o.value for o in outcomes]))
        return httpx.Response(200)

    async def pay(self, checkout_ref: str) -> None:
        assert await self.sandbox.pay(checkout_ref) in (PayResult.PAID, PayResult.AUTHORISED)

    async def decline(self, checkout_ref: str) -> None:
        assert await self.sandbox.decline(checkout_ref) == PayResult.DECLINED

    async def deliver(self) -> list[str]:
        start = len(self.sent)
        await self.sandbox.deliver_due()
        return _outcomes([o for _, outcomes in self.sent[start:] for o in outcomes])

    async def redeliver_last(self) -> list[str]:
        request = self.sent[-1][0]
        outcomes = await self.engine.handle_webhook("sandbox", request.content, request.headers)
        return _outcomes([o.value for o in outcomes])

    async def refunded_minor(self, checkout_ref: str) -> int:
        view = await self.sandbox.view(checkout_ref)
        assert view is not None
        return view.refunded_minor


class StripeDriver(_Refunding):
    """localstripe sends payment_intent.succeeded and .payment_failed itself (held by the
    Gate until `deliver()`); for an authorisation it sends nothing, so the driver sends the
    amount_capturable_updated event Stripe would, signed like Stripe's."""

    name = "stripe"

    def __init__(self, world: StripeWorld) -> None:
        self.world = world
        self.engine = world.engine
        self.store = world.store
        self.clock = world.clock
        self.gateway: Gateway = world.gateway
        self.expected: list[tuple[str, str]] = []

    async def pay(self, checkout_ref: str) -> None:
        intent = await self.world.admin.pay(checkout_ref, "pm_card_visa")
        manual = intent["status"] == "requires_capture"
        assert manual or intent["status"] == "succeeded", intent
        self.expected.append((INTENT_CAPTURABLE if manual else INTENT_SUCCEEDED, checkout_ref))

    async def decline(self, checkout_ref: str) -> None:
        answer = await self.world.admin.pay(checkout_ref, "pm_card_chargeCustomerFail")
        assert answer["error"]["code"] == "card_declined", answer
        self.expected.append((INTENT_FAILED, checkout_ref))

    async def deliver(self) -> list[str]:
        gate, outcomes = self.world.gate, []
        for event_type, intent_id in self.expected:
            if event_type == INTENT_CAPTURABLE:
                delivery = await self.world.event(event_type, intent_id)
            else:
                delivery = await gate.arrival(event_type, intent_id)
            outcomes += await gate.forward(delivery)
        self.expected.clear()
        for delivery in list(gate.held):  # anything else of ours that came meanwhile
            outcomes += await gate.forward(delivery)
        return _outcomes(outcomes)

    async def redeliver_last(self) -> list[str]:
        last: Delivery = self.world.gate.forwarded[-1]
        return _outcomes(await self.world.gate.forward(last))

    async def refunded_minor(self, checkout_ref: str) -> int:
        return await self.world.admin.refunded_minor(checkout_ref)


class StarRefundsRecorder:
    """The bot's refundStarPayment, recorded: (user id, charge id) per call."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str]] = []

    async def __call__(self, user_id: int, charge_id: str) -> None:
        self.calls.append((user_id, charge_id))


class TelegramDriver:
    """Telegram tells the bot, not a webhook: `pay` does what the bot's handlers do when a
    payer pays the invoice (the pre-checkout check, then the event of the successful_payment
    message) and holds the event until `deliver()`.

    Telegram never tells a bot that a card was declined (the hold lapses instead), cannot
    authorise (mode all is refused), and refunds only Stars: in a provider's currency the
    payee gives the money back by hand and says so (`finish_refunds`).
    """

    reports_declines = False
    authorises = False

    def __init__(self, db_url: str, *, stars: bool) -> None:
        self.name = "telegram-stars" if stars else "telegram"
        self.stars = stars
        self.clock = FakeClock()
        self.store = InMemoryStore()
        self.star_refunds = StarRefundsRecorder()
        token = "" if stars else "284685063:TEST:provider-token"
        self.telegram = TelegramGateway(
            db_url, SECRET, provider_token=token, refunds=self.star_refunds
        )
        self.gateway: Gateway = self.telegram
        self.engine = _engine(self.telegram, self.store, self.clock)
        self.held: list[GatewayEvent] = []
        self.delivered: list[GatewayEvent] = []
        self.by_hand: dict[str, int] = {}
        self._charges = itertools.count(1)

    def currency_with(self, exponent: int) -> str | None:
        if self.stars:
            return "XTR" if exponent == 0 else None
        return {2: "USD", 0: "JPY"}.get(exponent)

    async def pay(self, checkout_ref: str) -> None:
        invoice = self.telegram.read_payload(checkout_ref)
        async with self.store.transaction() as tx:
            sub = await tx.sub_orders.sub_order_for_checkout(self.telegram.name, checkout_ref)
        assert invoice is not None
        assert sub is not None
        assert sub.payer_ref is not None
        check = await self.engine.precheck(
            self.telegram.name,
            checkout_ref,
            sub.payer_ref,
            invoice.amount_minor,
            invoice.currency,
            invoice.sub_order_id,
        )
        assert check.ok, check
        prefix = "stx" if self.stars else "tgc"
        event = await self.telegram.payment_event(
            charge_id=f"{prefix}Charge{next(self._charges):04d}",
            payload=checkout_ref,
            amount_minor=invoice.amount_minor,
            currency=invoice.currency,
            user_id=int(sub.payer_ref.removeprefix("tg:")),
            payer_ref=sub.payer_ref,
            payer_name=None,
        )
        self.held.append(event)

    async def decline(self, checkout_ref: str) -> None:
        return None  # Telegram shows the payer the decline; the bot hears nothing

    async def deliver(self) -> list[str]:
        events, self.held = self.held, []
        outcomes = [(await self.engine.apply_event(e)).value for e in events]
        self.delivered += events
        return _outcomes(outcomes)

    async def redeliver_last(self) -> list[str]:
        return _outcomes([(await self.engine.apply_event(self.delivered[-1])).value])

    async def refunded_minor(self, checkout_ref: str) -> int:
        state = await self.telegram.retrieve(checkout_ref)
        charge = state.payment_ref or ""
        stars = sum(state.amount_minor for _, c in self.star_refunds.calls if c == charge)
        return stars + self.by_hand.get(charge, 0)

    async def finish_refunds(self, order_id: str, payee_id: PayeeId) -> None:
        async with self.store.transaction() as tx:
            owed = [
                p
                for p in await tx.payments.payments_of_order(OrderId(order_id))
                if p.status == PaymentStatus.REFUND_OWED
            ]
        assert bool(owed) != self.stars, owed  # Stars go back by themselves, money by hand
        for p in owed:
            await self.engine.mark_refunded(p.id, payee_id)
            self.by_hand[p.payment_ref] = p.amount_minor


@asynccontextmanager
async def telegram_driver(request: pytest.FixtureRequest, *, stars: bool) -> AsyncIterator[Driver]:
    tmp: Path = request.getfixturevalue("tmp_path")
    driver = TelegramDriver(f"sqlite+aiosqlite:///{tmp / 'telegram.db'}", stars=stars)
    await driver.telegram.start()
    try:
        yield driver
    finally:
        await driver.telegram.stop()


@asynccontextmanager
async def sandbox_driver(request: pytest.FixtureRequest) -> AsyncIterator[Driver]:
    tmp: Path = request.getfixturevalue("tmp_path")
    driver = SandboxDriver(f"sqlite+aiosqlite:///{tmp / 'sandbox.db'}")
    await driver.sandbox.start()
    try:
        yield driver
    finally:
        await driver.sandbox.stop()


@asynccontextmanager
async def stripe_driver(request: pytest.FixtureRequest) -> AsyncIterator[Driver]:
    ls: Localstripe = request.getfixturevalue("localstripe")
    async with open_stripe_world(ls, hold=True) as world:
        yield StripeDriver(world)


DRIVERS: dict[str, Callable[[pytest.FixtureRequest], AbstractAsyncContextManager[Driver]]] = {
    "sandbox": sandbox_driver,
    "stripe": stripe_driver,
    "telegram": partial(telegram_driver, stars=False),
    "telegram-stars": partial(telegram_driver, stars=True),
}
