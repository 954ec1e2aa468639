"""Benchmark 1 (and half of 6): settlement throughput of signed sandbox webhooks.

The same workload goes to the bare baseline (bench/baseline.py) and to `chipin serve`,
one after the other: first closed loop (as fast as they answer), then at half the
baseline's rate from a fresh copy of the same database, for the latency at that rate.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.baseline import prepare
from bench.loadgen import write_requests
from bench.rig import Part, Site, load, new_site, opened, reserved_parts, signed_webhook
from tests.support.procs import free_port, serving, stop, wait_healthy

CONCURRENCY = 16
PER_ORDER = 10
SECRET_ENV = "BENCH_WEBHOOK_SECRET_HEX"  # noqa: S105 - the name of a variable


@dataclass(frozen=True, slots=True)
class Run:
    """One server's closed-loop and fixed-rate results."""

    closed: dict[str, Any]
    at_rate: dict[str, Any]
    settled: int  # sub-orders paid after the closed-loop run


@dataclass(frozen=True, slots=True)
class Plan:
    parts: int  # webhooks per run (each settles one sub-order)
    rate_requests: int  # webhooks in the fixed-rate run (at most `parts`)
    warmup: int


@contextmanager
def baseline_server(folder: Path, secret: bytes) -> Iterator[str]:
    """bench.baseline in its own process; yields its host:port."""
    port = free_port()
    log = folder / "baseline.log"
    env = {**os.environ, SECRET_ENV: secret.hex()}
    cmd = [sys.executable, "-m", "bench.baseline", "--db", str(folder / "base.db")]
    with log.open("ab") as out:
        proc = subprocess.Popen([*cmd, "--port", str(port)], env=env, stdout=out, stderr=out)
    try:
        wait_healthy(f"127.0.0.1:{port}", proc, log)
        yield f"127.0.0.1:{port}"
    finally:
        stop(proc)


def _requests(site_secret: bytes, target: str, parts: list[Part], path: Path) -> Path:
    write_requests(path, (signed_webhook(site_secret, target, p, i) for i, p in enumerate(parts)))
    return path


def _snapshot(folder: Path, names: tuple[str, ...]) -> Path:
    keep = folder / "pristine"
    keep.mkdir(exist_ok=True)
    for name in names:
        for f in folder.glob(name + "*"):
            shutil.copy2(f, keep / f.name)
    return keep


def _restore(folder: Path, keep: Path, names: tuple[str, ...]) -> None:
    for name in names:
        for f in folder.glob(name + "*"):
            f.unlink()
        for f in keep.glob(name + "*"):
            shutil.copy2(f, folder / f.name)


def paid_in_sqlite(db: Path, table: str = "sub_orders", state: str = "paid") -> int:
    with sqlite3.connect(db) as conn:
        (n,) = conn.execute(f"SELECT count(*) FROM {table} WHERE state = ?", (state,)).fetchone()  # noqa: S608
    conn.close()
    return int(n)


def run_baseline(
    folder: Path, secret: bytes, parts: list[Part], warmup: int, plan_for: Callable[[float], Plan]
) -> tuple[Run, float, Plan]:
    """Closed loop over every part, then at half the rate it reached (`plan_for(rate)` says
    how many webhooks); the runs, that rate, and the plan."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = [p.sub_id for p in parts]
    prepare(folder / "base.db", ids)
    with baseline_server(folder, secret) as target:
        reqs = _requests(secret, target, parts, folder / "closed.bin")
        closed = load(target, reqs, concurrency=CONCURRENCY, warmup=warmup)
    settled = paid_in_sqlite(folder / "base.db", "subs")
    for f in folder.glob("base.db*"):
        f.unlink()
    prepare(folder / "base.db", ids)
    rate = float(closed["rps"]) / 2
    plan = plan_for(rate)
    with baseline_server(folder, secret) as target:
        reqs = _requests(secret, target, parts[: plan.rate_requests], folder / "rate.bin")
        at_rate = load(target, reqs, rate=rate, warmup=plan.warmup)
    return Run(closed, at_rate, settled), rate, plan


def run_chipin(site: Site, parts: list[Part], rate: float, plan: Plan, db_file: bool) -> Run:
    """Closed loop, then (from the same starting database) at `rate`. `db_file`: SQLite,
    so the files can be copied back; otherwise the caller gives two sets of parts."""
    folder = site.folder
    names = ("chipin.db", "sandbox.db")
    keep = _snapshot(folder, names) if db_file else None
    secret = site.webhook_secret
    with serving(site.env, folder / "serve.log"):
        reqs = _requests(secret, site.listen, parts[: plan.parts], folder / "closed.bin")
        closed = load(site.listen, reqs, concurrency=CONCURRENCY, warmup=plan.warmup)
    settled = paid_in_sqlite(folder / "chipin.db") if db_file else -1
    if keep is not None:
        _restore(folder, keep, names)
        rate_parts = parts[: plan.rate_requests]
    else:
        rate_parts = parts[plan.parts : plan.parts + plan.rate_requests]
    with serving(site.env, folder / "serve.log"):
        reqs = _requests(secret, site.listen, rate_parts, folder / "rate.bin")
        at_rate = load(site.listen, reqs, rate=rate, warmup=plan.warmup)
    return Run(closed, at_rate, settled)


async def prepared_site(
    folder: Path, count: int, database_url: str | None = None
) -> tuple[Site, list[Part]]:
    site = new_site(folder, database_url)
    async with opened(site) as app:
        parts = await reserved_parts(app, -(-count // PER_ORDER), PER_ORDER)
    return site, parts[:count]
