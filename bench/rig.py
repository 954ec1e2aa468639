"""What the benchmarks share: a Chipin's settings and database, its orders, signed webhooks.

Processes are spawned and stopped with tests/support/procs.py (as the end-to-end and chaos tests
do); webhooks are built with the sandbox's own event encoder and signer.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.loadgen import encode_request
from bot.app.bootstrap import bootstrap
from bot.app.service import Service
from bot.app.settings import Settings, derive
from core.domain.model import PayeeId
from core.domain.money import currency
from core.domain.params import RawOrder, build_request
from core.usecases.deps import OrderView
from gateways.sandbox.events import CHECKOUT_SUCCEEDED, EventData, encode_event
from gateways.sandbox.signing import SIGNATURE_HEADER, sign_header
from tests.support.backends import find_pg_server
from tests.support.procs import chipin, chipin_env, free_port

WEBHOOK_PATH = "/webhooks/sandbox"


@dataclass(frozen=True, slots=True)
class Part:
    """A reserved sub-order with its open checkout: one webhook settles it."""

    order_id: str
    sub_id: str
    checkout_ref: str
    amount_minor: int
    currency: str


@dataclass(frozen=True, slots=True)
class Site:
    """One Chipin's environment: its folder, port, database and secret."""

    env: dict[str, str]
    folder: Path

    @property
    def listen(self) -> str:
        return self.env["CHIPIN_LISTEN"]

    @property
    def base(self) -> str:
        return f"http://{self.listen}"

    @property
    def webhook_secret(self) -> bytes:
        return derive(self.env["CHIPIN_SECRET_KEY"].encode(), "sandbox-webhook")

    def settings(self) -> Settings:
        chosen = {k: v for k, v in self.env.items() if k.startswith(("CHIPIN_", "TELEGRAM_"))}
        return Settings.model_validate(chosen)  # only these: no .env, no environment


def new_site(folder: Path, database_url: str | None = None, **extra: str) -> Site:
    """A migrated Chipin in `folder` (SQLite there unless `database_url` says otherwise)."""
    folder.mkdir(parents=True, exist_ok=True)
    env = chipin_env(
        folder,
        free_port(),
        CHIPIN_SECRET_KEY="bench-" + secrets.token_urlsafe(32),
        CHIPIN_TICK_S="2",
        # a thousand payers on one order all come from 127.0.0.1: no per-client hold limits
        CHIPIN_LOOPBACK_LIMITS="off",
        **extra,
    )
    if database_url is not None:
        env["CHIPIN_DATABASE_URL"] = database_url
    chipin(env, "migrate")
    return Site(env, folder)


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str | None]:
    """A fresh database on the local PostgreSQL (its URL), dropped afterwards; None if the
    server is not reachable."""
    server, _reason = await asyncio.to_thread(find_pg_server)
    if server is None:
        yield None
        return
    name = await asyncio.to_thread(server.create)
    try:
        yield server.url(name)
    finally:
        await asyncio.to_thread(server.drop, name)


def _no_sync(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA synchronous=OFF")


@asynccontextmanager
async def opened(site: Site) -> AsyncIterator[Service]:
    """The site's engine in this process (for setting up orders), closed afterwards.

    Setting up is not measured: on SQLite its commits skip fsync (synchronous=OFF), which
    makes thousands of orders quick; the server under test keeps its own settings.
    """
    service = await bootstrap(site.settings(), bot=False)
    if service.db.dialect.name == "sqlite":
        assert service.store is not None
        # The store's own connection (storage/sqlite_loop.py) opens on its first transaction.
        for engine in (service.db.sync_engine, service.store.statement_engine):
            event.listen(engine, "connect", _no_sync)
        await service.db.dispose()  # the next connection is made with the listener on
    async with service:
        yield service


async def payee(app: Service) -> PayeeId:
    payee_id, _key = await app.engine.create_api_key("Bench payee")
    return payee_id


async def new_order(
    app: Service, who: PayeeId, payers: int, title: str, *, each: str = "1.00"
) -> str:
    """An order of `payers` parts of `each` USD, valid a day; returns its payment token."""
    return (await new_order_view(app, who, payers, title, each=each)).order.token


async def new_order_view(
    app: Service, who: PayeeId, payers: int, title: str, *, each: str = "1.00"
) -> OrderView:
    raw = RawOrder(currency=currency("USD"), each=each, payers=payers, title=title)
    req = build_request(raw, app.engine.deps.config.max_amount_minor)
    return await app.engine.create_order(who, req)


async def reserved_parts(
    app: Service, orders: int, per_order: int, concurrency: int = 8
) -> list[Part]:
    """`orders` orders of `per_order` parts, every part reserved by its own payer."""
    who = await payee(app)
    tokens = [await new_order(app, who, per_order, f"bench {i}") for i in range(orders)]
    jobs = [(t, f"payer-{i}-{j}") for i, t in enumerate(tokens) for j in range(per_order)]
    parts: list[Part] = []
    gate = asyncio.Semaphore(concurrency)

    async def hold(token: str, payer: str) -> None:
        async with gate:
            res = await app.engine.reserve(token, payer, source=payer)
        sub = res.sub
        assert sub.checkout_ref is not None
        parts.append(
            Part(res.order.id, sub.id, sub.checkout_ref, sub.amount_minor, res.order.currency.code)
        )

    await asyncio.gather(*(hold(t, p) for t, p in jobs))
    return parts


def signed_webhook(secret: bytes, target: str, part: Part, n: int) -> bytes:
    """The raw HTTP request of a signed `checkout.succeeded` event that settles `part`."""
    headers, body = webhook_parts(secret, part, n)
    return encode_request(target, "POST", WEBHOOK_PATH, headers, body)


def webhook_parts(secret: bytes, part: Part, n: int) -> tuple[dict[str, str], bytes]:
    """The headers and body of a signed `checkout.succeeded` event that settles `part`."""
    now = int(time.time())
    data = EventData(
        checkout_ref=part.checkout_ref,
        payment_ref=f"py_bench_{n}_{secrets.token_hex(4)}",
        amount_minor=part.amount_minor,
        currency=part.currency,
        sub_order_id=part.sub_id,
        order_id=part.order_id,
    )
    body = encode_event(f"evt_bench_{n}_{secrets.token_hex(4)}", CHECKOUT_SUCCEEDED, now, data)
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign_header(secret, now, body),
    }
    return headers, body


def load(
    target: str,
    requests_file: Path,
    *,
    concurrency: int = 32,
    rate: float | None = None,
    warmup: int = 100,
) -> dict[str, Any]:
    """Run bench.loadgen in its own process against `target`; its result."""
    out = requests_file.with_suffix(".json")
    cmd = [sys.executable, "-m", "bench.loadgen", "--target", target]
    cmd += ["--requests", str(requests_file), "--out", str(out)]
    cmd += ["--concurrency", str(concurrency), "--warmup", str(warmup)]
    if rate is not None:
        cmd += ["--rate", f"{rate:.1f}"]
    subprocess.run(cmd, check=True, timeout=300)
    result: dict[str, Any] = json.loads(out.read_text())
    return result
