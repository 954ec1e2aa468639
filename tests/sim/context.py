"""One simulation run's world and the Chipin engine inside it, rebuilt on every restart."""

from __future__ import annotations

import hashlib
import random
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from bot.app.bootstrap import build_engine
from core.domain.passwords import FAST_FOR_TESTS, PasswordHasher
from core.ports.store import Gateway, Store
from core.usecases.deps import Deps, EngineConfig
from core.usecases.engine import Engine
from tests.sim.faults import FaultPlan, FaultyStore
from tests.sim.gateway import SimGateway
from tests.sim.ledger_check import LedgerWatch
from tests.sim.stores import SimDb, Snapshot
from tests.sim.world import PAYEES, People, SimClock, SimIds, SimNotifier
from tests.support.fakes.signer import FakeSigner

TRACE = 40  # the last steps shown when a run fails


class Broken(AssertionError):
    """An invariant broke (or the engine did something it must never do): the run fails."""


@dataclass(frozen=True, slots=True)
class SimConfig:
    seed: int
    steps: int
    store: str = "memory"
    orders: int = 6  # open orders at once, at most
    audit_every: int = 100  # steps between whole-ledger audits (and one at the end)
    concurrent: bool = True  # some steps interleave engine calls (in memory only: exact replay)

    def rerun(self, steps: int | None = None) -> str:
        return (
            f"make sim SEED={self.seed} STEPS={steps or self.steps} STORE={self.store} "
            f"ORDERS={self.orders}"
        )


@dataclass
class Sim:
    config: SimConfig
    db: SimDb
    rng: random.Random
    faults: FaultPlan
    gateway: SimGateway
    clock: SimClock = field(default_factory=SimClock)
    people: People = field(default_factory=People)
    signer: FakeSigner = field(default_factory=FakeSigner)
    ledger: LedgerWatch = field(init=False)
    notifier: SimNotifier = field(init=False)
    engine: Engine = field(init=False)
    generation: int = 0
    step: int = 0
    last: Snapshot | None = None
    trace: deque[str] = field(default_factory=lambda: deque(maxlen=TRACE))
    counts: Counter[str] = field(default_factory=Counter)
    digest: Any = field(default_factory=hashlib.sha256)  # of every step's line: a replay's proof

    def note(self, line: str) -> None:
        """One step's line: into the trace (shown on failure) and the run's digest."""
        self.trace.append(line)
        self.digest.update(line.encode() + b"\n")

    def __post_init__(self) -> None:
        self.ledger = LedgerWatch(self.signer)
        self.notifier = SimNotifier(self.faults)
        self.engine = self._engine(self.db.store)

    @classmethod
    def create(cls, config: SimConfig, db: SimDb) -> Sim:
        rng = random.Random(config.seed)
        faults = FaultPlan.swarm(rng)
        return cls(config=config, db=db, rng=rng, faults=faults, gateway=SimGateway(faults))

    def _engine(self, store: Store) -> Engine:
        self.generation += 1
        gateways: dict[str, Gateway] = {self.gateway.name: self.gateway}
        deps = Deps(  # every part is the simulation's own
            store=FaultyStore(store, self.faults),
            gateways=gateways,
            notifier=self.notifier,
            clock=self.clock,
            ids=SimIds(self.rng, self.generation),
            hasher=PasswordHasher(b"sim-pepper", FAST_FOR_TESTS),
            config=EngineConfig(default_gateway=self.gateway.name),
            signer=self.signer,
        )
        return build_engine(deps)

    async def restart(self) -> None:
        """A new Chipin process over the same database: nothing in memory survives."""
        self.engine = self._engine(await self.db.reopen())
        self.counts["restart"] += 1

    async def setup(self) -> None:
        self.faults.active = False
        for name in PAYEES:
            self.people.payees.append(await self.engine.payee_named(name))
        self.faults.active = True

    @property
    def store(self) -> Store:
        return self.db.store
