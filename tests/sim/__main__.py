"""`python -m tests.sim --seed N --steps M [--store memory|sqlite|postgres] [--orders K]`.

Runs one seed, or `--seeds S` consecutive seeds (within `--budget` seconds), and prints one
line per clean seed; on a failure, the broken invariants, the last steps and the command
that replays it. `--seed random` picks a seed and prints it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import tempfile
import time
from pathlib import Path

from tests.sim.context import SimConfig
from tests.sim.runner import Report, SimFailure, run
from tests.sim.stores import STORES, Databases, open_db
from tests.support.backends import find_pg_server


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.sim", description=__doc__)
    parser.add_argument("--seed", default="random", help="an integer, or 'random'")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--store", choices=STORES, default="memory")
    parser.add_argument("--orders", type=int, default=6, help="open orders at once, at most")
    parser.add_argument("--seeds", type=int, default=1, help="run this many seeds from --seed")
    parser.add_argument("--budget", type=float, default=0, help="stop starting seeds after S s")
    parser.add_argument(
        "--if-available", action="store_true", help="skip, do not fail, if PostgreSQL is down"
    )
    parser.add_argument("--trace", action="store_true", help="show every step as it runs")
    parser.add_argument("-v", "--verbose", action="store_true", help="show the engine's log")
    return parser.parse_args(argv)


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def _run(config: SimConfig, url: str | None) -> Report:
    db = open_db(config.store, url)
    try:
        return await run(config, db)
    finally:
        await db.close()


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.CRITICAL)
    if args.trace:
        logging.getLogger("tests.sim").setLevel(logging.INFO)
    first = random.SystemRandom().randrange(2**32) if args.seed == "random" else int(args.seed)
    if args.store == "postgres" and args.if_available:
        server, reason = find_pg_server()
        if server is None:
            _say(f"skipped on postgres: {reason}")
            return 0
    started, clean = time.monotonic(), 0
    with tempfile.TemporaryDirectory(prefix="chipin-sim-") as folder:
        dbs = Databases(args.store, Path(folder))
        try:
            for seed in range(first, first + args.seeds):
                if args.budget and time.monotonic() - started > args.budget:
                    break
                config = SimConfig(seed, args.steps, args.store, args.orders)
                try:
                    report = asyncio.run(_run(config, dbs.fresh_url()))
                except SimFailure as failure:
                    _say(str(failure))
                    return 1
                _say(report.line())
                clean += 1
        finally:
            dbs.close()
    took = time.monotonic() - started
    _say(f"{clean} seeds x {args.steps} steps clean on {args.store} in {took:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
