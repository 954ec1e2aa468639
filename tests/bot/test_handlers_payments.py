"""Handler tests of Telegram Payments: invoice, pre-checkout, successful payment, refunds."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from core.domain.model import OrderState, PaymentStatus, SubOrderState
from core.ports.store import Gateway
from core.usecases.deps import Outcome
from gateways.telegram import TelegramGateway
from tests.support.fakes.gateway import FakeGateway
from tests.support.harness import build_rig, dump
from tests.support.ptb import (
    ANN,
    BOB,
    CID,
    DAN,
    GROUP,
    MEI,
    OTHER_PIN,
    PIN,
    BotRig,
    Call,
    Fault,
    OfflineBot,
    Person,
    running_bot,
)

PAYLOAD_KEY = b"telegram-invoice-payload-key-for-tests"
PROVIDER_TOKEN = "284685063:TEST:provider-token"


@asynccontextmanager
async def payments_bot(
    tmp_path: Path, methods: Sequence[str] = ("telegram",), *, provider_token: str = ""
) -> AsyncIterator[BotRig]:
    """The bot over an engine whose enabled gateways are `methods`, in that order: telegram
    (Stars only without a provider token) and fakes named 'sandbox' or 'stripe'."""
    offline = OfflineBot.over(tmp_path)
    telegram = TelegramGateway(
        f"sqlite+aiosqlite:///{tmp_path / 'telegram.db'}",
        PAYLOAD_KEY,
        provider_token=provider_token,
        refunds=offline.star_refunds(),
    )
    gateways: list[Gateway] = []
    for name in methods:
        if name == "telegram":
            gateways.append(telegram)
        else:
            fake = FakeGateway()
            fake.name = name
            gateways.append(fake)
    await telegram.start()
    try:
        async with running_bot(tmp_path, build_rig(gateways=gateways), offline=offline) as bot:
            yield bot
    finally:
        await telegram.stop()


@pytest.fixture
async def stars(tmp_path: Path) -> AsyncIterator[BotRig]:
    async with payments_bot(tmp_path) as bot:
        yield bot


@pytest.fixture
async def money(tmp_path: Path) -> AsyncIterator[BotRig]:
    async with payments_bot(tmp_path, provider_token=PROVIDER_TOKEN) as bot:
        yield bot


async def invoice_for(bot: BotRig, user: Person, token: str, pin: str = PIN) -> Call:
    """Reserve (open the link, Pay, password) and return the invoice the bot sent."""
    await bot.reserve(user, token, pin)
    return bot.api.invoices(user.id)[-1]


def _payload(invoice: Call) -> str:
    return str(invoice.params["payload"])


async def _payment(bot: BotRig, charge_id: str) -> PaymentStatus | None:
    found = await bot.rig.engine.payment_of("telegram", charge_id)
    return found.status if found is not None else None


# ---- the invoice ----


async def test_a_stars_invoice_goes_to_the_payers_private_chat_for_exactly_the_part(
    stars: BotRig,
) -> None:
    posted = await stars.post("/split 50 2 Popcorn currency=XTR")

    held = await stars.reserve(BOB, posted.token)

    assert "held for you" in held.text
    assert "invoice below" in held.text
    assert held.buttons == []
    (invoice,) = stars.api.invoices()
    assert invoice.chat_id == BOB.id
    view = await stars.rig.engine.public_order(posted.token)
    [sub] = [s for s in view.subs if s.payer_ref == f"tg:{BOB.id}"]
    assert invoice.params["payload"] == sub.checkout_ref
    assert 1 <= len(_payload(invoice).encode()) <= 128
    assert invoice.params["currency"] == "XTR"
    assert invoice.params["prices"] == [{"label": "Your part", "amount": 25}]
    assert invoice.params["provider_token"] == ""
    assert invoice.params["title"] == "Popcorn"
    assert stars.api.invoices(GROUP) == []
    # No start_parameter: a forwarded copy keeps its Pay button, and the pre-checkout then
    # refuses anyone but Bob (test_pre_checkout_refuses_another_payers_invoice).
    assert "start_parameter" not in invoice.params


async def test_a_provider_invoice_carries_the_token_and_the_minor_units(money: BotRig) -> None:
    posted = await money.post("/split 25 2 Lunch")
    invoice = await invoice_for(money, BOB, posted.token)
    assert invoice.chat_id == BOB.id
    assert invoice.params["currency"] == "USD"
    assert invoice.params["prices"] == [{"label": "Your part", "amount": 1250}]
    assert invoice.params["provider_token"] == PROVIDER_TOKEN


# ---- the pre-checkout answer ----


async def test_pre_checkout_says_yes_for_the_payers_own_held_part(stars: BotRig) -> None:
    posted = await stars.post("/split 50 2 Popcorn currency=XTR")
    invoice = await invoice_for(stars, BOB, posted.token)
    answer = await stars.precheck(BOB, _payload(invoice), 25, "XTR")
    assert answer.params["ok"] is True
    assert "error_message" not in answer.params


@pytest.mark.parametrize(
    ("amount", "currency"), [(24, "XTR"), (26, "XTR"), (25, "USD")], ids=["less", "more", "cur"]
)
async def test_pre_checkout_refuses_a_wrong_amount_or_currency(
    stars: BotRig, amount: int, currency: str
) -> None:
    posted = await stars.post("/split 50 2 Popcorn currency=XTR")
    invoice = await invoice_for(stars, BOB, posted.token)
    answer = await stars.precheck(BOB, _payload(invoice), amount, currency)
    assert answer.params["ok"] is False
    assert "does not match your part of Popcorn" in answer.params["error_message"]


async def test_pre_checkout_refuses_another_payers_invoice(stars: BotRig) -> None:
    posted = await stars.post("/split 50 2 Popcorn currency=XTR")
    invoice = await invoice_for(stars, BOB, posted.token)  # forwarded to Cid, say
    answer = await stars.precheck(CID, _payload(invoice), 25, "XTR")
    assert answer.params["ok"] is False
    assert "someone else's part" in answer.params["error_message"]


async def test_pre_checkout_refuses_a_payload_chipin_did_not_make(stars: BotRig) -> None:
    posted = await stars.post("/split 50 2 Popcorn currency=XTR")
    invoice = await invoice_for(stars, BOB, posted.token)
    forged = _payload(invoice)[:-3] + "AAA"
    answer = await stars.precheck(BOB, forged, 25, "XTR")
    assert answer.params["ok"] is False
    assert "no longer valid" in answer.params["error_message"]


async def test_pre_checkout_refuses_a_lapsed_hold_before_and_after_it_is_released(
    stars: BotRig,
) -> None:
    posted = await stars.post("/split 50 2 Popcorn currency=XTR")
    invoice = await invoice_for(stars, BOB, posted.token)
    hold_s = (await stars.rig.engine.public_order(posted.token)).order.hold_s
    stars.rig.clock.advance(seconds=hold_s + 1)

    lapsed = await stars.precheck(BOB, _payload(invoice), 25, "XTR")
    await stars.rig.engine.tick()
    released = await stars.precheck(BOB, _payload(invoice), 25, "XTR")

    for answer in (lapsed, released):
        assert answer.params["ok"] is False
        assert "Your hold on Popcorn ran out" in answer.params["error_message"]


async def test_pre_checkout_refuses_an_expired_order(stars: BotRig) -> None:
    posted = await stars.post("/split 50 2 Popcorn currency=XTR expires=30m")
    invoice = await invoice_for(stars, BOB, posted.token)
    stars.rig.clock.advance(minutes=31)
    answer = await stars.precheck(BOB, _payload(invoice), 25, "XTR")
    assert answer.params["ok"] is False
    assert "Popcorn has expired" in answer.params["error_message"]


async def test_pre_checkout_refuses_a_cancelled_order(stars: BotRig) -> None:
    posted = await stars.post("/split 50 2 Popcorn currency=XTR")
    invoice = await invoice_for(stars, BOB, posted.token)
    for _ in range(2):  # Cancel, then confirm
        await stars.press(ANN, posted.progress, f"can:{posted.order_id}")
    answer = await stars.precheck(BOB, _payload(invoice), 25, "XTR")
    assert answer.params["ok"] is False
    assert "Popcorn was cancelled" in answer.params["error_message"]


async def test_pre_checkout_refuses_a_full_order(stars: BotRig) -> None:
    """Bob's hold lapsed, Cid took the only part and paid: Bob's old invoice is refused."""
    posted = await stars.post("/split 20 1 Taxi currency=XTR")
    old = await invoice_for(stars, BOB, posted.token)
    hold_s = (await stars.rig.engine.public_order(posted.token)).order.hold_s
    stars.rig.clock.advance(seconds=hold_s + 1)
    await stars.rig.engine.tick()
    await stars.pay_invoice(CID, await invoice_for(stars, CID, posted.token), "stx-cid")

    answer = await stars.precheck(BOB, _payload(old), 20, "XTR")

    assert answer.params["ok"] is False
    assert "Every part of Taxi is paid" in answer.params["error_message"]
    view = await stars.rig.engine.public_order(posted.token)
    assert (view.order.state, view.order.paid_count) == (OrderState.COMPLETED, 1)


async def test_a_chinese_payer_is_refused_in_chinese(stars: BotRig) -> None:
    posted = await stars.post("/split 50 2 Popcorn currency=XTR")
    invoice = await invoice_for(stars, BOB, posted.token)
    answer = await stars.precheck(MEI, _payload(invoice), 25, "XTR")
    assert answer.params["ok"] is False
    assert "别人" in answer.params["error_message"]


# ---- the payment ----


async def test_a_payment_settles_once_and_a_repeated_update_changes_nothing(
    stars: BotRig,
) -> None:
    posted = await stars.post("/split 50 2 Popcorn currency=XTR")
    invoice = await invoice_for(stars, BOB, posted.token)

    await stars.pay_invoice(BOB, invoice, "stxCharge1")

    assert "Payment received" in stars.api.last(BOB.id).text
    assert "25 XTR" in stars.api.last(BOB.id).text
    assert "Paid 1/2" in stars.api.edits(GROUP)[-1].text
    assert await _payment(stars, "stxCharge1") == PaymentStatus.CAPTURED
    before, sent = await dump(stars.rig.store), len(stars.api.sent(BOB.id))

    again = await stars.paid(BOB, _payload(invoice), 25, "XTR", "stxCharge1")

    assert await dump(stars.rig.store) == before
    assert len(stars.api.sent(BOB.id)) == sent
    assert [c.method for c in again if c.method == "refundStarPayment"] == []


async def test_a_payment_the_engine_cannot_record_yet_is_settled_by_reconciliation(
    stars: BotRig, monkeypatch: pytest.MonkeyPatch
) -> None:
    posted = await stars.post("/split 50 2 Popcorn currency=XTR")
    invoice = await invoice_for(stars, BOB, posted.token)

    async def database_down(event: object) -> Outcome:
        raise ConnectionError("the database went away")

    with monkeypatch.context() as patch:
        patch.setattr(stars.rig.engine, "apply_event", database_down)
        await stars.pay_invoice(BOB, invoice, "stxRecon")
    told = stars.api.last(BOB.id).text
    assert "Telegram took your payment" in told
    assert "Nothing was charged" not in "".join(stars.api.texts())
    assert await _payment(stars, "stxRecon") is None

    assert await stars.rig.engine.reconcile() == 1  # the gateway's books had the charge
    await stars.flush()

    assert await _payment(stars, "stxRecon") == PaymentStatus.CAPTURED
    assert "Payment received" in stars.api.last(BOB.id).text


async def test_a_late_stars_payment_is_refunded_once_and_the_payer_told(stars: BotRig) -> None:
    posted = await stars.post("/split 20 1 Taxi currency=XTR expires=30m")
    invoice = await invoice_for(stars, BOB, posted.token)
    assert (await stars.precheck(BOB, _payload(invoice), 20, "XTR")).params["ok"] is True
    stars.rig.clock.advance(minutes=31)  # the order expired while Telegram charged

    await stars.paid(BOB, _payload(invoice), 20, "XTR", "stxLate1")
    await stars.paid(BOB, _payload(invoice), 20, "XTR", "stxLate1")  # delivered twice

    refunds = stars.api.of("refundStarPayment")
    assert [(c.params["user_id"], c.params["telegram_payment_charge_id"]) for c in refunds] == [
        (BOB.id, "stxLate1")
    ]
    assert await _payment(stars, "stxLate1") == PaymentStatus.REFUNDED
    told = stars.api.last(BOB.id).text
    assert "could not count" in told
    assert "being refunded" in told
    view = await stars.rig.engine.public_order(posted.token)
    assert view.order.paid_count == 0


async def test_a_late_provider_payment_is_owed_by_the_payee_who_marks_it_refunded(
    money: BotRig,
) -> None:
    posted = await money.post("/split 20 1 Taxi expires=30m")
    invoice = await invoice_for(money, BOB, posted.token)
    assert (await money.precheck(BOB, _payload(invoice), 2000, "USD")).params["ok"] is True
    money.rig.clock.advance(minutes=31)

    await money.paid(BOB, _payload(invoice), 2000, "USD", "tgLate1")

    assert money.api.of("refundStarPayment") == []
    payment = await money.rig.engine.payment_of("telegram", "tgLate1")
    assert payment is not None
    assert payment.status == PaymentStatus.REFUND_OWED
    owed = money.api.last(ANN.id)
    assert "Bob paid" in owed.text
    assert "20.00 USD" in owed.text
    assert "Taxi" in owed.text
    button = owed.button("Refunded it")
    assert button["callback_data"] == f"rfd:{payment.id}"
    told = money.api.last(BOB.id).text
    assert "Ann will give it back" in told

    # Nobody else can say it was refunded: not on a message of their own, not in the group.
    other = await money.send(DAN, "/help")
    refused = await money.press(
        DAN, [c for c in other if c.chat_id == DAN.id][-1], button["callback_data"]
    )
    assert refused.params["show_alert"] is True
    assert "Only the person collecting" in refused.params["text"]
    await money.press(BOB, posted.progress, button["callback_data"])
    assert await _payment(money, "tgLate1") == PaymentStatus.REFUND_OWED

    done = await money.press(ANN, owed, button["callback_data"])

    assert "Marked as refunded" in done.params["text"]
    assert await _payment(money, "tgLate1") == PaymentStatus.REFUNDED
    async with money.rig.store.transaction() as tx:
        entries = await tx.ledger.ledger_entries_of_payment(payment.id)
        named = await tx.ledger.payer_secret(entries[0].index)
    assert [e.kind.value for e in entries] == ["payment.late", "late.refunded"]
    assert named is not None
    assert named.payer_ref == f"tg:{BOB.id}"  # the late payer is named (sealed), not the part's
    assert "gave this payment back" in money.api.edits(ANN.id)[-1].text


async def test_an_owed_refund_cannot_be_marked_twice_over(money: BotRig) -> None:
    posted = await money.post("/split 20 1 Taxi expires=30m")
    invoice = await invoice_for(money, BOB, posted.token)
    money.rig.clock.advance(minutes=31)
    await money.paid(BOB, _payload(invoice), 2000, "USD", "tgLate2")
    owed = money.api.last(ANN.id)
    data = owed.button("Refunded it")["callback_data"]
    await money.press(ANN, owed, data)
    before = await dump(money.rig.store)
    await money.press(ANN, owed, data)
    assert await dump(money.rig.store) == before


# ---- the payer picks a payment method ----


def _choice_labels(bot: BotRig, user_id: int) -> list[str]:
    return [
        b["text"]
        for c in bot.api.sent(user_id)
        for b in c.buttons
        if str(b.get("callback_data", "")).startswith("gw:")
    ]


async def _verified(bot: BotRig, user: Person, token: str) -> None:
    """Open the link, press Pay and enter (or set) the payment password."""
    await bot.start_paying(user, token)
    first = await bot.rig.engine.has_pin(f"tg:{user.id}")
    await bot.enter(user, PIN)
    if not first:
        await bot.enter(user, PIN)


async def test_one_method_needs_no_choice(stars: BotRig) -> None:
    posted = await stars.post("/split 50 2 Popcorn currency=XTR")
    await invoice_for(stars, BOB, posted.token)
    assert _choice_labels(stars, BOB.id) == []


async def test_two_methods_are_offered_after_the_password_and_one_is_used(
    tmp_path: Path,
) -> None:
    async with payments_bot(
        tmp_path, ("sandbox", "telegram"), provider_token=PROVIDER_TOKEN
    ) as bot:
        posted = await bot.post("/split 20 2 Taxi")
        await _verified(bot, BOB, posted.token)
        assert _choice_labels(bot, BOB.id) == ["Sandbox (test money)", "Telegram Pay"]
        view = await bot.rig.engine.public_order(posted.token)
        assert all(s.state == SubOrderState.AVAILABLE for s in view.subs)  # nothing held yet

        await bot.choose(BOB, "Sandbox")

        held = bot.api.last(BOB.id)
        assert held.button("Pay 10.00 USD")["url"].startswith("https://pay.test/co")
        assert bot.api.invoices() == []
        view = await bot.rig.engine.public_order(posted.token)
        assert [s.gateway for s in view.subs if s.payer_ref] == ["sandbox"]


async def test_three_methods_and_telegram_sends_the_invoice(tmp_path: Path) -> None:
    methods = ("sandbox", "stripe", "telegram")
    async with payments_bot(tmp_path, methods, provider_token=PROVIDER_TOKEN) as bot:
        posted = await bot.post("/split 20 2 Taxi")
        await _verified(bot, CID, posted.token)
        assert _choice_labels(bot, CID.id) == [
            "Sandbox (test money)",
            "Card (Stripe)",
            "Telegram Pay",
        ]

        await bot.choose(CID, "Telegram Pay")

        assert "Paying with Telegram Pay" in bot.api.edits(CID.id)[-1].text
        (invoice,) = bot.api.invoices(CID.id)
        outcome_calls = await bot.pay_invoice(CID, invoice, "tgCid1")
        assert any("Payment received" in c.text for c in outcome_calls)
        assert "Paid 1/2" in bot.api.edits(GROUP)[-1].text


async def test_a_stars_order_is_not_offered_a_card(tmp_path: Path) -> None:
    async with payments_bot(tmp_path, ("stripe", "telegram")) as bot:
        posted = await bot.post("/split 50 2 Popcorn currency=XTR")
        await invoice_for(bot, BOB, posted.token)  # no choice: a card gateway takes no Stars
        assert _choice_labels(bot, BOB.id) == []


async def test_mode_all_is_not_offered_telegram(tmp_path: Path) -> None:
    methods = ("sandbox", "telegram")
    async with payments_bot(tmp_path, methods, provider_token=PROVIDER_TOKEN) as bot:
        posted = await bot.post("/split 20 2 Trip mode=all")
        held = await bot.reserve(BOB, posted.token)
        assert _choice_labels(bot, BOB.id) == []
        assert held.button("Pay 10.00 USD")["url"].startswith("https://pay.test/")


@pytest.mark.parametrize("password", [False, True])
async def test_mode_all_with_telegram_alone_is_refused_clearly(
    money: BotRig, password: bool
) -> None:
    """Refused right after the payment password: no order password is asked for nothing."""
    if password:
        await money.send(ANN, "/split 20 2 Trip mode=all password", GROUP)
        await money.send(ANN, "tiramisu42")
        token = (await money.rig.engine.open_orders_in_chat(GROUP))[0][1].order.token
    else:
        token = (await money.post("/split 20 2 Trip mode=all")).token
    await _verified(money, BOB, token)
    refused = money.api.last(BOB.id)
    assert "charges only when everyone has paid" in refused.text
    assert "order password" not in "".join(c.text for c in money.api.sent(BOB.id))
    assert money.api.invoices() == []
    view = await money.rig.engine.public_order(token)
    assert all(s.state == SubOrderState.AVAILABLE for s in view.subs)


# ---- forged choices ----


async def test_forged_choices_are_refused(tmp_path: Path) -> None:
    methods = ("sandbox", "telegram")
    async with payments_bot(tmp_path, methods, provider_token=PROVIDER_TOKEN) as bot:
        posted = await bot.post("/split 20 2 Taxi")
        other = await bot.post("/split 30 2 Lunch")
        data = f"gw:telegram:{posted.token}"

        # No choice is open for Dan: a button he forges on his own card does nothing.
        card = await bot.open_link(DAN, posted.token)
        assert (await bot.press(DAN, card, data)).params["show_alert"] is True
        # Bob verified for the taxi; the same data on the group's message does nothing.
        await _verified(bot, BOB, posted.token)
        assert (await bot.press(BOB, posted.progress, data)).params["show_alert"] is True
        # Nor a choice for another order than the one he verified for.
        choice = [c for c in bot.api.sent(BOB.id) if c.buttons][-1]
        wrong = await bot.press(BOB, choice, f"gw:telegram:{other.token}")
        assert wrong.params["show_alert"] is True
        # Nor a method that is not enabled.
        assert (await bot.press(BOB, choice, f"gw:paypal:{posted.token}")).params["show_alert"]

        for token in (posted.token, other.token):
            view = await bot.rig.engine.public_order(token)
            assert all(s.state == SubOrderState.AVAILABLE for s in view.subs)
        assert bot.api.invoices() == []

        await bot.choose(BOB, "Telegram Pay")  # the real choice still works
        assert len(bot.api.invoices(BOB.id)) == 1


async def test_a_choice_acts_once(tmp_path: Path) -> None:
    methods = ("sandbox", "telegram")
    async with payments_bot(tmp_path, methods, provider_token=PROVIDER_TOKEN) as bot:
        posted = await bot.post("/split 20 2 Taxi")
        await _verified(bot, BOB, posted.token)
        await bot.choose(BOB, "Telegram Pay")
        again = await bot.choose(BOB, "Sandbox")
        assert again.params["show_alert"] is True
        assert len(bot.api.invoices(BOB.id)) == 1
        view = await bot.rig.engine.public_order(posted.token)
        assert [s.gateway for s in view.subs if s.payer_ref] == ["telegram"]


async def test_the_engine_outcome_of_a_duplicate_is_duplicate(stars: BotRig) -> None:
    """The bot passes the charge id as the event id: the engine sees the repeat as one."""
    posted = await stars.post("/split 50 2 Popcorn currency=XTR")
    invoice = await invoice_for(stars, BOB, posted.token, OTHER_PIN)
    await stars.pay_invoice(BOB, invoice, "stxDup")
    telegram = stars.rig.engine.deps.gateways["telegram"]
    assert isinstance(telegram, TelegramGateway)
    event = await telegram.payment_event(
        charge_id="stxDup",
        payload=_payload(invoice),
        amount_minor=25,
        currency="XTR",
        user_id=BOB.id,
        payer_ref=f"tg:{BOB.id}",
        payer_name="Bob",
    )
    assert await stars.rig.engine.apply_event(event) == Outcome.DUPLICATE


async def test_logs_never_hold_the_provider_token_nor_a_charge_beside_its_payer(
    money: BotRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    caplog.set_level(logging.DEBUG, logger="core")
    caplog.set_level(logging.DEBUG, logger="gateways")
    caplog.set_level(logging.DEBUG, logger="chipin")
    posted = await money.post("/split 20 1 Taxi expires=30m")
    invoice = await invoice_for(money, BOB, posted.token)
    money.rig.clock.advance(minutes=31)
    await money.paid(BOB, _payload(invoice), 2000, "USD", "tgLogged1")  # late: owed
    await money.precheck(CID, _payload(invoice), 2000, "USD")

    ours = [r.getMessage() for r in caplog.records if r.name.split(".")[0] != "telegram"]
    assert ours  # the flow logged something
    assert not any(PROVIDER_TOKEN in line for line in ours)
    assert not any("tgLogged1" in line and str(BOB.id) in line for line in ours)


@pytest.mark.parametrize(
    ("status", "description", "after", "after_tick"),
    [
        (400, "Bad Request: CHARGE_ALREADY_REFUNDED", PaymentStatus.REFUNDED, None),
        (400, "Bad Request: CHARGE_NOT_FOUND", PaymentStatus.REFUND_OWED, None),
        (502, "Bad Gateway", PaymentStatus.REFUND_PENDING, PaymentStatus.REFUNDED),
    ],
    ids=["refunded-before", "refused-for-good", "telegram-down"],
)
async def test_what_telegram_answers_to_a_stars_refund_decides_what_follows(
    stars: BotRig,
    status: int,
    description: str,
    after: PaymentStatus,
    after_tick: PaymentStatus | None,
) -> None:
    posted = await stars.post("/split 20 1 Taxi currency=XTR expires=30m")
    invoice = await invoice_for(stars, BOB, posted.token)
    stars.rig.clock.advance(minutes=31)
    stars.api.faults.append(Fault("refundStarPayment", status, description))

    await stars.paid(BOB, _payload(invoice), 20, "XTR", "stxAnswer")

    assert await _payment(stars, "stxAnswer") == after
    if after == PaymentStatus.REFUND_OWED:  # never retried; the payee is told
        assert "Refunded it" in str(stars.api.last(ANN.id).buttons)
    if after_tick is not None:  # retried on a later pass, with the same charge
        stars.rig.clock.advance(minutes=5)
        await stars.rig.engine.tick()
        assert await _payment(stars, "stxAnswer") == after_tick
    calls = stars.api.of("refundStarPayment")
    assert {c.params["telegram_payment_charge_id"] for c in calls} == {"stxAnswer"}
    assert len(calls) == (2 if after_tick else 1)
