"""The simulated world around Chipin: time, ids, the notifier, and who took part in what.

Every value comes from the run's one random.Random, so a seed replays the same run.
"""

from __future__ import annotations

import base64
import hashlib
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from core.domain.events import DomainEvent, OrderClosed, SubOrderPaid
from core.domain.model import Mode, OrderId, PayeeId
from tests.sim.faults import FaultPlan

EPOCH = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PAYERS = tuple(f"tg:{1000 + i}" for i in range(12))
PAYEES = ("tg:1", "tg:2", "tg:3")


def alias(payer: str) -> str:
    """The payer's '@username', which named parts are assigned to."""
    return f"@payer{payer.removeprefix('tg:')}"


class SimClock:
    def __init__(self) -> None:
        self.at = EPOCH

    def now(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


class SimIds:
    """Ids from the run's Random; each engine generation has its own prefix, so none repeat."""

    def __init__(self, rng: random.Random, generation: int) -> None:
        self._rng = rng
        self._gen = generation
        self._n = 0
        self._secrets = 0

    def new_id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}_g{self._gen}n{self._n}"

    def new_token(self) -> str:
        raw = self._rng.getrandbits(128).to_bytes(16, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    def new_secret(self) -> str:
        # not from the run's Random: seeds found before hold secrets still replay the same way
        self._secrets += 1
        return hashlib.sha256(f"secret_g{self._gen}n{self._secrets}".encode()).hexdigest()


class SimNotifier:
    """Takes the engine's events; fails now and then (the engine must not care)."""

    def __init__(self, faults: FaultPlan) -> None:
        self._faults = faults
        self.problems: list[str] = []
        self.published = 0

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        for e in events:
            if isinstance(e, SubOrderPaid) and e.paid_count < 1:
                self.problems.append(f"order {e.order_id}: SubOrderPaid with paid_count 0")
            if isinstance(e, OrderClosed) and e.paid_minor < e.refunded_minor:
                self.problems.append(f"order {e.order_id}: closed with more refunded than paid")
        self.published += len(events)
        if self._faults.notifier_fails():
            raise RuntimeError("simulated notifier outage")


@dataclass(frozen=True, slots=True)
class SimOrder:
    id: OrderId
    token: str
    payee_id: PayeeId
    mode: Mode
    n: int
    named: tuple[str, ...]  # the aliases parts are assigned to; empty if anyone may pay


@dataclass(frozen=True, slots=True)
class Handout:
    """A checkout a payer was given by a reservation: what they can pay."""

    checkout_ref: str
    payer: str
    order_id: OrderId
    sub_order_id: str
    hold_seq: int


@dataclass(slots=True)
class People:
    """What the payees and payers did, as they remember it (not what Chipin stored)."""

    payees: list[PayeeId] = field(default_factory=list)
    orders: list[SimOrder] = field(default_factory=list)
    keys: list[tuple[PayeeId, str]] = field(default_factory=list)  # idempotency keys used
    handouts: dict[str, Handout] = field(default_factory=dict)  # by checkout ref
    reservations: dict[tuple[str, int], str] = field(default_factory=dict)  # (sub, seq) -> payer

    def recent_orders(self, rng: random.Random, span: int = 12) -> SimOrder | None:
        if not self.orders:
            return None
        return rng.choice(self.orders[-span:])
