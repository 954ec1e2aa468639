"""What the tests of payees' own Stripe accounts (Stripe Connect, /payouts) share: a bot whose
engine has a fake PayoutGateway, a card gateway named as Stripe's and (by default) a sandbox
beside it; a payee who connects through /payouts; Stripe's news of an account."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from core.domain.payouts import CARD_HOLD_LIFETIME
from core.ports.store import Gateway, GatewayTraits
from tests.support.fakes.gateway import FakeGateway
from tests.support.fakes.payouts import FakePayouts
from tests.support.harness import build_rig
from tests.support.ptb import ANN, PIN, BotRig, Call, Person, running_bot


class CardGateway(FakeGateway):
    """Cards, as Stripe's gateway is named and holds money (a card authorisation's life)."""

    name = "stripe"
    traits = GatewayTraits(hold_lifetime=CARD_HOLD_LIFETIME, payouts=True)


class SandboxGateway(FakeGateway):
    name = "sandbox"


@dataclass
class ConnectBot:
    bot: BotRig
    payouts: FakePayouts
    card: CardGateway


@asynccontextmanager
async def bot_with_connect(
    data_dir: Path, *, fee_bps: int = 0, sandbox: bool = True, payouts: bool = True
) -> AsyncIterator[ConnectBot]:
    """The bot over an engine with Stripe Connect on (unless `payouts` is False), a card
    gateway and, with `sandbox`, a second way to pay; `fee_bps` is STRIPE_CONNECT_FEE."""
    card = CardGateway()
    gateways: list[Gateway] = [card, SandboxGateway()] if sandbox else [card]
    rig = build_rig(gateway=card, gateways=gateways)
    fake = FakePayouts()
    config = replace(rig.engine.deps.config, payout_fee_bps=fee_bps)
    rig = rig.swap(payouts=fake if payouts else None, config=config)
    async with running_bot(data_dir, rig) as bot:
        yield ConnectBot(bot, fake, card)


async def account_id(bot: BotRig, user: Person = ANN) -> str:
    payee = await bot.rig.engine.payee_named(f"tg:{user.id}")
    account = await bot.rig.engine.payout_account(payee)
    assert account is not None
    return account.account_id


async def press_connect(bot: BotRig, user: Person = ANN) -> Call:
    """/payouts, then Connect Stripe: the message with the sign-up link."""
    listing = (await bot.send(user, "/payouts"))[-1]
    await bot.press(user, listing, listing.buttons[0]["callback_data"])  # Connect Stripe
    return bot.api.last(user.id)


async def stripe_says(c: ConnectBot, account: str) -> None:
    """Stripe's `account.updated` reached Chipin: the account is looked up again, and the
    bot tells what changed."""
    await c.bot.rig.engine.sync_payout_account(account)
    await c.bot.flush()


async def connected(c: ConnectBot, user: Person = ANN) -> str:
    """The payee connected through /payouts and Stripe enabled the account: its id."""
    await press_connect(c.bot, user)
    account = await account_id(c.bot, user)
    c.payouts.enable(account)
    await stripe_says(c, account)
    return account


async def hold_by_card(bot: BotRig, user: Person, token: str, label: str = "Card (Stripe)") -> Call:
    """Open the link, Pay, the payment password, then choose `label`: the message that holds
    the part, with the checkout button."""
    await bot.start_paying(user, token)
    had_pin = await bot.rig.engine.has_pin(f"tg:{user.id}")
    await bot.enter(user, PIN)
    if not had_pin:
        await bot.enter(user, PIN)
    await bot.choose(user, label)
    held = bot.api.last(user.id)
    assert "held for you" in held.text, held.text
    return held
