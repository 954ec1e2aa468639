"""How big each scenario runs: short in `make test`, long under CHAOS_LONG=1 (`make chaos`)."""

from __future__ import annotations

import os
from dataclasses import dataclass

LONG = os.environ.get("CHAOS_LONG", "") == "1"
# The workload and the fault moments come from this seed; the processes' timing does not.
SEED = int(os.environ.get("CHAOS_SEED", "20240611"))


@dataclass(frozen=True, slots=True)
class Scale:
    """One scenario's size: faults to inject, orders to drive, and the time it may take."""

    faults: int  # kills, database cuts or Telegram error rounds
    min_orders: int  # keep creating orders until both this many and all faults are done
    concurrency: int  # orders in flight at once
    gap_s: tuple[float, float]  # healthy time between two faults (uniform)
    fault_s: tuple[float, float]  # how long one outage lasts (uniform; kills: unused)
    deadline_s: float  # the whole scenario, settling included, or it fails


def pick(short: Scale, long: Scale) -> Scale:
    return long if LONG else short
