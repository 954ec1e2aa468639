"""TelegramGateway on its own: payloads, checkouts, its books, refunds, and its settings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from core.domain.errors import GatewayFinal, GatewayRetryable, RefundByHand, WebhookRejected
from core.ports.invoices import StarRefunds
from core.ports.store import CheckoutStatus, GatewayEventKind
from gateways.telegram import CHECKOUT_URL, TelegramGateway
from gateways.telegram.charges import metadata
from gateways.telegram.payloads import MAX_BYTES, Payloads
from tests.gateways.clean_env import settings
from tests.gateways.conftest import checkout_request
from tests.gateways.drivers import StarRefundsRecorder
from tests.support.backends import PgServer, copy_sqlite

KEY = b"telegram-invoice-payload-key-for-tests"
TOKEN = "284685063:TEST:provider-token-never-logged"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def books_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The gateway's own database, empty, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'telegram.db'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    name = server.create()
    try:
        yield server.url(name)
    finally:
        server.drop(name)


@asynccontextmanager
async def started(
    books_url: str, *, refunds: StarRefunds | None = None, provider_token: str = ""
) -> AsyncIterator[TelegramGateway]:
    """A gateway over `books_url`; `refunds` is the bot's refundStarPayment (None: no bot)."""
    gateway = TelegramGateway(books_url, KEY, provider_token=provider_token, refunds=refunds)
    await gateway.start()
    try:
        yield gateway
    finally:
        await gateway.stop()


@pytest.fixture
async def stars(books_url: str) -> AsyncIterator[TelegramGateway]:
    async with started(books_url) as gateway:
        yield gateway


async def _paid(gw: TelegramGateway, ref: str, charge: str, amount: int, cur: str) -> None:
    await gw.payment_event(
        charge_id=charge,
        payload=ref,
        amount_minor=amount,
        currency=cur,
        user_id=4242,
        payer_ref="tg:4242",
        payer_name="Bob",
    )


# ---- payloads ----


def test_a_payload_names_the_part_and_its_invoice_and_cannot_be_forged() -> None:
    payloads = Payloads(KEY)
    ref = payloads.make("sub_" + "f" * 60, "co_sub_x_12", 2500, "USD")
    assert len(ref.encode()) <= MAX_BYTES
    found = payloads.read(ref)
    assert found is not None
    assert (found.sub_order_id, found.amount_minor, found.currency) == (
        "sub_" + "f" * 60,
        2500,
        "USD",
    )
    cheaper = ref.replace(".2500.", ".1.")
    assert payloads.read(cheaper) is None  # the amount is signed
    assert Payloads(b"another-key-entirely-0123456789").read(ref) is None
    assert payloads.read("t1.sub_1") is None


def test_each_hold_gets_its_own_payload_and_the_same_hold_the_same() -> None:
    payloads = Payloads(KEY)
    first = payloads.make("sub_1", "co_sub_1_1", 25, "XTR")
    assert payloads.make("sub_1", "co_sub_1_1", 25, "XTR") == first
    assert payloads.make("sub_1", "co_sub_1_2", 25, "XTR") != first


def test_a_part_that_cannot_fit_a_payload_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot be named"):
        Payloads(KEY).make("sub." + "x" * 10, "co", 25, "XTR")  # dots would be ambiguous
    with pytest.raises(ValueError, match="at least 16 bytes"):
        Payloads(b"short")


# ---- the port ----


async def test_the_checkout_is_an_invoice_payload_for_exactly_the_part(
    stars: TelegramGateway,
) -> None:
    checkout = await stars.create_checkout(checkout_request(amount_minor=25, currency="XTR"))
    assert checkout.url == CHECKOUT_URL
    state = await stars.retrieve(checkout.ref)
    assert (state.status, state.amount_minor, state.currency) == (CheckoutStatus.OPEN, 25, "XTR")
    assert state.payment_ref is None

    await _paid(stars, checkout.ref, "stxC1", 25, "XTR")

    state = await stars.retrieve(checkout.ref)
    assert (state.status, state.payment_ref) == (CheckoutStatus.SUCCEEDED, "stxC1")


async def test_mode_all_and_other_currencies_are_refused_without_a_provider(
    stars: TelegramGateway,
) -> None:
    assert not stars.traits.authorises
    assert not stars.traits.web_checkout
    assert stars.traits.takes("XTR")
    assert not stars.traits.takes("USD")
    with pytest.raises(GatewayFinal, match="cannot hold money"):
        await stars.create_checkout(checkout_request(capture_manual=True, currency="XTR"))
    with pytest.raises(GatewayFinal, match="cannot ask"):
        await stars.create_checkout(checkout_request(currency="USD"))
    with pytest.raises(GatewayFinal):
        await stars.capture("stxC1", "k")
    with pytest.raises(GatewayFinal):
        await stars.void("stxC1", "k")
    with pytest.raises(WebhookRejected):
        stars.parse_webhook(b"{}", {}, datetime.now(UTC))


async def test_a_provider_token_takes_money_and_stays_out_of_sight(books_url: str) -> None:
    gateway = TelegramGateway(books_url, KEY, provider_token=TOKEN)
    assert gateway.traits.takes("USD")
    assert gateway.traits.takes("XTR")
    assert gateway.provider_token_for("USD") == TOKEN
    assert gateway.provider_token_for("XTR") == ""
    assert TOKEN not in repr(gateway)


async def test_the_payment_event_is_idempotent_by_charge_and_names_the_payer(
    stars: TelegramGateway,
) -> None:
    ref = (await stars.create_checkout(checkout_request(amount_minor=25, currency="XTR"))).ref
    event = await stars.payment_event(
        charge_id="stxC9",
        payload=ref,
        amount_minor=25,
        currency="XTR",
        user_id=4242,
        payer_ref="tg:4242",
        payer_name="Bob",
    )
    assert (event.event_id, event.payment_ref, event.checkout_ref) == ("stxC9", "stxC9", ref)
    assert (event.kind, event.sub_order_id, event.payer_ref) == (
        GatewayEventKind.SUCCEEDED,
        "sub_1",
        "tg:4242",
    )
    forged = await stars.payment_event(
        charge_id="stxC10",
        payload="t1.sub_1.forged",
        amount_minor=25,
        currency="XTR",
        user_id=4242,
        payer_ref="tg:4242",
        payer_name=None,
    )
    assert forged.sub_order_id is None  # names no part: the money is refunded


# ---- refunds ----


async def test_stars_go_back_through_the_bot_and_a_lost_answer_is_not_a_second_refund(
    stars: TelegramGateway, books_url: str
) -> None:
    refunds = StarRefundsRecorder()
    ref = (await stars.create_checkout(checkout_request(amount_minor=25, currency="XTR"))).ref
    await _paid(stars, ref, "stxC1", 25, "XTR")
    with pytest.raises(GatewayRetryable, match="bot is not running"):
        await stars.refund("stxC1", 25, "refund_pending_pmt_1")

    async with started(books_url, refunds=refunds) as with_bot:  # the same books
        await with_bot.refund("stxC1", 25, "refund_pending_pmt_1")

    assert refunds.calls == [(4242, "stxC1")]


@pytest.mark.parametrize(
    ("amount", "currency", "charge", "says"),
    [
        (2500, "USD", "tgC1", "no refunds for payments to a provider"),
        (25, "XTR", "stxUnknown", "no record of who paid"),
    ],
)
async def test_a_refund_telegram_cannot_make_is_owed_by_hand(
    books_url: str, amount: int, currency: str, charge: str, says: str
) -> None:
    async with started(books_url, refunds=StarRefundsRecorder(), provider_token=TOKEN) as gateway:
        ref = (
            await gateway.create_checkout(checkout_request(amount_minor=amount, currency=currency))
        ).ref
        await _paid(gateway, ref, "tgC1" if currency == "USD" else "stxKnown", amount, currency)
        with pytest.raises(RefundByHand, match=says):
            await gateway.refund(charge, amount, "refund_pending_pmt_1")


async def test_a_stars_refund_telegram_refuses_for_good_is_owed_not_retried(
    stars: TelegramGateway, books_url: str
) -> None:
    async def refused(user_id: int, charge_id: str) -> None:
        raise GatewayFinal("refundStarPayment refused: CHARGE_NOT_FOUND")

    async def offline(user_id: int, charge_id: str) -> None:
        raise GatewayRetryable("refundStarPayment failed: NetworkError")

    ref = (await stars.create_checkout(checkout_request(amount_minor=25, currency="XTR"))).ref
    await _paid(stars, ref, "stxC1", 25, "XTR")
    async with started(books_url, refunds=offline) as gateway:
        with pytest.raises(GatewayRetryable):
            await gateway.refund("stxC1", 25, "k")
    async with started(books_url, refunds=refused) as gateway:
        with pytest.raises(RefundByHand, match="CHARGE_NOT_FOUND"):
            await gateway.refund("stxC1", 25, "k")
        with pytest.raises(RefundByHand, match="in whole"):
            await gateway.refund("stxC1", 10, "k")


async def test_the_books_survive_a_restart(books_url: str) -> None:
    first = TelegramGateway(books_url, KEY)
    await first.start()
    ref = (await first.create_checkout(checkout_request(amount_minor=25, currency="XTR"))).ref
    await _paid(first, ref, "stxC1", 25, "XTR")
    await _paid(first, ref, "stxC1", 25, "XTR")  # the same update twice: one row
    await first.stop()
    refunds = StarRefundsRecorder()
    async with started(books_url, refunds=refunds) as again:
        await again.refund("stxC1", 25, "k")
    assert refunds.calls == [(4242, "stxC1")]
    engine = create_async_engine(books_url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(metadata.tables["telegram_charges"].select())).all()
    finally:
        await engine.dispose()
    assert len(rows) == 1


# ---- settings ----


def test_telegram_needs_the_bot(env: pytest.MonkeyPatch) -> None:
    env.setenv("CHIPIN_GATEWAYS", "sandbox,telegram")
    env.setenv("CHIPIN_CURRENCY", "XTR")
    with pytest.raises(ValidationError, match="TELEGRAM_BOT_TOKEN is not set"):
        settings()


def test_telegram_money_needs_a_provider_token_and_stars_do_not(env: pytest.MonkeyPatch) -> None:
    env.setenv("CHIPIN_GATEWAYS", "telegram")
    env.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    with pytest.raises(ValidationError, match="TELEGRAM_PAYMENT_PROVIDER_TOKEN is not set"):
        settings()
    env.setenv("CHIPIN_CURRENCY", "xtr")
    found = settings()
    assert (found.enabled_gateways, found.gateway, found.currency) == (
        ("telegram",),
        "telegram",
        "XTR",
    )
    assert found.provider_token() == ""


def test_the_provider_token_is_a_secret(env: pytest.MonkeyPatch) -> None:
    env.setenv("CHIPIN_GATEWAYS", "telegram,sandbox")
    env.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    env.setenv("TELEGRAM_PAYMENT_PROVIDER_TOKEN", TOKEN)
    found = settings()
    assert found.provider_token() == TOKEN
    assert TOKEN not in repr(found)


async def test_the_wiring_lists_the_gateways_in_their_order(
    env: pytest.MonkeyPatch, tmp_path: Path, sqlite_template: Path
) -> None:
    from bot.app.bootstrap import bootstrap  # the composition root, where it is under test

    env.setenv("CHIPIN_GATEWAYS", "telegram,sandbox")
    env.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    env.setenv("CHIPIN_CURRENCY", "XTR")
    env.setenv("CHIPIN_DATABASE_URL", copy_sqlite(sqlite_template, tmp_path))
    async with await bootstrap(settings(), bot=False) as service:
        assert list(service.engine.deps.gateways) == ["telegram", "sandbox"]
        assert service.telegram is not None
        assert service.telegram is service.engine.deps.gateways["telegram"]
        assert (tmp_path / "telegram.db").exists()
