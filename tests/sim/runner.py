"""The run: one seed, so many steps, the invariants after each, and the books at the end."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from tests.sim.actions import STEPS
from tests.sim.context import Broken, Sim, SimConfig
from tests.sim.faults import SimCrash
from tests.sim.invariants import capture_probe, step_problems
from tests.sim.ledger_check import full_audit
from tests.sim.quiescence import quiesce
from tests.sim.stores import SimDb
from tests.sim.workload import Action, choose, swarm_weights

log = logging.getLogger(__name__)

IDLE_TRIES = 5


class SimFailure(AssertionError):
    """A seed broke an invariant; the message says where and how to replay it."""

    def __init__(self, config: SimConfig, step: int, problems: list[str], trace: list[str]):
        self.config = config
        self.step = step
        self.problems = problems
        lines = [
            f"seed {config.seed} failed at step {step} of {config.steps} on {config.store}:",
            *(f"  {p}" for p in problems[:30]),
            "last steps:",
            *(f"  {t}" for t in trace),
            f"replay: {config.rerun(min(step, config.steps))}",
        ]
        super().__init__("\n".join(lines))


@dataclass(frozen=True, slots=True)
class Report:
    config: SimConfig
    seconds: float
    faults: str
    digest: str  # of the run's trace: the same seed gives the same digest
    counts: dict[str, int] = field(default_factory=dict)

    def line(self) -> str:
        c = self.counts
        return (
            f"seed {self.config.seed}: {self.config.steps} steps clean on {self.config.store} "
            f"in {self.seconds:.1f} s (orders {c.get('orders', 0)}, gateway payments "
            f"{c.get('payments', 0)}, crashes {c.get('crash', 0)}, restarts "
            f"{c.get('restart', 0)}, ledger {c.get('ledger', 0)} entries) "
            f"trace {self.digest}"
        )


async def run(config: SimConfig, db: SimDb) -> Report:
    started = time.monotonic()
    sim = Sim.create(config, db)
    sim.gateway.on_capture = capture_probe(db, sim.gateway)
    weights = swarm_weights(sim.rng)
    await sim.setup()
    for step in range(1, config.steps + 1):
        sim.step = step
        await _step(sim, weights)
    await _final(sim)
    counts = dict(sim.counts)
    counts.update(
        orders=len(sim.last.orders) if sim.last else 0,
        payments=len(sim.gateway.payments),
        ledger=sim.ledger.tree.size,
    )
    digest = sim.digest.hexdigest()[:16]
    return Report(config, time.monotonic() - started, sim.faults.describe(), digest, counts)


async def _step(sim: Sim, weights: dict[Action, float]) -> None:
    """One step: an action that finds something to do (a few tries), then every check."""
    action = choose(sim.rng, weights)
    try:
        line = await STEPS[action](sim)
        for _ in range(IDLE_TRIES):
            if line:
                break
            action = choose(sim.rng, weights)
            line = await STEPS[action](sim)
    except SimCrash as died:
        sim.counts["crash"] += 1
        line = f"{action}: CRASH ({died}); restarted"
        await sim.restart()
    except Broken as exc:
        sim.trace.append(f"{sim.step} {action}: broke")
        raise SimFailure(sim.config, sim.step, [str(exc)], list(sim.trace)) from exc
    except Exception as exc:
        sim.trace.append(f"{sim.step} {action}: raised")
        problem = f"unexpected {type(exc).__name__}: {exc}"
        raise SimFailure(sim.config, sim.step, [problem], list(sim.trace)) from exc
    sim.counts[action.value] += 1
    line = line or "idle"
    sim.note(f"{sim.step} {line}")
    log.info("%d %s", sim.step, line)
    problems = await check(sim)
    if problems:
        raise SimFailure(sim.config, sim.step, problems, list(sim.trace))


async def check(sim: Sim) -> list[str]:
    """Every invariant over the stored state, the new ledger entries and the gateway's books."""
    sim.faults.active = False
    try:
        problems = await sim.ledger.follow(sim.db)
        snap = sim.last = await sim.db.snapshot()
        problems += step_problems(snap, sim.gateway, sim.ledger, sim.people)
        problems += sim.notifier.problems
        if sim.step % sim.config.audit_every == 0:
            problems += await full_audit(sim.db, sim.signer)
        problems += await _engine_agrees(sim)
    finally:
        sim.faults.active = True
    return problems


async def _engine_agrees(sim: Sim) -> list[str]:
    """What the engine reports for an order is what the store holds."""
    if sim.last is None or not sim.last.orders:
        return []
    order = sim.last.orders[sim.rng.choice(sorted(sim.last.orders))]
    view = await sim.engine.order_view(order.id)
    if view is None:
        return [f"order {order.id}: the engine does not know it"]
    seen = view.order
    if (seen.state, seen.paid_count, seen.paid_minor, seen.refunded_minor) != (
        order.state,
        order.paid_count,
        order.paid_minor,
        order.refunded_minor,
    ):
        return [f"order {order.id}: the engine reports {seen}, the store holds {order}"]
    return []


async def _final(sim: Sim) -> None:
    sim.step = sim.config.steps + 1
    try:
        line = await quiesce(sim, expire_all=True)
    except Broken as exc:
        raise SimFailure(sim.config, sim.step, [str(exc)], list(sim.trace)) from exc
    sim.note(f"end {line}")
