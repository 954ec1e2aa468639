"""Where a settlement's time goes: benchmark 1's closed loop with py-spy on `chipin serve`.

    python -m bench.profile_settle [--webhooks 1000] [--out settle.txt]

Prints the server's CPU time per webhook (from /proc) and, from py-spy's samples of every
thread, the share of samples in each layer: HTTP and FastAPI, the engine's own code,
SQLAlchemy, the SQLite commit thread, aiosqlite's threads (the sandbox's database, health
checks), and the event loop itself. `--raw` keeps py-spy's collapsed stacks (for
flamegraph.pl or speedscope).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.loadgen import write_requests
from bench.rig import load, signed_webhook
from bench.settle import CONCURRENCY, prepared_site
from tests.support.procs import serving

# The main thread's samples by layer: the first match from the leaf up names it.
LAYERS = (
    ("event loop idle (waiting in select)", ("selectors.py",)),
    # uvloop runs its loop in C: py-spy sees the frame that started it, whether the loop is
    # waiting for sockets or doing its own work (socket reads and writes, HTTP parsing).
    ("event loop in C (uvloop: waiting, socket I/O, httptools)", ("(asyncio/runners.py",)),
    ("logging", ("logging/",)),
    ("cryptography (sealing, signatures)", ("cryptography/",)),
    ("aiosqlite, calling side (queue, futures)", ("aiosqlite/",)),
    ("SQLAlchemy (building, compiling, results, greenlets)", ("sqlalchemy/",)),
    ("Chipin's own code", ("(core/", "(storage/", "(gateways/", "(web/", "(bot/", "(trust/")),
    (
        "HTTP: uvicorn, Starlette, FastAPI, pydantic",
        ("uvicorn/", "starlette/", "fastapi/", "pydantic"),
    ),
)
SQLITE_THREAD = "_connection_worker_thread"
COMMIT_THREAD = "sqlite-commit"  # storage/sqlite_loop.py: group commits


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def layer_of(stack: list[str]) -> str:
    thread, frames = stack[0], stack[1:]
    if SQLITE_THREAD in thread:
        # Its loop blocks in the queue's get() between statements: that leaf is idle.
        idle = bool(frames) and SQLITE_THREAD in frames[-1]
        return "SQLite thread waiting" if idle else "SQLite thread executing (sqlite3, fsync)"
    if COMMIT_THREAD in thread:
        # Between commits it waits for work in concurrent.futures' queue.
        idle = bool(frames) and "concurrent/futures/thread.py" in frames[-1]
        return "SQLite commit thread waiting" if idle else "SQLite commit thread (COMMIT, fsync)"
    if "MainThread" not in thread:
        return "other threads (thread pools, mostly idle)"
    for frame in reversed(frames):
        for name, marks in LAYERS:
            if any(m in frame for m in marks):
                return f"main thread: {name}"
    return "main thread: asyncio and the interpreter"


def summarize(raw: Path) -> list[tuple[str, float]]:
    """Share of samples per layer, in percent of the main thread's samples."""
    counts: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if stack:
            counts[layer_of(stack.split(";"))] += int(n)
    main = sum(n for name, n in counts.items() if name.startswith("main thread")) or 1
    return [(name, 100 * n / main) for name, n in counts.most_common()]


def profile(webhooks: int, folder: Path, keep_raw: Path | None) -> str:
    # The project's own (a dev dependency, beside this interpreter), else one on PATH.
    beside = Path(sys.executable).parent / "py-spy"
    spy = str(beside) if beside.exists() else shutil.which("py-spy")
    if spy is None:
        raise SystemExit("py-spy is not installed: pip install py-spy")
    site, parts = asyncio.run(prepared_site(folder / "chipin", webhooks))
    reqs = folder / "closed.bin"
    raw = folder / "settle.raw"
    with serving(site.env, folder / "serve.log") as proc:
        write_requests(
            reqs,
            (signed_webhook(site.webhook_secret, site.listen, p, i) for i, p in enumerate(parts)),
        )
        cmd = [spy, "record", "--pid", str(proc.pid), "-f", "raw", "-o", str(raw), "-r", "100"]
        recorder = subprocess.Popen([*cmd, "--threads", "--idle"], stdout=subprocess.DEVNULL)
        time.sleep(1.0)  # py-spy attaches
        before, started = cpu_s(proc.pid), time.perf_counter()
        result = load(site.listen, reqs, concurrency=CONCURRENCY, warmup=0)
        used, wall = cpu_s(proc.pid) - before, time.perf_counter() - started
        recorder.send_signal(signal.SIGINT)  # py-spy writes its samples on Ctrl-C
        recorder.wait(timeout=60)
    if keep_raw is not None:
        shutil.copy2(raw, keep_raw)
    lines = [
        f"{webhooks} webhooks, {CONCURRENCY} connections: {result['rps']} req/s "
        f"(under py-spy), p99 {result['p99_ms']} ms",
        f"server CPU per webhook: {1000 * used / webhooks:.2f} ms "
        f"({used / wall:.2f} cores busy on average)",
        "py-spy samples, in % of the main thread's (100 samples a second per thread):",
    ]
    lines += [f"  {share:5.1f} %  {name}" for name, share in summarize(raw)]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--webhooks", type=int, default=1000)
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--raw", type=Path, default=None)
    a = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="chipin-profile-") as tmp:
        text = profile(a.webhooks, Path(tmp), a.raw)
    print(text)
    if a.out is not None:
        a.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
