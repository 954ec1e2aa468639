"""The outbox under `chipin run` on the Bot API emulator: what a chat should hear is not lost
to a Telegram outage longer than any retry budget, nor to a SIGKILL mid-burst; messages sent
twice are only those in flight at the kill, and they are counted.

Each order is paid in full through its link; each should then give its group one completion
announcement and its payee (who started the bot) one private note of the totals.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from tests.chaos.api import ChipinApi, Counters
from tests.chaos.books import Row, problems, read_books
from tests.chaos.faults import settle
from tests.chaos.groups import Group, make_groups, pay_group_order, post_order, wait_caught_up
from tests.chaos.report import report
from tests.chaos.runs import Database, Setup, make_setup, prepare
from tests.chaos.scale import LONG, SEED
from tests.chaos.service import Service, service
from tests.telegram_emulator import Emulator, serve

pytestmark = pytest.mark.slow

PARTS = 2
OUTAGE_S = 260.0 if LONG else 15.0  # longer than the four minutes messages were once retried
OUTAGE_GROUPS = 4 if LONG else 2
KILL_GROUPS = 8 if LONG else 4
DRAIN_S = 150.0  # after Telegram is back: the longest backoff (60 s), then every chat's queue
IN_FLIGHT = re.compile(r"outbox: (\d+) messages were being sent when Chipin stopped")


async def _groups(emu: Emulator, count: int) -> list[Group]:
    """Groups whose payees started the bot, so that their totals come privately."""
    groups = await make_groups(emu, count)
    for group in groups:
        await emu.send_message(group.payee, text="/start")
    return groups


async def _told(emu: Emulator, groups: list[Group], posts: list[Row]) -> tuple[Counter[str], ...]:
    """How many completion announcements each group got, and totals each payee got."""
    announced: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    for group, post in zip(groups, posts, strict=True):
        title = str(post["title"])
        for m in await emu.messages(group.chat):
            if m.body and "all 2 payers paid" in m.body and title in m.body:
                announced[title] += 1
        for m in await emu.messages(group.payee):
            if m.body and "is complete" in m.body and title in m.body:
                totals[title] += 1
    return announced, totals


async def _all_told(emu: Emulator, groups: list[Group], posts: list[Row]) -> float:
    """Seconds until every order's announcement and totals have arrived (or DRAIN_S)."""
    started = time.monotonic()
    while time.monotonic() - started < DRAIN_S:
        announced, totals = await _told(emu, groups, posts)
        titles = {str(p["title"]) for p in posts}
        if set(announced) == titles and set(totals) == titles:
            break
        await asyncio.sleep(0.5)
    return time.monotonic() - started


async def _post_all(emu: Emulator, setup: Setup, groups: list[Group]) -> list[Row]:
    found: list[Row] = []
    for i, group in enumerate(groups):
        post, _tries = await post_order(emu, setup, group, f"/split 20 {PARTS} Order{i:02d}")
        found.append({**post, "title": f"Order{i:02d}"})
    return found


Posted = tuple[Emulator, Setup, Service, list[Group], list[Row]]


@asynccontextmanager
async def _orders_posted(tmp_path: Path, count: int) -> AsyncIterator[Posted]:
    """`chipin run` on the emulator, with an order posted in each of `count` groups."""
    emu = Emulator()
    async with serve(emu) as served:
        db = Database("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'chipin.db'}")
        base = served.bot_base_url
        setup = make_setup(tmp_path, db, TELEGRAM_BOT_TOKEN=emu.token, TELEGRAM_BASE_URL=base)
        await prepare(setup)
        async with service(setup.env, setup.log, "run") as svc:
            groups = await _groups(emu, count)
            yield emu, setup, svc, groups, await _post_all(emu, setup, groups)


async def _pay_all(svc: Service, posts: list[Row], rng: random.Random, spread_s: float) -> int:
    async with httpx.AsyncClient() as client:
        api = ChipinApi(client, svc.base, Counters())
        paying = [pay_group_order(api, p, PARTS, rng, spread_s) for p in posts]
        return sum(await asyncio.gather(*paying))


async def test_a_telegram_outage_longer_than_four_minutes_loses_no_message(
    tmp_path: Path,
) -> None:
    rng = random.Random(SEED + 18)
    async with _orders_posted(tmp_path, OUTAGE_GROUPS) as (emu, setup, svc, groups, posts):
        await emu.set_outage(502)
        down = time.monotonic()
        paid = await _pay_all(svc, posts, rng, spread_s=min(OUTAGE_S / 2, 20.0))
        assert await settle(svc, setup.chipin_url, setup.sandbox_url) == {}
        down_status, depth = await svc.status()
        await asyncio.sleep(max(OUTAGE_S - (time.monotonic() - down), 0.0))
        assert await _told(emu, groups, posts) == (Counter(), Counter())  # nothing got out
        await emu.set_outage(None)
        outage_s = time.monotonic() - down
        drained_s = await _all_told(emu, groups, posts)
        behind = await wait_caught_up(emu, setup)
        announced, totals = await _told(emu, groups, posts)
        up_status, after = await svc.status()
        log = svc.log_tail(10**7)
        books = await read_books(setup.chipin_url, setup.sandbox_url)
    assert problems(books) == []
    assert behind == [], f"progress messages not final: {behind}"
    titles = [str(p["title"]) for p in posts]
    assert announced == Counter(titles), log[-3000:]
    assert totals == Counter(titles), log[-3000:]
    assert down_status == 1, depth  # the bot's part fails while Telegram is down
    assert "bot       FAILING: Telegram does not answer" in depth, depth
    assert up_status == 0, after
    assert "0 messages to send" in after, after
    report(
        "Telegram down, then back (chipin run + emulator)",
        orders=len(posts),
        payments=paid,
        **{
            "outage s": outage_s,
            "outbox during the outage": _outbox_line(depth),
            "all told after s": drained_s,
        },
        result="every announcement, payee note and final progress state arrived, once each",
    )


async def test_a_sigkill_mid_burst_loses_no_message_and_doubles_only_those_in_flight(
    tmp_path: Path,
) -> None:
    rng = random.Random(SEED + 19)
    async with _orders_posted(tmp_path, KILL_GROUPS) as (emu, setup, svc, groups, posts):
        paying = asyncio.create_task(_pay_all(svc, posts, rng, spread_s=8.0))
        kills = 2 if LONG else 1
        for _ in range(kills):
            await asyncio.sleep(rng.uniform(2.0, 5.0))
            await svc.kill()
            await svc.start()
        paid = await paying
        assert await settle(svc, setup.chipin_url, setup.sandbox_url) == {}
        drained_s = await _all_told(emu, groups, posts)
        behind = await wait_caught_up(emu, setup)
        announced, totals = await _told(emu, groups, posts)
        log = svc.log_tail(10**7)
        books = await read_books(setup.chipin_url, setup.sandbox_url)
    assert problems(books) == []
    assert behind == [], f"progress messages not final: {behind}"
    titles = [str(p["title"]) for p in posts]
    lost = [t for t in titles if not announced[t]] + [t for t in titles if not totals[t]]
    doubled = sum(n - 1 for n in announced.values()) + sum(n - 1 for n in totals.values())
    in_flight = sum(int(n) for n in IN_FLIGHT.findall(log))
    assert lost == [], log[-3000:]
    assert doubled <= in_flight, (announced, totals, in_flight)
    report(
        "SIGKILL mid-burst (chipin run + emulator)",
        orders=len(posts),
        payments=paid,
        kills=kills,
        **{
            "messages lost": len(lost),
            "messages in flight at a kill": in_flight,
            "messages sent twice": doubled,
            "all told after s": drained_s,
        },
        result="no message lost; only messages in flight at a kill may come twice",
    )


def _outbox_line(status: str) -> str:
    """The outbox's line of `chipin status`."""
    return next(ln.strip() for ln in status.splitlines() if ln.strip().startswith("outbox "))
