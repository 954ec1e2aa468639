"""Benchmark 5: resident memory of `chipin run` holding many open orders and their timers.

Orders are made in the database first (each posted in one of a few emulator groups, as
/split would leave it), then `chipin run` starts against the Bot API emulator: at start-up
it schedules every order's reminder on its JobQueue and brings every progress message up to
date. RSS is read from /proc while it does that and after; the same start with no orders is
the baseline, and the difference over the count is the cost of one open order.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bench.rig import Site, new_order_view, new_site, opened, payee
from bot.chat.application import REBUILT
from storage.tables import order_posts, orders, sub_orders
from tests.support.procs import spawn, stop, wait_healthy
from tests.telegram_emulator import Emulator, serve

ENGINE_MADE = 100  # orders made through the engine; the rest are copies of them
SETTLE_S = 3.0  # how long RSS is watched after start-up finished


@dataclass(frozen=True, slots=True)
class Footprint:
    orders: int
    rss_mb: float  # the highest RSS seen
    startup_s: float  # until start-up's rebuild finished (every timer scheduled)
    healthy_s: float  # until the listener answered its health check


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


async def _open_orders(site: Site, emu: Emulator, count: int, chats: int) -> None:
    """`count` open orders of 4 parts, posted round-robin in `chats` emulator groups.

    A hundred are made by the engine; the rest are copies of their rows (orders, sub-orders,
    posts) under new ids and tokens, written in a few statements, so ten thousand take
    seconds instead of minutes. Making an order writes nothing else.
    """
    groups = []
    for g in range(chats):
        user = await emu.create_user(f"Owner{g}")
        groups.append(await emu.create_group(f"Memory {g}", members=[user]))
    made = min(count, ENGINE_MADE)
    async with opened(site) as app:
        who = await payee(app)
        for i in range(made):
            view = await new_order_view(app, who, 4, f"memory {i}")
            await app.engine.attach_post(view.order.id, groups[i % chats], None, 10**6 + i)
        async with app.db.begin() as conn:
            await _copies(conn, count - made)


def _new_id(old: str) -> str:
    return f"{old.split('_', 1)[0]}_{secrets.token_hex(8)}"


async def _copies(conn: AsyncConnection, wanted: int) -> None:
    rows = [dict(r) for r in (await conn.execute(sa.select(orders))).mappings()]
    subs = [dict(r) for r in (await conn.execute(sa.select(sub_orders))).mappings()]
    posts = [dict(r) for r in (await conn.execute(sa.select(order_posts))).mappings()]
    new_orders, new_subs, new_posts = [], [], []
    for k in range(wanted):
        source = rows[k % len(rows)]
        order_id = _new_id(source["id"])
        new_orders.append({**source, "id": order_id, "token": secrets.token_urlsafe(18)})
        new_subs += [
            {**s, "id": _new_id(s["id"]), "order_id": order_id}
            for s in subs
            if s["order_id"] == source["id"]
        ]
        new_posts += [
            {**p, "order_id": order_id, "progress_message_id": 2 * 10**6 + k}
            for p in posts
            if p["order_id"] == source["id"]
        ]
    for table, batch in ((orders, new_orders), (sub_orders, new_subs), (order_posts, new_posts)):
        if batch:
            await conn.execute(sa.insert(table), batch)


async def footprint(folder: Path, count: int, chats: int = 50) -> Footprint:
    emu = Emulator()
    async with serve(emu) as served:
        site = new_site(folder, TELEGRAM_BOT_TOKEN=emu.token, TELEGRAM_BASE_URL=served.bot_base_url)
        await _open_orders(site, emu, count, chats)
        log = folder / "bot.log"
        started = time.monotonic()
        proc = await asyncio.to_thread(spawn, site.env, log)
        peak = 0
        try:
            await asyncio.to_thread(wait_healthy, site.listen, proc, log, 300)
            healthy = time.monotonic() - started
            while REBUILT not in log.read_text(errors="replace"):  # every timer scheduled
                peak = max(peak, rss_bytes(proc.pid))
                if time.monotonic() - started > 300:
                    raise TimeoutError("chipin run did not finish starting in 300 s")
                await asyncio.sleep(0.1)
            startup = time.monotonic() - started
            end = time.monotonic() + SETTLE_S
            while time.monotonic() < end:
                peak = max(peak, rss_bytes(proc.pid))
                await asyncio.sleep(0.1)
        finally:
            await asyncio.to_thread(stop, proc)
    return Footprint(count, peak / 2**20, startup, healthy)
