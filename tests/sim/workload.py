"""What happens at each step, and how often: the action mix, varied per seed (swarm testing).

Each seed scales every weight by a random factor, so some runs are storms of deliveries,
others of cancels or crashes; across seeds the mix covers corners a fixed one would not.
"""

from __future__ import annotations

import random
from enum import StrEnum


class Action(StrEnum):
    CREATE = "create"  # a payee creates an order (keep/all, split/each/shares, named parts)
    RESERVE = "reserve"  # a payer takes a part and gets a checkout
    PAY = "pay"  # a payer pays a checkout they were given (maybe a stale one)
    DECLINE = "decline"  # the card is declined
    DELIVER = "deliver"  # the gateway delivers pending webhooks, in random order
    DUPLICATE = "duplicate"  # a webhook is applied but its acknowledgement is lost
    RECONCILE = "reconcile"  # Chipin asks the gateway about checkouts in flight
    PAYEE_REFUND = "payee_refund"  # the payee refunds at the gateway, outside Chipin
    PAYEE_VOID = "payee_void"  # the payee voids an authorisation at the gateway
    CANCEL = "cancel"  # the payee cancels an order in Chipin
    CLOCK = "clock"  # time passes: holds lapse, orders expire
    TICK = "tick"  # Chipin's periodic pass: expiries, lapsed holds, pending gateway calls
    CRASH = "crash"  # the next transaction dies half-way (the process dies); restart
    RESTART = "restart"  # Chipin restarts from the database
    SIGN = "sign"  # Chipin signs a ledger tree head
    FORGED = "forged"  # someone posts a webhook with a bad signature
    NOISE = "noise"  # an event of a type Chipin ignores
    CONCURRENT = "concurrent"  # two or three of the above interleaved
    QUIESCE = "quiesce"  # drain everything and check the books balance, mid-run


BASE_WEIGHTS: dict[Action, float] = {
    Action.CREATE: 5,
    Action.RESERVE: 14,
    Action.PAY: 12,
    Action.DECLINE: 3,
    Action.DELIVER: 18,
    Action.DUPLICATE: 4,
    Action.RECONCILE: 3,
    Action.PAYEE_REFUND: 1.5,
    Action.PAYEE_VOID: 1.5,
    Action.CANCEL: 1.5,
    Action.CLOCK: 7,
    Action.TICK: 8,
    Action.CRASH: 2,
    Action.RESTART: 1,
    Action.SIGN: 1.5,
    Action.FORGED: 0.5,
    Action.NOISE: 0.5,
    Action.CONCURRENT: 4,
    Action.QUIESCE: 0.3,
}

# The money path itself is never switched off; the rest may be, for a whole run.
CORE = frozenset({Action.CREATE, Action.RESERVE, Action.PAY, Action.DELIVER, Action.TICK})
_CORE_FACTORS = (0.5, 1.0, 1.0, 2.0)
_FACTORS = (0.0, 0.25, 1.0, 1.0, 2.0)


def swarm_weights(rng: random.Random) -> dict[Action, float]:
    return {
        a: w * rng.choice(_CORE_FACTORS if a in CORE else _FACTORS) for a, w in BASE_WEIGHTS.items()
    }


def choose(rng: random.Random, weights: dict[Action, float]) -> Action:
    actions = list(weights)
    return rng.choices(actions, weights=[weights[a] for a in actions])[0]
