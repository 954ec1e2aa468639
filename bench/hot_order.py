"""Benchmark 2 (and half of 6): a thousand payers on one order of 50 parts, over HTTP.

Every payer reserves through the REST API and, when given a part, pays on the sandbox's
checkout page; the sandbox then delivers the signed webhook that settles it (the whole
path a payer takes without the bot). The baseline in the same run: as many payers, each
paying one part of its own order. Both runs end when every payment is settled.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx
import sqlalchemy as sa

from bench.rig import Site, new_order, new_site, opened, payee
from storage.db import make_engine
from tests.chaos.api import Checkout, ChipinApi, Counters
from tests.chaos.service import service

TOLD_FULL = ("order_full", "order_closed")
SETTLE_DEADLINE_S = 120.0


@dataclass(frozen=True, slots=True)
class Crowd:
    """What the payers saw, and how long until every payment was settled."""

    paid: int  # payers whose checkout went through
    told_full: int
    errors: int
    settled: int  # sub-orders paid in the database at the end
    seconds: float
    statuses: dict[str, int]


async def _until_settled(db_url: str, expected: int, started: float) -> tuple[int, float]:
    engine = make_engine(db_url)
    q = sa.text("SELECT count(*) FROM sub_orders WHERE state = 'paid'")
    try:
        while True:
            async with engine.connect() as conn:
                n = int((await conn.execute(q)).scalar_one())
            elapsed = time.perf_counter() - started
            if n >= expected or elapsed > SETTLE_DEADLINE_S:
                return n, elapsed
            await asyncio.sleep(0.02)
    finally:
        await engine.dispose()


async def _one_payer(api: ChipinApi, token: str, name: str, seen: Counter[str]) -> None:
    a = await api.reserve(token, name)
    if a.status in (200, 201):
        result = await api.checkout(str(a.body["checkout_url"]), "pay")
        seen["paid" if result == Checkout.DONE else f"checkout {result}"] += 1
    elif a.status == 409 and a.error in TOLD_FULL:
        seen["told full"] += 1
    else:
        seen[f"error {a.status} {a.error}"] += 1


async def crowd(site: Site, tokens: list[str], payers: int, concurrency: int, expect: int) -> Crowd:
    """`payers` payers, `concurrency` at a time, payer i on tokens[i % len(tokens)]."""
    seen: Counter[str] = Counter()
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with (
        service(site.env, site.folder / "serve.log") as svc,
        httpx.AsyncClient(limits=limits, timeout=60) as client,
    ):
        api = ChipinApi(client, svc.base, Counters())

        async def payer(i: int) -> None:
            async with gate:
                await _one_payer(api, tokens[i % len(tokens)], f"crowd-{i}", seen)

        started = time.perf_counter()
        await asyncio.gather(*(payer(i) for i in range(payers)))
        settled, seconds = await _until_settled(site.env["CHIPIN_DATABASE_URL"], expect, started)
    told = seen["told full"]
    errors = payers - seen["paid"] - told
    return Crowd(seen["paid"], told, errors, settled, seconds, dict(seen))


async def hot_and_spread(
    folder: Path,
    payers: int,
    n: int,
    concurrency: int,
    database_urls: tuple[str, str] | None = None,
) -> tuple[Crowd, Crowd]:
    """The hot order (N parts, `payers` payers), then `payers` payments over as many orders.

    `database_urls`: two empty databases (hot, spread) instead of SQLite files."""
    hot_url, spread_url = database_urls or (None, None)
    hot_site = new_site(folder / "hot", hot_url)
    spread_site = new_site(folder / "spread", spread_url)
    async with opened(hot_site) as app:
        hot_token = await new_order(app, await payee(app), n, "hot order")
    async with opened(spread_site) as app:
        who = await payee(app)
        tokens = [await new_order(app, who, 2, f"spread {i}") for i in range(payers)]
    hot = await crowd(hot_site, [hot_token], payers, concurrency, n)
    spread = await crowd(spread_site, tokens, payers, concurrency, payers)
    return hot, spread
