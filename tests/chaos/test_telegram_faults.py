"""Telegram API errors (429 with retry_after, 5xx, timeouts, an outage) from the Bot API
emulator while `chipin run` posts orders and payments arrive: no payment is lost, and every
progress message catches up with its order's final state."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.chaos.api import ChipinApi, Counters
from tests.chaos.books import problems, read_books, rows
from tests.chaos.faults import settle
from tests.chaos.groups import (
    TIMEOUT_S,
    make_groups,
    pay_group_order,
    post_order,
    posts,
    wait_caught_up,
)
from tests.chaos.report import report
from tests.chaos.runs import Database, make_setup, prepare
from tests.chaos.scale import LONG, SEED
from tests.chaos.service import service
from tests.telegram_emulator import Emulator, serve

pytestmark = pytest.mark.slow

GROUPS = 6 if LONG else 3
PARTS = 4 if LONG else 3
OUTAGE_S = 25.0 if LONG else 4.0  # every Bot API call answers 500 for this long
ROUNDS = 40 if LONG else 8  # single injected errors, about one a second
PAY_SPREAD_S = 30.0 if LONG else 5.0  # when each order's first payer comes


@dataclass(slots=True)
class Injected:
    kinds: Counter[str] = field(default_factory=Counter)


Fault = tuple[str, str, Callable[[Emulator], Awaitable[None]]]
# Single errors while payments arrive: on the progress edits and on the messages sent.
FAULTS: list[Fault] = [
    ("429", "editMessageText", lambda e: e.fail_next("editMessageText", 429,
                                                     "Too Many Requests: retry after 2", 2)),
    ("500", "editMessageText", lambda e: e.fail_next("editMessageText", 500,
                                                     "Internal Server Error")),
    ("502", "editMessageText", lambda e: e.fail_next("editMessageText", 502, "Bad Gateway")),
    ("timeout", "editMessageText", lambda e: e.slow_next("editMessageText", TIMEOUT_S)),
    ("429", "sendMessage", lambda e: e.fail_next("sendMessage", 429,
                                                 "Too Many Requests: retry after 1", 1)),
    ("500", "sendMessage", lambda e: e.fail_next("sendMessage", 500, "Internal Server Error")),
    ("timeout", "sendMessage", lambda e: e.slow_next("sendMessage", TIMEOUT_S)),
]  # fmt: skip
# One error on each later /split: on its QR card (sendPhoto) or its progress message.
POST_FAULTS: list[Fault] = [
    ("500", "sendPhoto", lambda e: e.fail_next("sendPhoto", 500, "Internal Server Error")),
    ("timeout", "sendPhoto", lambda e: e.slow_next("sendPhoto", TIMEOUT_S)),
    ("429", "sendPhoto", lambda e: e.fail_next("sendPhoto", 429,
                                               "Too Many Requests: retry after 1", 1)),
    ("502", "sendMessage", lambda e: e.fail_next("sendMessage", 502, "Bad Gateway")),
]  # fmt: skip


async def inject(emu: Emulator, rng: random.Random, injected: Injected) -> None:
    """Single errors about once a second, with one outage of every call in the middle."""
    for n in range(ROUNDS):
        if n == ROUNDS // 2:
            await emu.set_outage(500)
            await asyncio.sleep(OUTAGE_S)
            await emu.set_outage(None)
            injected.kinds[f"outage {OUTAGE_S:.0f} s"] += 1
        kind, method, fault = rng.choice(FAULTS)
        await fault(emu)
        injected.kinds[f"{method} {kind}"] += 1
        await asyncio.sleep(rng.uniform(0.3, 1.2))


async def test_telegram_errors_lose_no_payment_and_progress_messages_catch_up(
    tmp_path: Path,
) -> None:
    emu = Emulator()
    rng = random.Random(SEED + 4)
    injected = Injected()
    async with serve(emu) as served:
        db = Database("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'chipin.db'}")
        setup = make_setup(
            tmp_path, db, TELEGRAM_BOT_TOKEN=emu.token, TELEGRAM_BASE_URL=served.bot_base_url
        )
        await prepare(setup)
        async with service(setup.env, setup.log, "run") as svc, httpx.AsyncClient() as client:
            api = ChipinApi(client, svc.base, Counters())
            groups = await make_groups(emu, GROUPS)
            early = [await post_order(emu, setup, g, f"/split 90 {PARTS} Dinner {i}")
                     for i, g in enumerate(groups[: GROUPS // 2])]  # fmt: skip
            post_faults = [POST_FAULTS[i % len(POST_FAULTS)] for i in range(GROUPS - GROUPS // 2)]
            later = await asyncio.gather(
                *(post_order(emu, setup, g, f"/split 90 {PARTS} Trip {i}", f[2]) for i, (g, f) in
                  enumerate(zip(groups[GROUPS // 2 :], post_faults, strict=True)))
            )  # fmt: skip
            injected.kinds.update(f"/split: {f[1]} {f[0]}" for f in post_faults)
            faults = asyncio.create_task(inject(emu, rng, injected))
            every = [post for post, _ in [*early, *later]]
            post_tries = sum(tries for _, tries in later)
            # Every order is paid in full but the last, which stays open one part short.
            shares = [PARTS] * (len(every) - 1) + [PARTS - 1]
            paying = [
                pay_group_order(api, p, k, rng, PAY_SPREAD_S)
                for p, k in zip(every, shares, strict=True)
            ]
            paid = sum(await asyncio.gather(*paying))
            await faults
            unused = sum(len(queued) for queued in emu.world.faults.values())
            emu.world.faults.clear()
            errors_seen = {k: v for k, v in emu.world.stats.errors.items() if ":403" not in k}
            started = time.monotonic()
            assert await settle(svc, setup.chipin_url, setup.sandbox_url) == {}
            behind = await wait_caught_up(emu, setup)
            catch_up_s = time.monotonic() - started
            final = await posts(setup)
            (orders,) = await rows(setup.chipin_url, ("SELECT id, state, paid_count FROM orders",))
            log = svc.log_tail(10**8)
        books = await read_books(setup.chipin_url, setup.sandbox_url)
    assert behind == [], f"progress messages not caught up: {behind}\n{log[-4000:]}"
    assert problems(books) == []
    assert sorted(p["paid_count"] for p in final) == sorted(shares)
    assert sum(1 for b in books.payments if b["counted"]) == paid
    posted = {p["order_id"] for p in final}
    unposted = [o for o in orders if o["id"] not in posted]
    # A /split whose messages failed left no order behind that anyone could pay into.
    assert all(o["state"] == "cancelled" and o["paid_count"] == 0 for o in unposted), unposted
    assert emu.token not in log
    report(
        "Telegram API errors (chipin run + emulator)",
        groups=len(final),
        payments=paid,
        injected=dict(injected.kinds),
        **{
            "errors answered": errors_seen,
            "faults never reached": unused,
            "/split tries for the later orders": post_tries,
            "caught up after s": catch_up_s,
        },
        result="no payment lost; every progress message shows its final state",
    )
