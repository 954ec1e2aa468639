"""Run the eight benchmarks and print every figure next to its target (docs/PERFORMANCE.md).

    python -m bench                    # the full run (`make bench`), under ten minutes
    python -m bench --scale smoke      # tiny counts: checks that each produces its figures
    python -m bench --only 1,6 --json out.json

Every figure is a count or a ratio to a baseline measured in the same run: the machine's
own speed cancels out. Everything talks to 127.0.0.1 only and stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import chat, hot_order, memory, settle, statements
from bench.report import Figure, print_figures, ratio, save
from bench.rig import postgres_database


@dataclass(frozen=True, slots=True)
class Scale:
    parts: int  # webhooks per settlement run
    rate_seconds: float  # how long the fixed-rate run offers load
    warmup: int
    payers: int  # benchmark 2
    hot_n: int
    hot_concurrency: int
    groups: int  # benchmark 3
    burst_payments: int
    burst_span_s: float
    split_samples: int  # benchmark 4
    open_orders: int  # benchmark 5
    delay_samples: int  # benchmark 7
    statement_parts: int  # benchmark 8


SCALES = {
    "full": Scale(1000, 2.0, 100, 1000, 50, 50, 10, 300, 30.0, 30, 10_000, 40, 500),
    "smoke": Scale(80, 0.5, 10, 30, 5, 10, 2, 8, 2.0, 3, 150, 3, 20),
}


class Bench:
    def __init__(self, scale: Scale, folder: Path) -> None:
        self.s = scale
        self.folder = folder
        self.figures: list[Figure] = []
        self.sqlite_settle: settle.Run | None = None
        self.baseline: settle.Run | None = None
        self.sqlite_hot: tuple[hot_order.Crowd, hot_order.Crowd] | None = None
        self.rate = 0.0  # half the baseline's requests per second: the fixed-rate runs'

    def add(self, *figures: Figure) -> None:
        print_figures(list(figures))
        self.figures += figures

    def plan(self, rate: float) -> settle.Plan:
        rate_requests = max(self.s.warmup + 20, min(self.s.parts, int(rate * self.s.rate_seconds)))
        return settle.Plan(self.s.parts, min(rate_requests, self.s.parts), self.s.warmup)

    # ---- 1 ----
    async def settlement(self) -> None:
        site, parts = await settle.prepared_site(self.folder / "b1", self.s.parts)
        base, rate, plan = settle.run_baseline(
            self.folder / "b1-base", site.webhook_secret, parts, self.s.warmup, self.plan
        )
        run = settle.run_chipin(site, parts, rate, plan, db_file=True)
        self.baseline, self.sqlite_settle, self.rate = base, run, rate
        self.add(*settle_figures("1 settle", base, run, plan))

    # ---- 2 ----
    async def hot(self) -> None:
        s = self.s
        hot, spread = await hot_order.hot_and_spread(
            self.folder / "b2", s.payers, s.hot_n, s.hot_concurrency
        )
        self.sqlite_hot = (hot, spread)
        self.add(*hot_figures("2 hot order", hot, spread, s))

    # ---- 3 and 4 ----
    async def chat(self) -> None:
        s = self.s
        async with chat.bot_running(self.folder / "b34") as (emu, site):
            cost = await chat.split_cost(emu, s.split_samples)
            self.add(
                Figure("4 /split", "/split end to end p50 (ms)", f"{cost.p50_ms:.0f}"),
                Figure("4 /split", "/split end to end p99 (ms)", f"{cost.p99_ms:.0f}"),
                Figure(
                    "4 /split",
                    "QR card generation, median (ms)",
                    f"{cost.card_median_ms:.1f}",
                    "<= 20",
                    cost.card_median_ms <= 20,
                ),
                Figure(
                    "4 /split",
                    "event loop's longest stall during a card (ms)",
                    f"{cost.card_loop_stall_ms:.1f}",
                    "< card time (off the loop)",
                    cost.card_loop_stall_ms < cost.card_median_ms,
                ),
                Figure(
                    "4 /split",
                    "same card again served from the cache",
                    "yes" if cost.card_cached else "no",
                    "yes",
                    cost.card_cached,
                ),
            )
            b = await chat.burst(emu, site, s.groups, s.burst_payments, s.burst_span_s)
        self.add(
            Figure("3 burst", "payments (groups)", f"{b.payments} ({s.groups})"),
            Figure("3 burst", "payments that failed", _failed(b), "0", b.failed == 0),
            Figure(
                "3 burst",
                "seconds from first to last payment",
                f"{b.span_s:.1f}",
                f"<= {s.burst_span_s:.0f}",
                b.span_s <= s.burst_span_s,
            ),
            Figure("3 burst", "429 answers", str(b.count_429), "0", b.count_429 == 0),
            Figure(
                "3 burst",
                "shortest gap between edits in a chat (s)",
                f"{b.min_edit_gap_s:.2f}",
                ">= 3",
                b.min_edit_gap_s >= 3.0,
            ),
            Figure(
                "3 burst",
                "last payment to every progress final (s)",
                f"{b.final_lag_s:.2f}",
                "<= 4",
                b.all_final and b.final_lag_s <= 4.0,
            ),
        )

    # ---- 7 ----
    async def outbox(self) -> None:
        async with chat.bot_running(self.folder / "b7") as (emu, site):
            d = await chat.outbox_delay(emu, site, self.s.delay_samples)
        name = f"webhook 200 to message sent, idle chat ({d.samples})"
        self.add(
            Figure("7 outbox", f"{name} p50 (ms)", f"{d.p50_ms:.0f}", "< 1000", d.p50_ms < 1000),
            Figure("7 outbox", f"{name} p99 (ms)", f"{d.p99_ms:.0f}", "< 1000", d.p99_ms < 1000),
        )

    # ---- 8 ----
    async def statements(self) -> None:
        r = await statements.compare(self.folder / "b8", self.s.statement_parts)
        b, n = "8 statement", r.parts
        self.add(
            Figure(b, "parts confirmed by one statement", str(r.matched), f"= {n}", r.matched == n),
            Figure(b, "lines found imported before, again", str(r.again), f"= {n}", r.again == n),
            Figure(
                b,
                "parts paid by importing it again",
                str(r.changed_again),
                "= 0",
                r.changed_again == 0,
            ),
            Figure(
                b,
                "statement parts/s / gateway-event parts/s",
                f"{r.ratio:.2f}",
                ">= 0.5",
                r.ratio >= 0.5,
            ),
            Figure(b, "reading share of the import", f"{r.read_s / r.statement_s:.2f}"),
        )

    # ---- 5 ----
    async def memory(self) -> None:
        n = self.s.open_orders
        empty = await memory.footprint(self.folder / "b5-empty", 0)
        full = await memory.footprint(self.folder / "b5-full", n)
        per = (full.rss_mb - empty.rss_mb) * 2**20 / n
        self.add(
            Figure("5 memory", "RSS of chipin run, no orders (MB)", f"{empty.rss_mb:.1f}"),
            Figure(
                "5 memory",
                f"RSS of chipin run, {n} open orders (MB)",
                f"{full.rss_mb:.1f}",
                "<= 200",
                full.rss_mb <= 200,
            ),
            Figure("5 memory", "bytes per open order", f"{per:.0f}"),
            Figure("5 memory", f"listener up with {n} open orders (s)", f"{full.healthy_s:.1f}"),
            Figure("5 memory", f"start-up rebuild of {n} open orders (s)", f"{full.startup_s:.1f}"),
        )

    # ---- 6 ----
    async def postgres(self) -> None:
        if self.sqlite_settle is None or self.baseline is None or self.sqlite_hot is None:
            self.add(Figure("6 postgres", "needs benchmarks 1 and 2 in the same run", "not run"))
            return
        async with postgres_database() as settle_url:
            if settle_url is None:
                self.add(Figure("6 postgres", "PostgreSQL at 127.0.0.1:5432", "unreachable"))
                return
            rate = self.rate
            plan = self.plan(rate)
            site, parts = await settle.prepared_site(
                self.folder / "b6", plan.parts + plan.rate_requests, settle_url
            )
            run = settle.run_chipin(site, parts, rate, plan, db_file=False)
        async with postgres_database() as hot_url, postgres_database() as spread_url:
            assert hot_url is not None
            assert spread_url is not None
            s = self.s
            hot, spread = await hot_order.hot_and_spread(
                self.folder / "b6-hot", s.payers, s.hot_n, s.hot_concurrency, (hot_url, spread_url)
            )
        self.add(*pg_figures(run, self.sqlite_settle, (hot, spread), self.sqlite_hot, s))


def _failed(b: chat.Burst) -> str:
    return f"{b.failed} {b.failures}" if b.failed else "0"


def settle_figures(
    bench: str, base: settle.Run, run: settle.Run, plan: settle.Plan
) -> list[Figure]:
    rps, base_rps = float(run.closed["rps"]), float(base.closed["rps"])
    p99, base_p99 = float(run.at_rate["p99_ms"]), float(base.at_rate["p99_ms"])
    bad = sum(n for status, n in _statuses(run).items() if status != "200")
    return [
        Figure(bench, "baseline req/s (bare ASGI + aiosqlite)", f"{base_rps:.0f}"),
        Figure(bench, "Chipin req/s", f"{rps:.0f}"),
        Figure(
            bench,
            "Chipin / baseline req/s",
            f"{ratio(rps, base_rps):.2f}",
            ">= 0.60",
            ratio(rps, base_rps) >= 0.60,
        ),
        Figure(bench, f"baseline p99 at {base_rps / 2:.0f} req/s (ms)", f"{base_p99:.1f}"),
        Figure(bench, f"Chipin p99 at {base_rps / 2:.0f} req/s (ms)", f"{p99:.1f}"),
        Figure(
            bench,
            "Chipin p99 / baseline p99 at that rate",
            f"{ratio(p99, base_p99):.2f}",
            "<= 2.0",
            ratio(p99, base_p99) <= 2.0,
        ),
        Figure(
            bench,
            "sub-orders paid / webhooks sent",
            f"{run.settled}/{plan.parts}",
            "all",
            run.settled == plan.parts,
        ),
        Figure(bench, "answers other than 200", str(bad), "0", bad == 0),
    ]


def _statuses(run: settle.Run) -> dict[str, int]:
    out: dict[str, int] = {}
    for result in (run.closed, run.at_rate):
        for status, n in dict(result["by_status"]).items():
            out[status] = out.get(status, 0) + int(n)
    return out


def hot_figures(
    bench: str, hot: hot_order.Crowd, spread: hot_order.Crowd, s: Scale
) -> list[Figure]:
    full = s.payers - s.hot_n
    return [
        Figure(
            bench,
            "payers paid (and settled)",
            f"{hot.paid} ({hot.settled})",
            f"= {s.hot_n}",
            hot.paid == hot.settled == s.hot_n,
        ),
        Figure(
            bench, "payers told it is full", str(hot.told_full), f"= {full}", hot.told_full == full
        ),
        Figure(bench, "errors", str(hot.errors), "0", hot.errors == 0),
        Figure(bench, "hot order run (s)", f"{hot.seconds:.1f}"),
        Figure(bench, f"{s.payers} payments over {s.payers} orders (s)", f"{spread.seconds:.1f}"),
        Figure(
            bench,
            "hot order time / spread time",
            f"{ratio(hot.seconds, spread.seconds):.2f}",
            "<= 3.0",
            ratio(hot.seconds, spread.seconds) <= 3.0,
        ),
    ]


def pg_figures(
    run: settle.Run,
    sqlite_run: settle.Run,
    crowds: tuple[hot_order.Crowd, hot_order.Crowd],
    sqlite_crowds: tuple[hot_order.Crowd, hot_order.Crowd],
    s: Scale,
) -> list[Figure]:
    b = "6 postgres"
    rps, sqlite_rps = float(run.closed["rps"]), float(sqlite_run.closed["rps"])
    p99, sqlite_p99 = float(run.at_rate["p99_ms"]), float(sqlite_run.at_rate["p99_ms"])
    hot, spread = crowds
    bad = sum(n for status, n in _statuses(run).items() if status != "200")
    return [
        Figure(b, "Chipin req/s on PostgreSQL", f"{rps:.0f}"),
        Figure(b, "PostgreSQL / SQLite req/s", f"{ratio(rps, sqlite_rps):.2f}"),
        Figure(b, "PostgreSQL / SQLite p99 at the same rate", f"{ratio(p99, sqlite_p99):.2f}"),
        Figure(b, "answers other than 200", str(bad), "0", bad == 0),
        *hot_figures(b, hot, spread, s)[:3],
        Figure(
            b,
            "hot order time, PostgreSQL / SQLite",
            f"{ratio(hot.seconds, sqlite_crowds[0].seconds):.2f}",
        ),
        Figure(
            b,
            "hot order time / spread time on PostgreSQL",
            f"{ratio(hot.seconds, spread.seconds):.2f}",
            "<= 3.0",
            ratio(hot.seconds, spread.seconds) <= 3.0,
        ),
    ]


STEPS = {
    "1": "settlement",
    "2": "hot",
    "3": "chat",
    "4": "chat",
    "5": "memory",
    "6": "postgres",
    "7": "outbox",
    "8": "statements",
}


async def main_async(scale: Scale, only: list[str], folder: Path) -> list[Figure]:
    bench = Bench(scale, folder)
    done: set[str] = set()
    for key in only:
        step = STEPS[key]
        if step in done:
            continue
        done.add(step)
        started = time.monotonic()
        print(f"--- benchmark {key if step != 'chat' else '3 and 4'} ...", flush=True)
        await getattr(bench, step)()
        print(f"--- ({time.monotonic() - started:.0f} s)", flush=True)
    return bench.figures


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", choices=sorted(SCALES), default="full")
    p.add_argument("--only", default="1,2,3,4,5,6,7,8", help="which benchmarks, e.g. 1,6")
    p.add_argument("--json", type=Path, default=None, help="also write the figures here")
    a = p.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    only = [k.strip() for k in a.only.split(",") if k.strip()]
    unknown = [k for k in only if k not in STEPS]
    if unknown:
        p.error(f"unknown benchmark {unknown[0]}; choose from 1-8")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="chipin-bench-") as tmp:
        figures = asyncio.run(main_async(SCALES[a.scale], only, Path(tmp)))
    total = time.monotonic() - started
    print(f"\n=== all figures ({a.scale} scale, {total:.0f} s) ===")
    print_figures(figures)
    if a.json is not None:
        save(a.json, figures, {"scale": a.scale, "seconds": round(total, 1)})
    missed = [f for f in figures if f.met is False]
    print(f"{len(figures)} figures, {len(missed)} targets missed", flush=True)


if __name__ == "__main__":
    main()
