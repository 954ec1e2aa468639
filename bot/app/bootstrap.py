"""The composition root: the only place that imports every layer and wires them together."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app.settings import Settings, derive, load_old_secrets, load_secret
from core.domain.events import DomainEvent
from core.domain.passkeys import RelyingParty, relying_party
from core.domain.passwords import PasswordHasher, ScryptParams
from core.ports.invoices import StarRefunds
from core.ports.store import Gateway, Notifier
from core.usecases.deps import Deps, EngineConfig
from core.usecases.engine import Engine
from gateways.sandbox import SandboxGateway
from gateways.stripe import StripeGateway
from gateways.telegram import TelegramGateway
from storage.db import make_engine
from storage.sealing import seal_plain_rows
from storage.store import SqlStore
from trust.authority import Authority, open_authority
from trust.keyring import Keyring
from trust.pii import Sealer, open_sealer
from web.pages.webauthn_rp import WebAuthnRp

log = logging.getLogger(__name__)


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


@dataclass
class App:
    settings: Settings
    db: AsyncEngine
    engine: Engine
    sandbox: SandboxGateway
    secret: bytes = field(repr=False, default=b"")
    stripe: StripeGateway | None = None
    authority: Authority | None = None
    telegram: TelegramGateway | None = None
    store: SqlStore | None = None

    @property
    def chain_pem(self) -> Callable[[], str] | None:
        """Chipin's certificate chain, for receipts (None before the CA is open)."""
        return self.authority.chain_pem if self.authority is not None else None

    async def healthy(self) -> bool:
        try:
            async with self.db.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            log.warning("health check: database unreachable", exc_info=True)
            return False
        return True

    async def start(self) -> None:
        await self.sandbox.start()
        if self.telegram is not None:
            await self.telegram.start()

    async def close(self) -> None:
        await self.sandbox.stop()
        if self.stripe is not None:
            await self.stripe.close()
        if self.telegram is not None:
            await self.telegram.stop()
        if self.store is not None:
            await self.store.dispose()  # the engine's pool, and SQLite's own connection
        await self.db.dispose()


async def build(
    settings: Settings,
    notifier: Notifier | None = None,
    *,
    star_refunds: StarRefunds | None = None,
) -> App:
    """Wire the engine over SQL storage and the configured gateway; `star_refunds` is the
    bot's refundStarPayment (None without the bot: Stars refunds wait).

    The database must be migrated: Chipin's keys (its CA, the data keys) live there, made
    on the first start and unwrapped with CHIPIN_SECRET_KEY on every later one.
    """
    secret = load_secret(settings)
    db = make_engine(settings.database_url)
    try:
        authority, sealer = await open_trust(db, secret, load_old_secrets(settings))
        sealed = await seal_plain_rows(db, sealer)
    except BaseException:
        await db.dispose()
        raise
    if sealed:
        log.info("encrypted personal data in %d rows written by an earlier version", sealed)
    sandbox = SandboxGateway(
        db_url=settings.sandbox_db_url,
        public_url=settings.base_url,
        webhook_url=settings.sandbox_webhook_url or f"{settings.local_url}/webhooks/sandbox",
        secret=derive(secret, "sandbox-webhook"),
    )
    stripe = build_stripe(settings, secret)
    telegram = build_telegram(settings, secret, star_refunds)
    built: dict[str, Gateway] = {sandbox.name: sandbox}
    for gateway in (stripe, telegram):
        if gateway is not None:
            built[gateway.name] = gateway
    # Only the enabled gateways can take payments: with real money on, nobody may pick the
    # sandbox. Payers see them in the order CHIPIN_GATEWAYS lists them.
    gateways = {name: built[name] for name in settings.enabled_gateways if name in built}
    store = SqlStore(db, sealer)
    deps = Deps(
        store=store,
        gateways=gateways,
        notifier=notifier or LogNotifier(),
        clock=SystemClock(),
        ids=RandomIds(),
        hasher=PasswordHasher(
            derive(secret, "password-pepper"), ScryptParams(log2_n=settings.password_cost)
        ),
        config=EngineConfig(
            max_amount_minor=settings.max_amount_minor(),
            default_gateway=settings.gateway,
            loopback_limits=settings.loopback_limits,
        ),
        signer=authority,
        passkeys=build_passkeys(settings),
    )
    return App(
        settings,
        db,
        Engine(deps),
        sandbox,
        secret,
        stripe=stripe,
        authority=authority,
        telegram=telegram,
        store=store,
    )


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
    )


def build_telegram(
    settings: Settings, secret: bytes, star_refunds: StarRefunds | None = None
) -> TelegramGateway | None:
    """Telegram Payments, when CHIPIN_GATEWAYS (or CHIPIN_GATEWAY) names telegram."""
    if "telegram" not in settings.enabled_gateways:
        return None
    return TelegramGateway(
        settings.telegram_db_url,
        derive(secret, "telegram-invoice-payload"),
        provider_token=settings.provider_token(),
        refunds=star_refunds,
    )
