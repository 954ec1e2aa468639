"""Handler tests of what payers see of a payee's own Stripe account (Stripe Connect): where
the card money goes and the platform's fee, before they pay; no card while the account
cannot take it; and card refusals for orders a card cannot hold."""

from __future__ import annotations

from pathlib import Path

from core.domain.payouts import Payout
from tests.bot.connect import (
    bot_with_connect,
    connected,
    hold_by_card,
    stripe_says,
)
from tests.support.ptb import ANN, BOB, GROUP, PIN, BotRig

INTO_ANNS = "💳 Card → Ann's own Stripe account"
PAUSED = "💳 Card payments are paused: "


async def test_the_pay_message_names_the_payees_account_and_the_platforms_fee(
    tmp_path: Path,
) -> None:
    async with bot_with_connect(tmp_path, fee_bps=250) as c:
        account = await connected(c)
        posted = await c.bot.post("/split 90 3 Dinner")

        held = await hold_by_card(c.bot, BOB, posted.token)

        assert held.text.splitlines()[-1] == (
            f"{INTO_ANNS}, of which 0.75 USD is the platform's fee."
        )
        assert held.button("Pay 30.00 USD")["url"].startswith("https://pay.test/")
        (checkout,) = c.card.checkouts.values()
        assert checkout.request.payout == Payout(account, 75)
        await c.bot.pay_checkout(held)
        receipt = c.bot.api.last(BOB.id).text
        assert "✅ <b>Payment received</b>" in receipt
        assert (
            "Paid by card → Ann's own account · platform fee 0.75 USD (Ann receives 29.25 USD)"
        ) in receipt


async def test_without_a_fee_the_pay_message_names_the_account_only(tmp_path: Path) -> None:
    async with bot_with_connect(tmp_path) as c:
        await connected(c)
        posted = await c.bot.post("/split 90 3 Dinner")

        held = await hold_by_card(c.bot, BOB, posted.token)

        assert held.text.splitlines()[-1] == f"{INTO_ANNS}."


async def test_an_order_made_before_connecting_pays_the_operator_and_says_nothing(
    tmp_path: Path,
) -> None:
    async with bot_with_connect(tmp_path, fee_bps=250) as c:
        posted = await c.bot.post("/split 90 3 Dinner")
        await connected(c)

        held = await hold_by_card(c.bot, BOB, posted.token)

        assert "Stripe account" not in held.text
        (checkout,) = c.card.checkouts.values()
        assert checkout.request.payout is None


async def test_while_paused_the_card_shows_it_and_only_other_methods_are_offered(
    tmp_path: Path,
) -> None:
    async with bot_with_connect(tmp_path) as c:
        bot = c.bot
        account = await connected(c)
        posted = await bot.post("/split 90 3 Dinner")
        c.payouts.restrict(account, reason="requirements.past_due")
        await stripe_says(c, account)

        card = await bot.open_link(BOB, posted.token)

        assert card.text.splitlines()[-1] == (
            f"{PAUSED}the payee's Stripe account cannot take payments right now."
        )
        await _pay_and_password(bot, posted.token)
        held = bot.api.last(BOB.id)  # one method left: no choice to make
        assert "held for you" in held.text
        assert "Stripe account" not in held.text
        assert c.card.checkouts == {}
        assert "Choose" not in " ".join(c.text for c in bot.api.sent(BOB.id))


async def test_with_cards_alone_a_paused_order_says_why_it_cannot_be_paid(
    tmp_path: Path,
) -> None:
    async with bot_with_connect(tmp_path, sandbox=False) as c:
        bot = c.bot
        account = await connected(c)
        posted = await bot.post("/split 90 3 Dinner")
        c.payouts.restrict(account, reason="rejected.fraud")
        await stripe_says(c, account)
        assert f"{PAUSED}the payee's Stripe account is closed." in bot.api.edits(GROUP)[-1].text

        await _pay_and_password(bot, posted.token)

        assert bot.api.last(BOB.id).text == (
            "<b>Dinner</b> cannot be paid by card now: the payee's Stripe account cannot take "
            "payments. Choose another payment method, or try again later. Nothing was charged."
        )
        assert c.card.checkouts == {}


async def test_an_all_or_nothing_order_longer_than_a_card_hold_is_refused_to_the_payee(
    tmp_path: Path,
) -> None:
    async with bot_with_connect(tmp_path, sandbox=False) as c:
        calls = await c.bot.send(ANN, "/split 90 3 Trip mode=all expires=10d", GROUP)

        (reply,) = [x for x in calls if x.chat_id == GROUP and x.method == "sendMessage"]
        assert reply.text.startswith(
            "⚠️ Expiry: An order that charges only when everyone has paid (mode all) must end "
            "within 7 days here: a card holds money no longer; choose a shorter deadline."
        )


async def test_an_all_or_nothing_order_longer_than_a_card_hold_offers_no_card(
    tmp_path: Path,
) -> None:
    async with bot_with_connect(tmp_path) as c:
        posted = await c.bot.post("/split 90 3 Trip mode=all expires=10d")

        await _pay_and_password(c.bot, posted.token)

        assert "held for you" in c.bot.api.last(BOB.id).text  # the sandbox, without a choice
        assert c.card.checkouts == {}


async def _pay_and_password(bot: BotRig, token: str) -> None:
    """Bob opens the link, presses Pay and sets his payment password."""
    await bot.start_paying(BOB, token)
    await bot.enter(BOB, PIN)
    await bot.enter(BOB, PIN)
