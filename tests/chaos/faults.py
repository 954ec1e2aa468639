"""Fault injectors run beside a workload, and the wait for everything to settle afterwards."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tests.chaos.books import unsettled
from tests.chaos.scale import Scale
from tests.chaos.service import Service

SETTLE_POLL_S = 0.5


@dataclass(slots=True)
class FaultLoop:
    """Injects `scale.faults` faults at seeded random moments: each one is `inject(rng)`."""

    scale: Scale
    seed: int
    inject: Callable[[random.Random], Awaitable[None]]
    done: int = 0
    outage_s: list[float] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.done >= self.scale.faults

    async def run(self) -> None:
        rng = random.Random(self.seed)
        while not self.finished:
            await asyncio.sleep(rng.uniform(*self.scale.gap_s))
            started = time.monotonic()
            await self.inject(rng)
            self.outage_s.append(time.monotonic() - started)
            self.done += 1


def killer(svc: Service) -> Callable[[random.Random], Awaitable[None]]:
    """SIGKILL the process, then start it again at once (as a supervisor would)."""

    async def kill_and_restart(_rng: random.Random) -> None:
        await svc.kill()
        await svc.start()

    return kill_and_restart


async def settle(
    svc: Service, chipin_url: str, sandbox_url: str, timeout_s: float = 120.0
) -> dict[str, int]:
    """Run until every webhook is delivered, no payment is mid capture/refund/void, and
    no open order is past its expiry.

    Quiet means three looks in a row: a tick (every 0.5 s) may be between two steps.
    Returns what was still pending on timeout (empty when settled).
    """
    await svc.start()
    end = time.monotonic() + timeout_s
    quiet = 0
    left: dict[str, int] = {}
    while time.monotonic() < end:
        left = {k: v for k, v in (await unsettled(chipin_url, sandbox_url)).items() if v}
        quiet = 0 if left else quiet + 1
        if quiet >= 3:
            return {}
        await asyncio.sleep(SETTLE_POLL_S)
    return left
