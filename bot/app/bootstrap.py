"""The composition root: `bootstrap` builds every object once, in dependency order.

The only place that imports every layer. Cycles are broken by what is made first and
handed to both sides: the update queue (the engine's notifier puts domain events on it,
the bot's Application takes them off) and the Bot API client (the Stars refunder, the
progress board and the Application hold it).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import replace
from datetime import UTC, datetime
from typing import TypedDict, Unpack

from fastapi import FastAPI
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.routing import BaseRoute
from telegram.ext import Application, ExtBot
from telegram.request import BaseRequest

from bot.app.jobs import engine_jobs
from bot.app.service import Service
from bot.app.settings import Refused, Settings, derive, load_old_secrets, load_secret
from bot.app.webhook import webhook_enabled, webhook_routes, webhook_secret
from bot.chat.application import build_application, build_bot
from bot.chat.board import MIN_INTERVAL_S
from bot.chat.notify import QueueNotifier
from bot.chat.pay.payments import StarRefunder
from core.domain.events import DomainEvent
from core.domain.passkeys import RelyingParty, relying_party
from core.domain.passwords import PasswordHasher, ScryptParams
from core.ports.invoices import StarRefunds
from core.ports.store import (
    Clock,
    Gateway,
    HeadSigner,
    IdSource,
    Notifier,
    PasskeyCeremony,
    PayoutGateway,
    StatementReader,
    Store,
)
from core.usecases.check_slots import CheckSlots
from core.usecases.deps import Deps, EngineConfig
from core.usecases.engine import Engine
from gateways.sandbox import SandboxGateway
from gateways.statements import read_statement
from gateways.stripe import StripeGateway
from gateways.telegram import TelegramGateway
from storage.db import make_engine, shown
from storage.memory_dialogs import MemoryDialogStore
from storage.migrate import migrate, schema_state
from storage.sealing import seal_plain_rows
from storage.store import SqlStore
from storage.tables import trust_keys
from trust.authority import Authority, open_authority
from trust.errors import KeyUnavailable
from trust.keyring import Keyring
from trust.pii import Sealer, open_sealer
from trust.receipts import ReceiptWriter
from web.app import create_app
from web.pages.webauthn_rp import WebAuthnRp

log = logging.getLogger(__name__)

BOT_OFF = (
    "The Telegram bot is off: TELEGRAM_BOT_TOKEN is not set. The listener and the REST API "
    "run alone. To turn the bot on, create a bot with @BotFather, put its token in "
    "TELEGRAM_BOT_TOKEN (environment or .env) and start again."
)


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class RandomIds:
    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{secrets.token_hex(8)}"

    def new_token(self) -> str:
        return secrets.token_urlsafe(18)  # 144 random bits, 24 characters of [A-Za-z0-9_-]

    def new_secret(self) -> str:
        return secrets.token_urlsafe(32)  # 256 random bits, 43 characters


class LogNotifier:
    """Until the bot is on, domain events are only logged (by the engine)."""

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        return None


class EngineParts(TypedDict, total=False):
    """The engine's parts a caller may give instead of the built ones (tests, benchmarks)."""

    checks: CheckSlots  # in alphabetical order, as keyword arguments read
    clock: Clock
    config: EngineConfig
    gateways: Mapping[str, Gateway]
    hasher: PasswordHasher
    ids: IdSource
    notifier: Notifier
    passkeys: PasskeyCeremony | None
    payouts: PayoutGateway | None
    signer: HeadSigner | None
    statements: StatementReader | None
    store: Store


def build_engine(built: Deps, **overrides: Unpack[EngineParts]) -> Engine:
    """The engine over `built`'s parts, each override replacing its part and nothing else:
    the one way `bootstrap` and the tests' rig put an engine together."""
    return Engine(replace(built, **overrides))


async def bootstrap(
    settings: Settings,
    *,
    bot: bool,
    request: BaseRequest | None = None,
    edit_interval_s: float = MIN_INTERVAL_S,
    **overrides: Unpack[EngineParts],
) -> Service:
    """Build every object once, in dependency order, into a Service.

    `bot` says whether the Telegram bot runs (`chipin run`); it does only with a
    TELEGRAM_BOT_TOKEN. `request` replaces the Bot API's HTTP client and `edit_interval_s`
    spaces progress edits (tests shorten both); `overrides` replace the engine's parts.
    The database must be migrated (an empty SQLite one is, here): Chipin's keys (its CA, the
    data keys) live there, made on the first start and unwrapped with CHIPIN_SECRET_KEY on
    every later one. Refused, in one line, for a database or a key Chipin cannot start with.
    """
    closers = AsyncExitStack()
    try:
        return await _build(settings, bot, request, edit_interval_s, closers, overrides)
    except BaseException:
        await closers.aclose()
        raise


async def _build(
    settings: Settings,
    with_bot: bool,
    request: BaseRequest | None,
    edit_interval_s: float,
    closers: AsyncExitStack,
    overrides: EngineParts,
) -> Service:
    await ready_database(settings)
    db, store, authority, secret = await _open_database(settings, closers)
    tg_bot = _bot_client(settings, with_bot, request)
    sandbox, stripe, telegram = _gateways(settings, secret, tg_bot, closers)
    updates: asyncio.Queue[object] = asyncio.Queue()  # domain events, to the bot
    notifier = QueueNotifier(updates) if tg_bot is not None else LogNotifier()
    gateways = _enabled(settings, sandbox, stripe, telegram)
    built = _deps(settings, secret, store, gateways, notifier, authority)
    if stripe is not None and stripe.connect is not None:
        built = replace(built, payouts=stripe.connect)
    engine = build_engine(built, **overrides)
    jobs = engine_jobs(settings, engine)
    app = None
    if tg_bot is not None:
        app = build_application(
            tg_bot,
            settings,
            engine,
            updates=updates,
            dialogs=MemoryDialogStore(),
            invoices=telegram,
            receipts=ReceiptWriter(authority.chain_pem),
            edit_interval_s=edit_interval_s,
        )
    hook = _webhook_token(settings, secret, app)
    asgi = _asgi(settings, engine, db, authority, [*_bot_routes(app, hook), *sandbox.routes()])
    return Service(
        settings,
        engine,
        asgi,
        app,
        hook,
        jobs,
        sandbox,
        db,
        closers,
        stripe=stripe,
        telegram=telegram,
        store=store,
        authority=authority,
    )


def _deps(
    settings: Settings,
    secret: bytes,
    store: Store,
    gateways: Mapping[str, Gateway],
    notifier: Notifier,
    authority: Authority,
) -> Deps:
    """The engine's parts as the settings make them."""
    return Deps(
        store=store,
        gateways=gateways,
        notifier=notifier,
        clock=SystemClock(),
        ids=RandomIds(),
        hasher=PasswordHasher(
            derive(secret, "password-pepper"), ScryptParams(log2_n=settings.password_cost)
        ),
        config=EngineConfig(
            max_amount_minor=settings.max_amount_minor(),
            default_gateway=settings.gateway,
            loopback_limits=settings.loopback_limits,
            payout_fee_bps=settings.payout_fee_bps,
            request_key=derive(secret, "order-request-fingerprint"),
        ),
        signer=authority,
        passkeys=build_passkeys(settings),
        statements=read_statement,
    )


def _asgi(
    settings: Settings,
    engine: Engine,
    db: AsyncEngine,
    authority: Authority,
    extra_routes: Sequence[BaseRoute],
) -> FastAPI:
    """The listener's app over the engine; `extra_routes` are the bot's webhook and the
    sandbox's checkout pages."""

    async def healthy() -> bool:
        return await database_answers(db)

    return create_app(
        engine,
        public_base_url=settings.base_url,
        health=healthy,
        extra_routes=extra_routes,
        max_amount_minor=settings.max_amount_minor(),
        default_currency=settings.currency,
        chain_pem=authority.chain_pem,
        trusted_proxies=settings.trusted_proxy_list,
    )


def _bot_routes(
    app: Application | None,  # type: ignore[type-arg]
    hook: str | None,
) -> list[BaseRoute]:
    return webhook_routes(app, hook) if app is not None and hook is not None else []


async def _open_database(
    settings: Settings, closers: AsyncExitStack
) -> tuple[AsyncEngine, SqlStore, Authority, bytes]:
    """The database with Chipin's CA and data keys (made on the first start), the store, and
    the secret key that opens them."""
    db = make_engine(settings.database_url)
    closers.push_async_callback(db.dispose)
    await check_secret(settings, db)
    secret = load_secret(settings)
    try:
        authority, sealer = await open_trust(db, secret, load_old_secrets(settings))
    except KeyUnavailable:
        raise Refused(_wrong_key(settings)) from None
    sealed = await seal_plain_rows(db, sealer)
    if sealed:
        log.info("encrypted personal data in %d rows written by an earlier version", sealed)
    store = SqlStore(db, sealer)
    closers.push_async_callback(store.dispose)  # the engine's pool, and SQLite's own connection
    return db, store, authority, secret


async def ready_database(settings: Settings, *, upgrade: bool = False) -> None:
    """CHIPIN_DATABASE_URL's database at this version's schema, or Refused saying what to do.

    A new SQLite database (no file yet, or no table) is migrated here: nothing in it can be
    lost. Any other (an older SQLite schema, any PostgreSQL database not at the newest) only
    with `upgrade` (`chipin migrate`): an upgrade is the operator's to make, after a backup.
    A schema newer than this code knows (a downgrade) is refused either way."""
    url = settings.database_url
    try:
        state = await schema_state(url)
    except (OSError, SQLAlchemyError) as exc:
        raise Refused(
            f"cannot open the database {shown(url)} (CHIPIN_DATABASE_URL): {_failure(exc)}"
        ) from None
    if state.at_head:
        return
    if not state.known:
        raise Refused(
            f"the database {shown(url)} is at schema revision {state.current}, newer than this "
            f"version of Chipin knows (its newest is {state.head}): a newer Chipin migrated it; "
            "run that version, or restore the backup made before the upgrade"
        )
    if upgrade or (state.empty and url.startswith("sqlite")):
        if not upgrade:
            log.info("new database %s: creating its tables (revision %s)", shown(url), state.head)
        try:
            await asyncio.to_thread(migrate, url, quiet=not upgrade)
        except (OSError, SQLAlchemyError) as exc:  # locked, no right to write, gone away
            raise Refused(
                f"cannot migrate the database {shown(url)}: {_failure(exc)}; nothing else "
                "may use it meanwhile (stop other instances), then run `chipin migrate` again"
            ) from None
        return
    raise Refused(
        f"the database {shown(url)} is at schema revision {state.current or 'none'}, and this "
        f"version of Chipin needs {state.head}: run `chipin migrate` (after a backup)"
    )


async def check_secret(settings: Settings, db: AsyncEngine) -> None:
    """Refused when no secret key is set and none is kept in CHIPIN_DATA_DIR, but the database
    already has keys wrapped under one: a new key beside it would open none of them."""
    path = settings.data_dir / "secret.key"
    if settings.secret_key is not None or path.exists():
        return
    async with db.connect() as conn:
        wrapped = (await conn.execute(select(trust_keys.c.id).limit(1))).first()
    if wrapped is not None:
        raise Refused(
            f"the secret key is missing: CHIPIN_SECRET_KEY is not set and {path.absolute()} "
            "does not exist, but this database's keys are wrapped under one; put back the "
            "secret.key backed up with the database, or set CHIPIN_SECRET_KEY to that key"
        )


def _wrong_key(settings: Settings) -> str:
    key = (
        "CHIPIN_SECRET_KEY"
        if settings.secret_key is not None
        else f"the secret key in {(settings.data_dir / 'secret.key').absolute()}"
    )
    return (
        f"{key} does not open this database's keys (they were wrapped under another "
        "secret key): set the key this database was made with; to change keys, put the old "
        "one in CHIPIN_OLD_SECRET_KEYS and run `chipin keys rewrap`"
    )


def _failure(exc: BaseException) -> str:
    """A database error in a few words: the driver's own first line, without the SQL."""
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(cause).strip().splitlines() or [""]
    return f"{type(cause).__name__}: {lines[0]}"


def _bot_client(
    settings: Settings, with_bot: bool, request: BaseRequest | None
) -> ExtBot[int] | None:
    """The Bot API client when the bot runs; why it does not, in the log."""
    if with_bot and settings.telegram_bot_token is None:
        log.warning(BOT_OFF)
    if not with_bot or settings.telegram_bot_token is None:
        return None
    return build_bot(settings, request=request)


def _gateways(
    settings: Settings, secret: bytes, tg_bot: ExtBot[int] | None, closers: AsyncExitStack
) -> tuple[SandboxGateway, StripeGateway | None, TelegramGateway | None]:
    """Every configured gateway, each with its closer; Stars are refunded through the bot."""
    sandbox = SandboxGateway(
        db_url=settings.sandbox_db_url,
        public_url=settings.base_url,
        webhook_url=settings.sandbox_webhook_url or f"{settings.local_url}/webhooks/sandbox",
        secret=derive(secret, "sandbox-webhook"),
    )
    closers.push_async_callback(sandbox.stop)
    stripe = build_stripe(settings, secret)
    if stripe is not None:
        closers.push_async_callback(stripe.close)
    refunds = StarRefunder(tg_bot) if tg_bot is not None else None
    telegram = build_telegram(settings, secret, refunds)
    if telegram is not None:
        closers.push_async_callback(telegram.stop)
    return sandbox, stripe, telegram


def _enabled(settings: Settings, *gateways: Gateway | None) -> dict[str, Gateway]:
    """Only the enabled gateways can take payments: with real money on, nobody may pick the
    sandbox. Payers see them in the order CHIPIN_GATEWAYS lists them."""
    built = {gateway.name: gateway for gateway in gateways if gateway is not None}
    return {name: built[name] for name in settings.enabled_gateways if name in built}


def _webhook_token(
    settings: Settings,
    secret: bytes,
    app: Application | None,  # type: ignore[type-arg]
) -> str | None:
    """The secret token of the bot's webhook route, when the bot takes updates that way."""
    if app is None:
        return None
    if webhook_enabled(settings):
        return webhook_secret(secret)
    if settings.telegram_webhook:
        log.warning("TELEGRAM_WEBHOOK=1 needs an https CHIPIN_PUBLIC_URL; using polling instead")
    return None


async def database_answers(db: AsyncEngine) -> bool:
    """The listener's health check: the database answers a query."""
    try:
        async with db.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        log.warning("health check: database unreachable", exc_info=True)
        return False
    return True


async def open_trust(
    db: AsyncEngine, secret: bytes, old_secrets: Sequence[bytes] = ()
) -> tuple[Authority, Sealer]:
    """Chipin's CA and its personal-data keys, created on the first start."""
    keyring = Keyring(secret, old_secrets)
    now = datetime.now(UTC)
    return await open_authority(db, keyring, now), await open_sealer(db, keyring, now)


def build_passkeys(settings: Settings) -> WebAuthnRp | None:
    """WebAuthn where browsers allow it: an https CHIPIN_PUBLIC_URL, or localhost."""
    rp = relying_party(settings.base_url)
    return WebAuthnRp(rp) if isinstance(rp, RelyingParty) else None


def build_stripe(settings: Settings, secret: bytes) -> StripeGateway | None:
    """The Stripe gateway, when CHIPIN_GATEWAYS (or CHIPIN_GATEWAY) names it."""
    if "stripe" not in settings.enabled_gateways:
        return None
    return StripeGateway(
        api_key=settings.stripe_secret("api"),
        publishable_key=settings.stripe_publishable_key,
        webhook_secret=settings.stripe_secret("webhook"),
        public_url=settings.base_url,
        link_key=derive(secret, "stripe-pay-link"),
        api_base=settings.stripe_api_base,
        js_url=settings.stripe_js_url,
        connect_webhook_secret=settings.stripe_secret("connect"),
    )


def build_telegram(
    settings: Settings, secret: bytes, refunds: StarRefunds | None = None
) -> TelegramGateway | None:
    """Telegram Payments, when CHIPIN_GATEWAYS (or CHIPIN_GATEWAY) names telegram."""
    if "telegram" not in settings.enabled_gateways:
        return None
    return TelegramGateway(
        settings.telegram_db_url,
        derive(secret, "telegram-invoice-payload"),
        provider_token=settings.provider_token(),
        refunds=refunds,
    )
