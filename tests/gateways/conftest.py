"""Fixtures for the sandbox gateway: a steppable clock, a scripted webhook receiver, gateways."""

from __future__ import annotations

import asyncio
import json
import os
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from core.domain.model import OrderId, SubOrderId
from core.domain.money import CURRENCIES, Money
from core.ports.store import CheckoutRequest, GatewayEvent
from gateways.sandbox import SandboxGateway
from gateways.sandbox.tables import metadata
from tests.gateways.stripe_rig import Localstripe, run_localstripe
from tests.gateways.stripe_world import StripeWorld, open_stripe_world
from tests.support.backends import PgServer

SECRET = b"test-webhook-secret-0123456789abcdef"
PUBLIC_URL = "https://chipin.example"
WEBHOOK_URL = "http://receiver.test/webhooks/sandbox"
REFUSED = 0  # in a Receiver script: raise a connection error instead of answering


class StepClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.at = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


class Receiver:
    """A webhook endpoint (an httpx handler) that answers from a script, then 200."""

    def __init__(self, script: Iterable[int | type[Exception]] = ()) -> None:
        self.script: deque[int | type[Exception]] = deque(script)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.script.popleft() if self.script else 200
        if answer == REFUSED:
            raise httpx.ConnectError("connection refused", request=request)
        if isinstance(answer, type):
            raise answer("scripted failure")
        return httpx.Response(answer, text="ok")

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]

    def types(self) -> list[str]:
        return [str(body["type"]) for body in self.bodies()]

    def parsed(self, gateway: SandboxGateway, now: datetime) -> list[GatewayEvent]:
        """Every request as the receiving side would parse it (signature checked)."""
        return [e for r in self.requests for e in gateway.parse_webhook(r.content, r.headers, now)]


class MakeGateway(Protocol):
    def __call__(
        self, receiver: Receiver | None = None, **options: Any
    ) -> Awaitable[SandboxGateway]: ...


def checkout_request(
    key: str = "co_sub_1_1",
    amount_minor: int = 1250,
    currency: str = "USD",
    *,
    capture_manual: bool = False,
    description: str = "Dinner at Luigi's",
    sub_order_id: str = "sub_1",
) -> CheckoutRequest:
    return CheckoutRequest(
        sub_order_id=SubOrderId(sub_order_id),
        order_id=OrderId("ord_1"),
        amount=Money(amount_minor, CURRENCIES[currency]),
        idempotency_key=key,
        capture_manual=capture_manual,
        description=description,
    )


async def eventually(check: Callable[[], bool], timeout_s: float = 5.0) -> None:
    """Wait until `check()` holds (for tests of the real-time delivery loop)."""
    step_s = 0.005
    for _ in range(int(timeout_s / step_s)):
        if check():
            return
        await asyncio.sleep(step_s)
    raise AssertionError(f"not within {timeout_s} s")


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def sqlite_db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'sandbox.db'}"


@pytest.fixture(scope="session")
def sandbox_pg_database(pg_server: PgServer) -> Iterator[str]:
    """One PostgreSQL database for the sandbox tests; each test starts from empty tables."""
    name = pg_server.create()
    try:
        yield pg_server.url(name)
    finally:
        pg_server.drop(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend_db_url(request: pytest.FixtureRequest, sqlite_db_url: str) -> str:
    """A sandbox database with no rows, on each backend."""
    if request.param == "sqlite":
        return sqlite_db_url
    url: str = request.getfixturevalue("sandbox_pg_database")
    asyncio.run(_empty_tables(url))
    return url


async def _empty_tables(url: str) -> None:
    engine = create_async_engine(url, poolclass=NullPool)
    names = ", ".join(table.name for table in metadata.sorted_tables)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            await conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY")
    finally:
        await engine.dispose()


@pytest.fixture
async def make_gateway(sqlite_db_url: str, clock: StepClock) -> AsyncIterator[MakeGateway]:
    """Started gateways on one SQLite file (stopped after the test); options override defaults."""
    made: list[SandboxGateway] = []

    async def make(receiver: Receiver | None = None, **options: Any) -> SandboxGateway:
        settings: dict[str, Any] = {
            "clock": clock,
            "transport": (receiver or Receiver()).transport(),
            **options,
        }
        db_url = settings.pop("db_url", sqlite_db_url)
        gateway = SandboxGateway(db_url, PUBLIC_URL, WEBHOOK_URL, SECRET, **settings)
        await gateway.start()
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        await gateway.stop()


@pytest.fixture
async def gateway(make_gateway: MakeGateway, receiver: Receiver) -> SandboxGateway:
    return await make_gateway(receiver)


# ---- Stripe, over localstripe ----


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Localstripe]:
    """localstripe on 127.0.0.1 for the whole session (its log in the session's temp folder)."""
    with run_localstripe(tmp_path_factory.mktemp("localstripe") / "localstripe.log") as found:
        yield found


@pytest.fixture
async def stripe_world(localstripe: Localstripe) -> AsyncIterator[StripeWorld]:
    """The engine over Stripe with Chipin's app listening for localstripe's webhooks."""
    async with open_stripe_world(localstripe) as found:
        yield found


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """A clean environment: no CHIPIN_*, TELEGRAM_* or STRIPE_* from outside."""
    for name in list(os.environ):
        if name.startswith(("CHIPIN_", "TELEGRAM_", "STRIPE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CHIPIN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHIPIN_SECRET_KEY", "s" * 40)
    return monkeypatch
