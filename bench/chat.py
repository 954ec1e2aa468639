"""Benchmarks 3, 4 and 7: `chipin run` against the Bot API emulator (tests/telegram_emulator).

3. A burst: payments spread over 30 s across groups, each group with its own /split order;
   the emulator's flood control counts 429 answers and times every edit.
4. What one /split costs end to end (the update in, the QR card and the progress message
   out), and the QR card itself: its median time, the event loop's longest stall while
   one is made, and whether a second request for the same card is served from the cache.
7. The outbox's delay: from a webhook's 200 to the message it causes reaching Telegram, on an
   idle chat.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import statistics
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.rig import WEBHOOK_PATH, Part, Site, new_site, webhook_parts
from bot.views.qr import make_qr_card, qr_card
from tests.chaos.api import Checkout, ChipinApi, Counters
from tests.support.procs import spawn, stop, wait_healthy
from tests.telegram_emulator import Emulator, SentMessage, serve


@dataclass(frozen=True, slots=True)
class Group:
    chat: int
    payee: int
    progress_id: int
    token: str


@dataclass(frozen=True, slots=True)
class Burst:
    payments: int
    failed: int
    failures: dict[str, int]  # what went wrong, by kind
    span_s: float  # from the first payment to the last
    count_429: int
    min_edit_gap_s: float  # the shortest time between two edits in one chat
    final_lag_s: float  # the longest wait, after the last payment, for a final progress
    all_final: bool


@dataclass(frozen=True, slots=True)
class SplitCost:
    samples: int
    p50_ms: float
    p99_ms: float
    card_median_ms: float
    card_loop_stall_ms: float
    card_cached: bool


def _has(words: str) -> Callable[[SentMessage], bool]:
    return lambda m: m.body is not None and words in m.body


@asynccontextmanager
async def bot_running(folder: Path) -> AsyncIterator[tuple[Emulator, Site]]:
    """The emulator in this process; `chipin run` polling it from another."""
    emu = Emulator()
    async with serve(emu) as served:
        site = new_site(folder, TELEGRAM_BOT_TOKEN=emu.token, TELEGRAM_BASE_URL=served.bot_base_url)
        log = folder / "bot.log"
        proc = await asyncio.to_thread(spawn, site.env, log)
        try:
            await asyncio.to_thread(wait_healthy, site.listen, proc, log, 60)
            await emu.wait_for(lambda: emu.world.stats.calls["getUpdates"] or None, timeout_s=20)
            yield emu, site
        finally:
            await asyncio.to_thread(stop, proc)


async def split(
    emu: Emulator, index: int, payers: int, timeout_s: float = 20
) -> tuple[Group, float]:
    """A group where a payee sends /split; the group and how long until its progress came."""
    ann = await emu.create_user(f"Payee{index}", username=f"payee_{index}")
    chat = await emu.create_group(f"Bench group {index}", members=[ann])
    started = time.time()
    sent = await emu.send_message(ann, chat, f"/split {payers} {payers} Bench {index}")
    progress = await emu.wait_for_message(
        chat, _has(f"Paid 0/{payers}"), after_id=sent["message_id"], timeout_s=timeout_s
    )
    url = progress.reply_markup["inline_keyboard"][0][0]["url"]  # type: ignore[index]
    token = str(url).split("start=", 1)[1]
    return Group(chat, ann, progress.message_id, token), progress.sent_at - started


async def split_cost(emu: Emulator, samples: int) -> SplitCost:
    costs = [(await split(emu, 1000 + i, 4))[1] * 1000 for i in range(samples)]
    costs.sort()
    median_ms, stall_ms, cached = await card_figures(max(5, samples))
    return SplitCost(
        samples=samples,
        p50_ms=statistics.median(costs),
        p99_ms=costs[min(len(costs) - 1, round(0.99 * (len(costs) - 1)))],
        card_median_ms=median_ms,
        card_loop_stall_ms=stall_ms,
        card_cached=cached,
    )


async def card_figures(count: int) -> tuple[float, float, bool]:
    """(median ms of make_qr_card, the loop's longest stall during qr_card, cache hit)."""
    words = ("Dinner at Luigi's", "40.00", "USD", "Closes 26 Nov 21:00 UTC", "Scan to pay")
    times = []
    for i in range(count):
        t = time.perf_counter()
        make_qr_card(f"https://t.me/chipin_bot?start=bench{i:06d}xxxxxxxxxxxx", *words)
        times.append((time.perf_counter() - t) * 1000)
    stall = 0.0
    done = False

    async def ticker() -> None:
        nonlocal stall
        last = time.perf_counter()
        while not done:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            stall = max(stall, now - last)
            last = now

    tick = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    link = f"https://t.me/chipin_bot?start=stall{time.time_ns()}"
    first = await qr_card(link, *words)
    done = True
    await tick
    again = await qr_card(link, *words)
    return statistics.median(times), stall * 1000, again is first


async def _pay(api: ChipinApi, token: str, payer: str) -> str:
    """'' when paid, else what went wrong."""
    a = await api.reserve(token, payer)
    if a.status not in (200, 201):
        return f"reserve {a.status} {a.error}"
    done = await api.checkout(str(a.body["checkout_url"]), "pay")
    return "" if done == Checkout.DONE else f"checkout {done}"


async def burst(emu: Emulator, site: Site, groups: int, payments: int, span_s: float) -> Burst:
    per = payments // groups
    made = [(await split(emu, g, per))[0] for g in range(groups)]
    await asyncio.sleep(3.0)  # the posts' own rate window passes, as it would in life
    failures: Counter[str] = Counter()
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        api = ChipinApi(client, site.base, Counters())
        start = time.monotonic()

        async def payment(k: int) -> None:
            # Spread over 95 % of the span, so the last one is done within it too.
            due = start + k * 0.95 * span_s / payments
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            g = made[k % groups]
            failure = await _pay(api, g.token, f"burst-{k}")
            if failure:
                failures[failure] += 1

        first = time.time()
        await asyncio.gather(*(payment(k) for k in range(per * groups)))
        last = time.time()
    final = f"Paid {per}/{per}"
    lags: list[float] = []
    for g in made:
        try:
            msg = await emu.wait_for_message(
                g.chat,
                lambda m, g=g: m.message_id == g.progress_id and _has(final)(m),  # type: ignore[misc]
                after_id=g.progress_id - 1,
                timeout_s=15,
            )
        except TimeoutError:
            lags.append(float("inf"))
            continue
        lags.append((msg.edit_times[-1] if msg.edit_times else msg.sent_at) - last)
    gaps = [b - a for g in made for a, b in _pairs(await emu.edit_times(g.chat))]
    return Burst(
        payments=per * groups,
        failed=sum(failures.values()),
        failures=dict(failures),
        span_s=last - first,
        count_429=await emu.count_429(),
        min_edit_gap_s=min(gaps) if gaps else float("inf"),
        final_lag_s=max(lags),
        all_final=all(lag != float("inf") for lag in lags),
    )


def _pairs(times: list[float]) -> list[tuple[float, float]]:
    return list(itertools.pairwise(times))


@dataclass(frozen=True, slots=True)
class OutboxDelay:
    samples: int
    p50_ms: float
    p99_ms: float


async def outbox_delay(emu: Emulator, site: Site, samples: int) -> OutboxDelay:
    """From a webhook's 200 to the message it causes reaching Telegram, on an idle chat: each
    sample a one-part order in a group of its own, paid by a signed webhook sent here; the
    completion announcement goes through the outbox (relay, then postman)."""
    delays: list[float] = []
    async with httpx.AsyncClient(timeout=30) as client:
        api = ChipinApi(client, site.base, Counters())
        for i in range(samples):
            group, _ = await split(emu, 3000 + i, 1)
            await asyncio.sleep(0.5)  # the post's own edits are done: the chat is idle
            part = await _reserved(api, site, group.token, f"delay-{i}")
            headers, body = webhook_parts(site.webhook_secret, part, 90_000 + i)
            answer = await client.post(site.base + WEBHOOK_PATH, content=body, headers=headers)
            answered = time.time()
            assert answer.status_code == 200, answer.text
            told = await emu.wait_for_message(
                group.chat, _has("payer paid"), after_id=group.progress_id, timeout_s=15
            )
            delays.append((told.sent_at - answered) * 1000)
    delays.sort()
    return OutboxDelay(
        samples=samples,
        p50_ms=statistics.median(delays),
        p99_ms=delays[min(len(delays) - 1, round(0.99 * (len(delays) - 1)))],
    )


async def _reserved(api: ChipinApi, site: Site, token: str, payer: str) -> Part:
    """Reserve the order's part through the API; the part as the sandbox's webhook names it
    (read from Chipin's database: the API does not show checkout references)."""
    held = await api.reserve(token, payer)
    assert held.status in (200, 201), held.body
    db = site.env["CHIPIN_DATABASE_URL"].split(":///", 1)[1]
    query = (
        "SELECT s.order_id, s.id, s.checkout_ref, s.amount_minor, o.currency FROM sub_orders s"
        " JOIN orders o ON o.id = s.order_id WHERE o.token = ? AND s.state = 'reserved'"
    )
    with sqlite3.connect(db) as conn:
        row = conn.execute(query, (token,)).fetchone()
    conn.close()
    order_id, sub_id, checkout_ref, amount_minor, code = row
    return Part(order_id, sub_id, checkout_ref, int(amount_minor), code)
