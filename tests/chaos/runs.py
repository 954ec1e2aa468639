"""The shared shape of a run: a Chipin over a backend, a stream of payments under a fault,
then settle, stop, and check both databases and the ledger."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.chaos.api import ChipinApi, Counters
from tests.chaos.books import PENDING, Books, figures, problems, read_books
from tests.chaos.faults import FaultLoop, settle
from tests.chaos.scale import LONG, SEED, Scale
from tests.chaos.service import Service
from tests.chaos.workload import Stream, Tally
from tests.support.procs import api_key, chipin, chipin_env, free_port

EXPIRING_WINDOW_S = 45.0  # long runs: one-minute orders are started only this early


@dataclass(frozen=True, slots=True)
class Database:
    backend: str  # sqlite | postgres
    url: str


@dataclass(frozen=True, slots=True)
class Setup:
    """Where a run's Chipin keeps its books, and the settings it starts with."""

    env: dict[str, str]
    chipin_url: str  # Chipin's database, as the test reads it (never through a proxy)
    sandbox_url: str  # the sandbox gateway's database
    log: Path


def make_setup(tmp: Path, db: Database, **extra: str) -> Setup:
    """Settings for `chipin` on `db`; the sandbox keeps its books in a SQLite file of its
    own, or in the same PostgreSQL database (Chipin's default for each backend).

    `extra` may point CHIPIN_DATABASE_URL elsewhere (a proxy): the test reads `db.url`.
    """
    if db.backend == "sqlite":
        sandbox_url = f"sqlite+aiosqlite:///{tmp / 'sandbox.db'}"
    else:
        sandbox_url = extra.get("CHIPIN_SANDBOX_DATABASE_URL", db.url)
    # every client is on 127.0.0.1: the per-client hold limits would measure themselves
    settings = {
        "CHIPIN_DATABASE_URL": db.url,
        "CHIPIN_RECONCILE_S": "3",
        "CHIPIN_LOOPBACK_LIMITS": "off",
        **extra,
    }
    env = chipin_env(tmp, free_port(), **settings)
    return Setup(env, db.url, sandbox_url, tmp / "chipin.log")


async def prepare(setup: Setup) -> str:
    """Migrate (straight to the database) and create a payee's API key."""
    direct = {**setup.env, "CHIPIN_DATABASE_URL": setup.chipin_url}
    await asyncio.to_thread(chipin, direct, "migrate")
    return await asyncio.to_thread(api_key, direct, "Ann")


@dataclass(slots=True)
class Outcome:
    books: Books
    tally: Tally
    counters: Counters
    faults: FaultLoop
    orders_started: int
    duration_s: float
    ledger: str
    behind: list[str]  # what `settled` found still behind (progress messages)


async def stream_under(
    svc: Service,
    setup: Setup,
    key: str,
    scale: Scale,
    faults: FaultLoop,
    beside: Callable[[ChipinApi], Coroutine[object, None, object]] | None = None,
    settled: Callable[[], Awaitable[list[str]]] | None = None,
) -> Outcome:
    """Drive payments while `faults` strikes; settle; stop Chipin; read and verify the books.

    `beside` drives more payers alongside the stream (its own orders); `settled` runs once
    everything settled, before Chipin stops, and returns what it found still behind.
    """
    tally, counters = Tally(), Counters()
    started = time.monotonic()
    behind: list[str] = []
    try:
        async with httpx.AsyncClient(timeout=20) as client, asyncio.timeout(scale.deadline_s):
            api = ChipinApi(client, svc.base, counters)
            stream = Stream(api, key, SEED, tally)
            striking = asyncio.create_task(faults.run())
            also: asyncio.Task[object] | None = None
            if beside is not None:
                also = asyncio.create_task(beside(api))
            try:
                orders = await stream.run(
                    concurrency=scale.concurrency,
                    enough=lambda n: striking.done() and n >= scale.min_orders,
                    expiring_until=started + EXPIRING_WINDOW_S if LONG else 0.0,
                )
                await striking
                if also is not None:
                    await also
            finally:
                striking.cancel()
                if also is not None:
                    also.cancel()
            left = await settle(svc, setup.chipin_url, setup.sandbox_url)
            if settled is not None and left == {}:
                behind = await settled()
    except TimeoutError:
        raise AssertionError(
            f"not done in {scale.deadline_s} s; payers still at it: {tally.stuck()}"
        ) from None
    assert left == {}, f"did not settle: {left}\n{await stuck(setup)}\n{svc.log_tail()}"
    duration = time.monotonic() - started
    await svc.stop()
    direct = {**setup.env, "CHIPIN_DATABASE_URL": setup.chipin_url}
    verified = await svc.cli("ledger", "verify", env=direct)
    books = await read_books(setup.chipin_url, setup.sandbox_url)
    return Outcome(books, tally, counters, faults, orders, duration, verified, behind)


async def stuck(setup: Setup) -> str:
    """What a run that did not settle left pending, in both books (for the failure message)."""
    books = await read_books(setup.chipin_url, setup.sandbox_url)
    pending = [p for p in books.payments if p["status"] in PENDING]
    refs = {p["payment_ref"] for p in pending}
    at_gateway = [c for c in books.checkouts if c["payment_ref"] in refs]
    actions = [a for a in books.actions if a["payment_ref"] in refs]
    return f"pending payments: {pending}\nat the gateway: {at_gateway}\nactions: {actions}"


def check(outcome: Outcome, log: str) -> None:
    """Every invariant, the ledger's own audit, and no bug reported in the log."""
    found = problems(outcome.books)
    assert not found, f"{len(found)} problems:\n" + "\n".join(found[:50])
    assert outcome.ledger.startswith("ledger verified: "), outcome.ledger
    assert "bug in " not in log, log[-5000:]
    assert " CRITICAL " not in log, log[-5000:]


def run_figures(outcome: Outcome) -> dict[str, object]:
    found = figures(outcome.books)
    return {
        "duration s": outcome.duration_s,
        "orders": found["orders"],
        "gateway payments": found["gateway payments"],
        "counted": found["counted"],
        "late (refunded/voided)": found["late (refunded/voided)"],
        "declines": found["declined checkouts"],
        "refunds": found.get("gateway refunds", 0),
        "voids": found.get("gateway voids", 0),
        "captures": found.get("gateway captures", 0),
        "orders by state": {
            k.removeprefix("orders "): v for k, v in found.items() if k.startswith("orders ")
        },
        "payers": dict(outcome.tally.payers),
        "client retries": outcome.counters.retries,
        "503s": outcome.counters.unavailable,
        "ledger": outcome.ledger.split(",")[0].removeprefix("ledger verified: "),
    }
