"""Card money straight to the payee on every store: a payee's payout account (Stripe Connect)
followed through its states, orders bound to it when made, destination charges with the
platform fee, and what open orders do when the account is restricted or disconnected."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from core.domain.errors import InvalidInput, NotFound, Unsupported, WebhookRejected
from core.domain.events import PayoutAccountChanged
from core.domain.model import OrderState, PayeeId, SubOrderState
from core.domain.payouts import AccountStatus, PayoutState
from core.ports.store import AccountNews, GatewayTraits
from core.usecases.deps import EngineConfig
from tests.support.fakes.gateway import FakeGateway
from tests.support.harness import Rig, request


class FakeConnect:
    """The PayoutGateway port over a dict of accounts the test changes, as Stripe would."""

    name = "fake"  # the rig's FakeGateway: its checkouts are the ones paid into accounts

    def __init__(self) -> None:
        self.accounts: dict[str, AccountStatus] = {}
        self.created: list[tuple[str, str | None, str]] = []
        self.links: list[str] = []

    async def create_account(
        self, payee_id: str, country: str | None, idempotency_key: str
    ) -> AccountStatus:
        self.created.append((payee_id, country, idempotency_key))
        account_id = f"acct_{len(self.accounts) + 1:016d}"
        self.accounts[account_id] = AccountStatus(account_id, False, False, False)
        return self.accounts[account_id]

    async def account_status(self, account_id: str) -> AccountStatus:
        return self.accounts[account_id]

    async def onboarding_url(self, account_id: str) -> str:
        self.links.append(account_id)
        return f"https://connect.example.test/onboard/{len(self.links)}"

    def account_of_link(self, token: str) -> str | None:
        return token.removeprefix("t-") if token.startswith("t-acct_") else None

    def parse_account_webhook(
        self, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> list[AccountNews]:
        if headers.get("stripe-signature") != "good":
            raise WebhookRejected("bad signature")
        return [AccountNews("evt_1", body.decode() or None)]

    def set(self, account_id: str, **changes: object) -> None:
        self.accounts[account_id] = replace(self.accounts[account_id], **changes)  # type: ignore[arg-type]


ENABLED = {"charges_enabled": True, "payouts_enabled": True, "details_submitted": True}
RESTRICTED = {
    "charges_enabled": False,
    "details_submitted": True,
    "disabled_reason": "requirements.past_due",
    "due": ("individual.verification.document",),
}


@pytest.fixture
def connect() -> FakeConnect:
    return FakeConnect()


@pytest.fixture
def paying(rig: Rig, connect: FakeConnect) -> Rig:
    """The rig whose gateway pays into payees' accounts, with a 2.5 % platform fee."""
    rig.gateway.traits = GatewayTraits(payouts=True)  # type: ignore[attr-defined]  # Stripe's
    return rig.swap(
        payouts=connect, config=EngineConfig(default_gateway="fake", payout_fee_bps=250)
    )


async def _enabled_payee(rig: Rig, connect: FakeConnect, name: str = "Ann") -> tuple[PayeeId, str]:
    payee = await rig.payee(name)
    onboarding = await rig.engine.connect_payouts(payee)
    account_id = onboarding.account.account_id
    connect.set(account_id, **ENABLED)
    await rig.engine.sync_payout_account(account_id)
    return payee, account_id


async def test_connecting_makes_one_account_and_a_fresh_link_each_time(
    paying: Rig, connect: FakeConnect
) -> None:
    payee = await paying.payee()
    first = await paying.engine.connect_payouts(payee, "de")
    again = await paying.engine.connect_payouts(payee)
    assert first.account.account_id == again.account.account_id
    assert first.account.state == PayoutState.PENDING
    assert (first.url, again.url) == (
        "https://connect.example.test/onboard/1",
        "https://connect.example.test/onboard/2",
    )
    assert connect.created == [(payee, "DE", f"chipin-account-{payee}")]
    assert (await paying.engine.payout_account(payee)) == again.account
    assert paying.notifier.of(PayoutAccountChanged) == []  # nothing to tell yet


async def test_a_bad_country_is_refused_and_changes_nothing(
    paying: Rig, connect: FakeConnect
) -> None:
    payee = await paying.payee()
    with pytest.raises(InvalidInput, match="not a country code"):
        await paying.engine.connect_payouts(payee, "Germany")
    assert connect.created == []
    assert await paying.engine.payout_account(payee) is None


async def test_without_connect_set_up_the_payee_is_told_it_is_not_available(rig: Rig) -> None:
    payee = await rig.payee()
    assert await rig.engine.payout_account(payee) is None
    with pytest.raises(Exception, match="not set up here"):
        await rig.engine.connect_payouts(payee)


async def test_the_account_enabled_by_the_gateway_is_told_and_binds_new_orders(
    paying: Rig, connect: FakeConnect
) -> None:
    before = await paying.payee("Bob")
    old = await paying.engine.create_order(before, request("100", 2))
    payee, account_id = await _enabled_payee(paying, connect)
    [told] = paying.notifier.of(PayoutAccountChanged)
    assert isinstance(told, PayoutAccountChanged)
    assert (told.payee_id, told.state, told.reason) == (payee, "enabled", "")
    view = await paying.engine.create_order(payee, request("80", 2))
    assert view.order.card_account == account_id
    assert old.order.card_account is None
    stored = await paying.engine.get_order(view.order.id, payee)
    assert stored.order.card_account == account_id


async def test_a_card_part_is_a_destination_charge_less_the_platform_fee(
    paying: Rig, connect: FakeConnect
) -> None:
    payee, account_id = await _enabled_payee(paying, connect)
    view = await paying.engine.create_order(payee, request("80.10", 2))  # 40.05 each
    held = await paying.engine.reserve(view.order.token, "p1", source="tg:1")
    assert held.sub.checkout_ref is not None
    sent = paying.gateway.checkouts[held.sub.checkout_ref].request
    assert sent.payout is not None
    assert (sent.payout.account_id, sent.payout.fee_minor) == (account_id, 100)  # 2.5 %, half up
    await paying.engine.apply_event(paying.gateway.pay(held.sub.checkout_ref))
    async with paying.store.transaction() as tx:
        [payment] = await tx.payments.payments_of_order(view.order.id)
    assert (payment.payout_account, payment.fee_minor, payment.counted) == (account_id, 100, True)


async def test_an_order_made_before_connecting_pays_the_operator_without_connect_fields(
    paying: Rig, connect: FakeConnect
) -> None:
    payee = await paying.payee()
    view = await paying.engine.create_order(payee, request("80", 2))
    await _connected(paying, connect, payee)
    held = await paying.engine.reserve(view.order.token, "p1", source="tg:1")
    assert held.sub.checkout_ref is not None
    assert paying.gateway.checkouts[held.sub.checkout_ref].request.payout is None


async def _connected(rig: Rig, connect: FakeConnect, payee: PayeeId) -> str:
    account_id = (await rig.engine.connect_payouts(payee)).account.account_id
    connect.set(account_id, **ENABLED)
    await rig.engine.sync_payout_account(account_id)
    return account_id


async def test_a_restricted_account_is_not_offered_and_its_open_orders_keep_their_paid_parts(
    paying: Rig, connect: FakeConnect
) -> None:
    payee, account_id = await _enabled_payee(paying, connect)
    view = await paying.engine.create_order(payee, request("90", 3))
    held = await paying.engine.reserve(view.order.token, "p1", source="tg:1")
    assert held.sub.checkout_ref is not None
    await paying.engine.apply_event(paying.gateway.pay(held.sub.checkout_ref))
    connect.set(account_id, **RESTRICTED)
    account = await paying.engine.sync_payout_account(account_id)
    assert account is not None
    assert account.state == PayoutState.RESTRICTED
    assert account.due == ("individual.verification.document",)
    told = paying.notifier.of(PayoutAccountChanged)[-1]
    assert isinstance(told, PayoutAccountChanged)
    assert (told.state, told.reason, told.orders) == (
        "restricted",
        "Stripe needs more information from you",
        (view.order.id,),
    )
    order = (await paying.engine.get_order(view.order.id, payee)).order
    assert await paying.engine.methods_for(order) == []
    assert await paying.engine.card_paused(order) == account
    with pytest.raises(Unsupported, match="paused") as refused:
        await paying.engine.reserve(view.order.token, "p2", source="tg:2")
    assert refused.value.fields["reason"] == "payout_paused"
    after = await paying.engine.get_order(view.order.id, payee)
    assert (after.order.paid_count, after.order.state) == (1, OrderState.OPEN)
    assert [s.state for s in after.subs].count(SubOrderState.RESERVED) == 0
    connect.set(account_id, **ENABLED, disabled_reason="", due=())
    await paying.engine.sync_payout_account(account_id)
    again = await paying.engine.reserve(view.order.token, "p2", source="tg:2")
    assert again.sub.checkout_ref is not None


async def test_a_disconnect_stops_cards_on_bound_orders_and_new_orders_pay_the_operator(
    paying: Rig, connect: FakeConnect
) -> None:
    payee, account_id = await _enabled_payee(paying, connect)
    bound = await paying.engine.create_order(payee, request("90", 3))
    account = await paying.engine.disconnect_payouts(payee)
    assert account.state == PayoutState.DISCONNECTED
    told = paying.notifier.of(PayoutAccountChanged)[-1]
    assert isinstance(told, PayoutAccountChanged)
    assert (told.state, told.orders) == ("disconnected", (bound.order.id,))
    with pytest.raises(Unsupported, match="paused"):
        await paying.engine.reserve(bound.order.token, "p1", source="tg:1")
    fresh = await paying.engine.create_order(payee, request("90", 3))
    assert fresh.order.card_account is None
    with pytest.raises(NotFound):
        await paying.engine.disconnect_payouts(payee)
    # news from the gateway does not undo the payee's own disconnect
    await paying.engine.sync_payout_account(account_id)
    assert (await paying.engine.payout_account(payee)).state == PayoutState.DISCONNECTED  # type: ignore[union-attr]
    # connecting again lifts it, with the same account
    again = await paying.engine.connect_payouts(payee)
    assert (again.account.account_id, again.account.state) == (account_id, PayoutState.ENABLED)
    held = await paying.engine.reserve(bound.order.token, "p1", source="tg:1")
    assert held.sub.checkout_ref is not None


async def test_account_webhooks_apply_once_and_bad_ones_change_nothing(
    paying: Rig, connect: FakeConnect
) -> None:
    payee = await paying.payee()
    account_id = (await paying.engine.connect_payouts(payee)).account.account_id
    connect.set(account_id, **ENABLED)
    with pytest.raises(WebhookRejected):
        await paying.engine.handle_account_webhook(account_id.encode(), {"stripe-signature": "x"})
    assert (await paying.engine.payout_account(payee)).state == PayoutState.PENDING  # type: ignore[union-attr]
    good = {"stripe-signature": "good"}
    assert await paying.engine.handle_account_webhook(account_id.encode(), good) == 1
    assert await paying.engine.handle_account_webhook(account_id.encode(), good) == 0
    assert len(paying.notifier.of(PayoutAccountChanged)) == 1
    # an account that is no payee's here, and an event type Chipin does not act on
    assert await paying.engine.handle_account_webhook(b"acct_someone_else", good) == 0
    assert await paying.engine.handle_account_webhook(b"", good) == 0


async def test_return_and_refresh_pages_know_only_their_own_tokens(
    paying: Rig, connect: FakeConnect
) -> None:
    payee = await paying.payee()
    account_id = (await paying.engine.connect_payouts(payee)).account.account_id
    connect.set(account_id, **ENABLED)
    back = await paying.engine.payout_return(f"t-{account_id}")
    assert back is not None
    assert back.state == PayoutState.ENABLED
    assert await paying.engine.payout_return("forged") is None
    assert await paying.engine.payout_refresh(f"t-{account_id}") == (
        "https://connect.example.test/onboard/2"
    )
    assert await paying.engine.payout_refresh("forged") is None


class HoldingWeek(FakeGateway):
    """A gateway whose authorisations last 7 days, as a card's do."""

    name = "card"
    traits = GatewayTraits(hold_lifetime=timedelta(days=7))


async def test_a_group_buy_longer_than_a_card_hold_is_refused_or_not_offered_cards(
    rig: Rig,
) -> None:
    payee = await rig.payee()
    card_only = rig.swap(gateways={"card": HoldingWeek()})
    with pytest.raises(InvalidInput, match="must end within 7 days"):
        await card_only.engine.create_order(
            payee, request("90", 3, mode="all", valid=timedelta(days=10))
        )
    week = await card_only.engine.create_order(
        payee, request("90", 3, mode="all", valid=timedelta(days=7))
    )
    assert week.order.lifetime == timedelta(days=7)
    both = rig.swap(gateways={"fake": rig.gateway, "card": HoldingWeek()})
    long = await both.engine.create_order(
        payee, request("90", 3, mode="all", valid=timedelta(days=10))
    )
    assert await both.engine.methods_for(long.order) == ["fake"]
    with pytest.raises(Unsupported, match="at most 7 days") as refused:
        await both.engine.reserve(long.order.token, "p1", gateway="card", source="tg:1")
    assert refused.value.fields["reason"] == "hold_lifetime"


async def test_an_order_made_while_the_sign_up_is_unfinished_pays_the_operator(
    paying: Rig, connect: FakeConnect
) -> None:
    payee = await paying.payee()
    await paying.engine.connect_payouts(payee)  # tapped Connect, left Stripe's pages
    view = await paying.engine.create_order(payee, request("80", 2))
    assert view.order.card_account is None
    assert await paying.engine.methods_for(view.order) == ["fake"]


async def test_with_connect_switched_off_a_bound_order_takes_no_card_money_to_the_operator(
    paying: Rig, connect: FakeConnect
) -> None:
    payee, account_id = await _enabled_payee(paying, connect)
    view = await paying.engine.create_order(payee, request("80", 2))
    assert view.order.card_account == account_id
    off = paying.swap(payouts=None)
    assert await off.engine.methods_for(view.order) == []
    with pytest.raises(Unsupported, match="paused"):
        await off.engine.reserve(view.order.token, "p1", source="tg:1")
    assert paying.gateway.checkouts == {}


class SlowConnect(FakeConnect):
    """Stripe's answer to one lookup held back until the test lets it go."""

    def __init__(self) -> None:
        super().__init__()
        self.gate: asyncio.Event | None = None
        self.asked = asyncio.Event()  # the held lookup has its answer and waits

    async def account_status(self, account_id: str) -> AccountStatus:
        answer = self.accounts[account_id]  # what Stripe says now
        if self.gate is not None:
            gate, self.gate = self.gate, None
            self.asked.set()
            await gate.wait()
        return answer


def _slow_rig(rig: Rig) -> tuple[Rig, SlowConnect]:
    slow = SlowConnect()
    rig.gateway.traits = GatewayTraits(payouts=True)  # type: ignore[attr-defined]
    return rig.swap(payouts=slow), slow


async def test_an_older_answer_from_stripe_never_overwrites_a_newer_one(rig: Rig) -> None:
    paying, slow = _slow_rig(rig)
    payee = await paying.payee()
    account_id = (await paying.engine.connect_payouts(payee)).account.account_id
    gate = asyncio.Event()
    slow.gate = gate
    first = asyncio.create_task(paying.engine.sync_payout_account(account_id))
    await asyncio.wait_for(slow.asked.wait(), 5)  # it was told "pending", and waits
    slow.set(account_id, **ENABLED)
    paying.clock.advance(seconds=1)
    second = await paying.engine.sync_payout_account(account_id)  # told "enabled"
    assert second is not None
    assert second.state == PayoutState.ENABLED
    gate.set()  # the older answer comes back last
    await asyncio.wait_for(first, 5)
    stored = await paying.engine.payout_account(payee)
    assert stored is not None
    assert stored.state == PayoutState.ENABLED
    assert [e.state for e in paying.notifier.of(PayoutAccountChanged)] == ["enabled"]  # type: ignore[attr-defined]


async def test_a_lookup_that_began_before_a_disconnect_does_not_undo_it(rig: Rig) -> None:
    paying, slow = _slow_rig(rig)
    payee = await paying.payee()
    account_id = (await paying.engine.connect_payouts(payee)).account.account_id
    slow.set(account_id, **ENABLED)
    await paying.engine.sync_payout_account(account_id)
    gate = asyncio.Event()
    slow.gate = gate
    lookup = asyncio.create_task(paying.engine.sync_payout_account(account_id))
    await asyncio.wait_for(slow.asked.wait(), 5)
    paying.clock.advance(seconds=1)
    await paying.engine.disconnect_payouts(payee)
    gate.set()
    await asyncio.wait_for(lookup, 5)
    stored = await paying.engine.payout_account(payee)
    assert stored is not None
    assert stored.state == PayoutState.DISCONNECTED
