"""The database unavailable for a while: 503s (webhooks retried by the gateway), nothing
half-written, and every payment settled exactly once when it is back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.chaos.api import Answer, ChipinApi, Counters, token_of
from tests.chaos.books import problems, read_books
from tests.chaos.faults import FaultLoop, settle
from tests.chaos.outages import Outage, ProxyCut, SqliteWriteLock, outage_for
from tests.chaos.report import report
from tests.chaos.runs import Database, Setup, check, make_setup, prepare, run_figures, stream_under
from tests.chaos.scale import LONG, SEED, Scale
from tests.chaos.service import Service, service
from tests.chaos.tcp_proxy import TcpProxy

pytestmark = pytest.mark.slow

# One outage with probes: how long the database stays away (SQLite: each request waits out
# the 5 s busy timeout, so its outage is longer).
OUTAGE_S = {"postgres": 12.0 if LONG else 3.0, "sqlite": 15.0 if LONG else 6.5}
PROBE_S = 15.0  # a probe's own deadline: longer than SQLite's busy timeout
RECOVERY_S = 30.0
STREAM = Scale(faults=6, min_orders=30, concurrency=4, gap_s=(1, 5), fault_s=(2, 8), deadline_s=240)


@asynccontextmanager
async def chipin_with_outage(db: Database, tmp: Path) -> AsyncIterator[tuple[Setup, Outage, str]]:
    """Chipin on `db`, and the way to take that database away (a proxy for PostgreSQL,
    with the sandbox's books in a SQLite file of their own: an outside service stays up)."""
    if db.backend == "sqlite":
        setup = make_setup(tmp, db)
        yield setup, SqliteWriteLock(tmp / "chipin.db"), await prepare(setup)
        return
    pg = make_url(db.url)
    proxy = TcpProxy(pg.host or "127.0.0.1", pg.port or 5432)
    await proxy.start()
    try:
        via = pg.set(port=proxy.port).render_as_string(hide_password=False)
        sandbox = f"sqlite+aiosqlite:///{tmp / 'sandbox.db'}"
        setup = make_setup(tmp, db, CHIPIN_DATABASE_URL=via, CHIPIN_SANDBOX_DATABASE_URL=sandbox)
        yield setup, ProxyCut(proxy), await prepare(setup)
    finally:
        await proxy.close()


async def probe(
    api: ChipinApi, method: str, path: str, key: str | None = None, **kw: Any
) -> Answer:
    """One call during the outage, not retried: what a client sees."""
    return await api.json(method, path, key, retry_503=False, deadline_s=PROBE_S, **kw)


async def _held_checkouts(api: ChipinApi, key: str) -> tuple[list[str], list[str]]:
    """Three orders (keep and all), every part reserved: their ids and checkout URLs."""
    ids, urls = [], []
    for i, (mode, n) in enumerate((("keep", 3), ("all", 3), ("keep", 2))):
        order = await api.create_order(key, f"outage-{i}", total="90", payers=n, mode=mode)
        ids.append(str(order["id"]))
        for p in range(n):
            a = await api.reserve(token_of(order), f"o{i}-payer{p}")
            assert a.status == 201, a.body
            urls.append(str(a.body["checkout_url"]))
    return ids, urls


async def _during(api: ChipinApi, key: str, order_id: str, urls: list[str]) -> dict[str, Answer]:
    """Payers pay at the gateway (it is up); the payee and a new payer call Chipin."""
    paid = await asyncio.gather(*(api.checkout(u, "pay") for u in urls))
    assert all(r.value == "done" for r in paid), paid
    calls = await asyncio.gather(
        probe(api, "GET", "/healthz"),
        probe(
            api,
            "POST",
            "/api/v1/orders",
            key,
            json={"total": "10", "payers": 2},
            headers={"Idempotency-Key": "made-during-the-outage"},
        ),
        probe(api, "GET", f"/api/v1/orders/{order_id}", key),
        probe(api, "POST", "/api/v1/pay/no-such-token/reserve", json={"payer": "late"}),
    )
    return dict(zip(("health", "create order", "get order", "reserve"), calls, strict=True))


async def _webhook_503s(svc: Service, at_least: int, timeout_s: float) -> int:
    """Wait until Chipin has answered `at_least` webhook deliveries with a 503 (the sandbox
    logs each failed attempt); how many it has."""
    end = time.monotonic() + timeout_s
    while True:
        seen = svc.log_tail(10**8).count("failed: HTTP 503")
        if seen >= at_least or time.monotonic() > end:
            return seen
        await asyncio.sleep(0.2)


async def _recovery_s(api: ChipinApi) -> float:
    started = time.monotonic()
    while time.monotonic() - started < RECOVERY_S:
        a = await probe(api, "GET", "/healthz")
        if a.status == 200:
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError(f"/healthz not 200 within {RECOVERY_S} s of the database's return")


async def test_a_database_outage_answers_503_writes_nothing_and_settles_every_payment_once(
    database: Database, tmp_path: Path
) -> None:
    async with chipin_with_outage(database, tmp_path) as (setup, outage, key):
        async with service(setup.env, setup.log) as svc, httpx.AsyncClient(timeout=30) as client:
            api = ChipinApi(client, svc.base, Counters())
            ids, urls = await _held_checkouts(api, key)
            started = time.monotonic()
            await outage.begin()
            try:
                seen = await _during(api, key, ids[0], urls)
                await _webhook_503s(svc, 1, OUTAGE_S[database.backend])
                await asyncio.sleep(
                    max(0.0, OUTAGE_S[database.backend] - (time.monotonic() - started))
                )
            finally:
                await outage.end()
            outage_s = time.monotonic() - started
            recovery_s = await _recovery_s(api)
            assert await settle(svc, setup.chipin_url, setup.sandbox_url) == {}
            after = [await api.get_order(key, i) for i in ids]
            replay = await api.create_order(key, "made-during-the-outage", total="10", payers=2)
            log = svc.log_tail(10**8)
            webhook_503s = log.count("failed: HTTP 503")
        books = await read_books(setup.chipin_url, setup.sandbox_url)
    for name, answer in seen.items():
        assert answer.status == 503, (name, answer)
    for name in ("create order", "get order", "reserve"):
        assert seen[name].error == "unavailable", seen[name].body
        assert "try again" in str(seen[name].body["message"])
        assert seen[name].headers.get("retry-after") == "10"
    assert seen["health"].body == {"status": "unavailable"}
    assert webhook_503s >= 1, log[-3000:]
    assert [o["state"] for o in after] == ["completed"] * 3
    assert [o["paid_count"] for o in after] == [3, 3, 2]
    assert replay["paid_count"] == 0
    assert len(books.orders) == 4  # the create answered 503 wrote nothing; its replay did
    assert problems(books) == []
    assert "bug in " not in log
    report(
        f"database outage ({outage.name})",
        **{
            "outage s": outage_s,
            "payments during it": len(urls),
            "webhook 503s": webhook_503s,
            "healthz back after s": recovery_s,
            "result": "503s, nothing written, all settled once",
        },
    )


@pytest.mark.skipif(not LONG, reason="long version only: CHAOS_LONG=1 (make chaos)")
async def test_repeated_outages_during_a_stream_of_payments_lose_and_double_nothing(
    database: Database, tmp_path: Path
) -> None:
    async with (
        chipin_with_outage(database, tmp_path) as (setup, outage, key),
        service(setup.env, setup.log) as svc,
    ):
        faults = FaultLoop(STREAM, SEED + 3, outage_for(outage, STREAM.fault_s))
        outcome = await stream_under(svc, setup, key, STREAM, faults)
    found = report(
        f"repeated outages ({outage.name})",
        outages=faults.done,
        **{"outage s total": sum(faults.outage_s)},
        **run_figures(outcome),
    )
    check(outcome, svc.log_tail(10**8))
    found.figures["result"] = "all invariants hold"
