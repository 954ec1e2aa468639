"""SIGKILL `chipin run` (listener and bot, on the Bot API emulator) at random moments during a
stream of payments: nothing lost or doubled, and every group's progress message catches up."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from tests.chaos.api import ChipinApi
from tests.chaos.faults import FaultLoop, killer
from tests.chaos.groups import make_groups, pay_group_order, post_order, wait_caught_up
from tests.chaos.report import report
from tests.chaos.runs import Database, check, make_setup, prepare, run_figures, stream_under
from tests.chaos.scale import LONG, SEED, Scale, pick
from tests.chaos.service import service
from tests.telegram_emulator import Emulator, serve

pytestmark = pytest.mark.slow

SCALE = pick(
    Scale(faults=5, min_orders=6, concurrency=3, gap_s=(0.3, 1.0), fault_s=(0, 0), deadline_s=120),
    Scale(
        faults=22, min_orders=50, concurrency=4, gap_s=(0.3, 2.5), fault_s=(0, 0), deadline_s=300
    ),
)
GROUPS = 4 if LONG else 2  # orders posted by the bot in groups, paid while the kills go on
PARTS = 3
PAY_SPREAD_S = 20.0 if LONG else 3.0


async def test_sigkill_at_random_moments_loses_nothing_and_counts_nothing_twice(
    database: Database, tmp_path: Path
) -> None:
    emu = Emulator()
    async with serve(emu) as served:
        setup = make_setup(
            tmp_path, database, TELEGRAM_BOT_TOKEN=emu.token, TELEGRAM_BASE_URL=served.bot_base_url
        )
        key = await prepare(setup)
        async with service(setup.env, setup.log, "run") as svc:
            groups = await make_groups(emu, GROUPS)
            posted = [
                (await post_order(emu, setup, g, f"/split 60 {PARTS} Dinner {i}"))[0]
                for i, g in enumerate(groups)
            ]
            rng = random.Random(SEED + 5)
            # Every group order is paid in full but the last, which stays open one short.
            shares = [PARTS] * (GROUPS - 1) + [PARTS - 1]

            async def groups_pay(api: ChipinApi) -> object:
                paying = [
                    pay_group_order(api, p, k, rng, PAY_SPREAD_S)
                    for p, k in zip(posted, shares, strict=True)
                ]
                return await asyncio.gather(*paying)

            faults = FaultLoop(SCALE, SEED + 2, killer(svc))
            outcome = await stream_under(
                svc, setup, key, SCALE, faults, groups_pay, lambda: wait_caught_up(emu, setup)
            )
    found = report(
        f"SIGKILL of chipin run ({database.backend})",
        kills=svc.kills,
        groups=GROUPS,
        **run_figures(outcome),
    )
    check(outcome, svc.log_tail(10**8))
    assert svc.kills == SCALE.faults
    assert outcome.behind == [], f"progress messages not caught up: {outcome.behind}"
    found.figures["result"] = "all invariants hold; every progress message caught up"
