"""The deterministic simulation on a short, fixed set of seeds (`make sim` runs long ones).

Every seed must run clean: no invariant broken after any step, and the books balanced at
quiescence. A failure names its seed and step and the command that replays it.
"""

from __future__ import annotations

import pytest

from tests.sim.context import SimConfig
from tests.sim.runner import Report, SimFailure, run
from tests.sim.stores import open_db
from tests.support.fakes.repos.orders import InMemoryOrders

MEMORY_SEEDS = range(1, 11)
SQL_SEEDS = (1, 2, 3)


async def _run(config: SimConfig, url: str | None) -> Report:
    db = open_db(config.store, url)
    try:
        return await run(config, db)
    finally:
        await db.close()


@pytest.mark.parametrize("seed", MEMORY_SEEDS)
async def test_a_seed_runs_clean_in_memory(seed: int) -> None:
    report = await _run(SimConfig(seed, 300), None)
    assert report.counts["payments"] > 0


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("seed", SQL_SEEDS)
async def test_a_seed_runs_clean_on_sqlite(seed: int, store_url: str | None) -> None:
    await _run(SimConfig(seed, 200, "sqlite"), store_url)


@pytest.mark.postgres
@pytest.mark.parametrize("store_url", ["postgres"], indirect=True)
async def test_a_seed_runs_clean_on_postgres(store_url: str | None) -> None:
    await _run(SimConfig(1, 200, "postgres"), store_url)


async def test_a_seed_replays_exactly() -> None:
    first = await _run(SimConfig(4, 300), None)
    again = await _run(SimConfig(4, 300), None)
    assert (first.digest, first.counts) == (again.digest, again.counts)


async def test_a_planted_defect_is_found_with_its_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The simulator is not blind: refunds that the order's figures forget."""

    async def forget(self: InMemoryOrders, order_id: str, amount_minor: int) -> None:
        return None

    monkeypatch.setattr(InMemoryOrders, "add_refunded_amount", forget)
    failures = []
    for seed in range(1, 11):
        try:
            await _run(SimConfig(seed, 300), None)
        except SimFailure as failure:
            failures.append(failure)
            break
    assert failures, "no seed found the planted defect"
    message = str(failures[0])
    assert "refunded_minor" in message
    assert f"make sim SEED={failures[0].config.seed} STEPS={failures[0].step}" in message
