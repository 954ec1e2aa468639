"""SIGKILL `chipin serve` at random moments during a stream of payments: nothing lost or doubled."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chaos.faults import FaultLoop, killer
from tests.chaos.report import report
from tests.chaos.runs import Database, check, make_setup, prepare, run_figures, stream_under
from tests.chaos.scale import SEED, Scale, pick
from tests.chaos.service import service

pytestmark = pytest.mark.slow

SCALE = pick(
    Scale(faults=5, min_orders=6, concurrency=3, gap_s=(0.3, 1.0), fault_s=(0, 0), deadline_s=90),
    Scale(
        faults=22, min_orders=50, concurrency=4, gap_s=(0.3, 2.5), fault_s=(0, 0), deadline_s=240
    ),
)


async def test_sigkill_at_random_moments_loses_nothing_and_counts_nothing_twice(
    database: Database, tmp_path: Path
) -> None:
    setup = make_setup(tmp_path, database)
    key = await prepare(setup)
    async with service(setup.env, setup.log) as svc:
        faults = FaultLoop(SCALE, SEED + 2, killer(svc))
        outcome = await stream_under(svc, setup, key, SCALE, faults)
    found = report(f"SIGKILL ({database.backend})", kills=svc.kills, **run_figures(outcome))
    check(outcome, svc.log_tail(10**8))
    assert svc.kills == SCALE.faults
    found.figures["result"] = "all invariants hold"
