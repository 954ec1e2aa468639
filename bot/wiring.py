"""The composition root: the only place that imports every layer and wires them together."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.settings import Settings, derive, load_secret
from core.deps import Deps, EngineConfig
from core.engine import Engine
from core.events import DomainEvent
from core.passwords import PasswordHasher, ScryptParams
from core.ports import Gateway, Notifier
from gateways.sandbox import SandboxGateway
from storage.db import make_engine
from storage.store import SqlStore

log = logging.getLogger(__name__)


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class RandomIds:
    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{secrets.token_hex(8)}"

    def new_token(self) -> str:
        return secrets.token_urlsafe(18)  # 144 random bits, 24 characters of [A-Za-z0-9_-]


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

    async def close(self) -> None:
        await self.sandbox.stop()
        await self.db.dispose()


def build(settings: Settings, notifier: Notifier | None = None) -> App:
    """Wire the engine over SQL storage and the configured gateway."""
    secret = load_secret(settings)
    db = make_engine(settings.database_url)
    sandbox = SandboxGateway(
        db_url=settings.sandbox_db_url,
        public_url=settings.base_url,
        webhook_url=settings.sandbox_webhook_url or f"{settings.local_url}/webhooks/sandbox",
        secret=derive(secret, "sandbox-webhook"),
    )
    gateways: dict[str, Gateway] = {sandbox.name: sandbox}
    deps = Deps(
        store=SqlStore(db),
        gateways=gateways,
        notifier=notifier or LogNotifier(),
        clock=SystemClock(),
        ids=RandomIds(),
        hasher=PasswordHasher(
            derive(secret, "password-pepper"), ScryptParams(log2_n=settings.password_cost)
        ),
        config=EngineConfig(
            max_amount_minor=settings.max_amount_minor(), default_gateway=settings.gateway
        ),
    )
    return App(settings, db, Engine(deps), sandbox, secret)
