"""What the simulator breaks: gateway calls, and transactions that fail or die half-way."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

from core.ports.store import Store, Tx


class SimCrash(BaseException):
    """The process died here: nothing after this point runs; the engine restarts from the database.

    A BaseException, like the signal that kills a process: no `except Exception` in the
    engine may catch it and carry on.
    """


class SimDbError(Exception):
    """The database failed one transaction (a lost connection); the process lives on."""


class GwFault(StrEnum):
    NONE = "none"
    RETRYABLE = "retryable"  # refused before doing anything: try again later
    FINAL = "final"  # refused before doing anything, for good (this time)
    TIMEOUT_AFTER = "timeout_after"  # did the work; the answer was lost
    CRASH_AFTER = "crash_after"  # did the work; Chipin died waiting for the answer


class TxPoint(StrEnum):
    STATEMENT = "statement"  # at the k-th call on the transaction
    BEFORE_COMMIT = "before_commit"
    AFTER_COMMIT = "after_commit"  # committed, but the caller never hears so


@dataclass(frozen=True, slots=True)
class TxFault:
    point: TxPoint
    statement: int  # for STATEMENT: which call (0-based) fails
    crash: bool  # SimCrash (the process dies) or SimDbError (the transaction fails)

    def error(self) -> BaseException:
        where = f"{self.point} {self.statement}" if self.point == TxPoint.STATEMENT else self.point
        return SimCrash(f"crash at {where}") if self.crash else SimDbError(f"db error at {where}")


_RATES = (0.0, 0.0, 0.02, 0.05, 0.15)  # per gateway call, or notification
_TX_RATES = (0.0, 0.0, 0.002, 0.005, 0.01, 0.02)  # per transaction


@dataclass(slots=True)
class FaultPlan:
    """How often each fault happens in this run (chosen from the seed: swarm testing)."""

    rng: random.Random
    gateway_fail: float = 0.0
    gateway_timeout: float = 0.0
    gateway_crash: float = 0.0
    tx_error: float = 0.0
    tx_crash: float = 0.0
    notifier_fail: float = 0.0
    webhook_loss: float = 0.0
    active: bool = True
    armed: TxFault | None = None  # the next transaction gets this fault

    @classmethod
    def swarm(cls, rng: random.Random) -> FaultPlan:
        return cls(
            rng=rng,
            gateway_fail=rng.choice(_RATES),
            gateway_timeout=rng.choice(_RATES),
            gateway_crash=rng.choice(_RATES) / 5,
            tx_error=rng.choice(_TX_RATES),
            tx_crash=rng.choice(_TX_RATES),
            notifier_fail=rng.choice(_RATES),
            webhook_loss=rng.choice(_RATES) / 3,
        )

    def describe(self) -> str:
        return (
            f"gateway fail {self.gateway_fail:.3f} timeout {self.gateway_timeout:.3f} "
            f"crash {self.gateway_crash:.3f}; tx error {self.tx_error:.3f} "
            f"crash {self.tx_crash:.3f}; notifier {self.notifier_fail:.3f}; "
            f"webhooks lost {self.webhook_loss:.3f}"
        )

    def gateway_call(self) -> GwFault:
        if not self.active:
            return GwFault.NONE
        roll = self.rng.random()
        for fault, rate in (
            (GwFault.RETRYABLE, self.gateway_fail * 0.8),
            (GwFault.FINAL, self.gateway_fail * 0.2),
            (GwFault.TIMEOUT_AFTER, self.gateway_timeout),
            (GwFault.CRASH_AFTER, self.gateway_crash),
        ):
            if roll < rate:
                return fault
            roll -= rate
        return GwFault.NONE

    def arm(self, crash: bool) -> None:
        """The next transaction fails somewhere (a crash action)."""
        self.armed = self._fault(crash)

    def tx_fault(self) -> TxFault | None:
        if not self.active:
            return None
        if self.armed is not None:
            fault, self.armed = self.armed, None
            return fault
        roll = self.rng.random()
        if roll < self.tx_crash:
            return self._fault(crash=True)
        if roll < self.tx_crash + self.tx_error:
            return self._fault(crash=False)
        return None

    def _fault(self, crash: bool) -> TxFault:
        point = self.rng.choice(
            (TxPoint.STATEMENT, TxPoint.STATEMENT, TxPoint.BEFORE_COMMIT, TxPoint.AFTER_COMMIT)
        )
        return TxFault(point, self.rng.randrange(6), crash)

    def webhook_lost(self) -> bool:
        return self.active and self.rng.random() < self.webhook_loss

    def notifier_fails(self) -> bool:
        return self.active and self.rng.random() < self.notifier_fail


class FaultyStore:
    """A Store whose transactions fail where the plan says; the inner store rolls them back."""

    def __init__(self, inner: Store, plan: FaultPlan) -> None:
        self.inner = inner
        self._plan = plan

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        await asyncio.sleep(0)  # taking a connection: concurrent steps interleave here
        fault = self._plan.tx_fault()
        async with self.inner.transaction() as tx:
            if fault is None:
                yield tx
                return
            yield cast(Tx, _FaultyTx(tx, fault))
            if fault.point == TxPoint.BEFORE_COMMIT:
                raise fault.error()
        if fault.point == TxPoint.AFTER_COMMIT:
            raise fault.error()


class _FaultyTx:
    """Passes every call through to the real transaction's repositories, failing the k-th one."""

    def __init__(self, inner: Tx, fault: TxFault) -> None:
        self._inner = inner
        self._fault = fault
        self._calls = 0

    def _count(self) -> None:
        if self._fault.point == TxPoint.STATEMENT and self._calls == self._fault.statement:
            raise self._fault.error()
        self._calls += 1

    def __getattr__(self, name: str) -> Any:
        return _FaultyRepo(getattr(self._inner, name), self)


class _FaultyRepo:
    """One repository of a _FaultyTx: its calls count towards the transaction's k-th."""

    def __init__(self, repo: Any, tx: _FaultyTx) -> None:
        self._repo = repo
        self._tx = tx

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._repo, name)
        if name == "append_ledger":

            def append(*args: Any, **kwargs: Any) -> Any:
                self._tx._count()
                return attr(*args, **kwargs)

            return append

        async def call(*args: Any, **kwargs: Any) -> Any:
            self._tx._count()
            return await attr(*args, **kwargs)

        return call
