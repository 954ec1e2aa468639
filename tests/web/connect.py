"""What the web tests of payees' own Stripe accounts (Stripe Connect) share: the fake
PayoutGateway with real signed link tokens, a card gateway named as Stripe's, and the API
over an engine with both."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from core.domain.model import PayeeId
from core.domain.payouts import CARD_HOLD_LIFETIME, AccountStatus
from core.ports.store import Gateway, GatewayTraits
from gateways.stripe.links import AccountLinks
from tests.support.fakes.gateway import FakeGateway
from tests.support.fakes.payouts import FakePayouts
from tests.support.harness import Rig
from tests.web.conftest import Api, client_for, make_app

LINK_KEY = b"web-tests-account-link-key-0123456789"


class SignedPayouts(FakePayouts):
    """FakePayouts whose sign-up links come back with the token Stripe's would carry
    (gateways.stripe.links.AccountLinks, a fixed key): `tokens` in the order handed out.
    `fail_next` makes the next calls to Stripe fail, one exception a call."""

    def __init__(self) -> None:
        super().__init__("stripe")
        self.signed = AccountLinks(LINK_KEY)
        self.tokens: list[str] = []
        self.fail_next: list[Exception] = []
        self.calls = 0

    def _call(self) -> None:
        self.calls += 1
        if self.fail_next:
            raise self.fail_next.pop(0)

    async def create_account(
        self, payee_id: str, country: str | None, idempotency_key: str
    ) -> AccountStatus:
        self._call()
        return await super().create_account(payee_id, country, idempotency_key)

    async def account_status(self, account_id: str) -> AccountStatus:
        self._call()
        return await super().account_status(account_id)

    async def onboarding_url(self, account_id: str) -> str:
        self._call()
        self.tokens.append(self.signed.token(account_id))
        return await super().onboarding_url(account_id)

    def account_of_link(self, token: str) -> str | None:
        return self.signed.id_of(token)


class CardGateway(FakeGateway):
    """Cards, named as Stripe's gateway and holding money as long as a card authorisation."""

    name = "stripe"
    traits = GatewayTraits(hold_lifetime=CARD_HOLD_LIFETIME, payouts=True)


class SandboxGateway(FakeGateway):
    name = "sandbox"


def with_connect(rig: Rig, payouts: SignedPayouts, *gateways: Gateway) -> Rig:
    """The rig's engine with Stripe Connect on and, when given, these gateways (the first is
    the default) instead of the rig's fake."""
    if not gateways:
        return rig.swap(payouts=payouts)
    config = replace(rig.engine.deps.config, default_gateway=gateways[0].name)
    return rig.swap(payouts=payouts, gateways={g.name: g for g in gateways}, config=config)


@asynccontextmanager
async def api_over(rig: Rig) -> AsyncIterator[Api]:
    """The app over `rig`, with Ann's and Bob's keys."""
    _, ann = await rig.engine.create_api_key("Ann")
    _, bob = await rig.engine.create_api_key("Bob")
    async with client_for(make_app(rig)) as client:
        yield Api(client, rig, ann, bob)


async def enabled_account(rig: Rig, payouts: SignedPayouts, payee: PayeeId) -> str:
    """The payee connected, and Stripe enabled the account: its id."""
    account_id = (await rig.engine.connect_payouts(payee)).account.account_id
    payouts.enable(account_id)
    await rig.engine.sync_payout_account(account_id)
    return account_id
