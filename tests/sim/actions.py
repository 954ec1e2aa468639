"""The steps of the workload, each done to the real engine or the simulated gateway.

Each returns a short line for the run's trace. Refusals a user would see (DomainError),
gateway errors and failed transactions are outcomes, not failures; SimCrash propagates to
the runner, which restarts Chipin; anything else fails the run.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import timedelta
from typing import Any

from core.domain.errors import WebhookRejected
from core.domain.model import Mode
from core.domain.money import currency
from core.domain.params import RawOrder, build_request
from core.ports.store import GatewayEvent, GatewayEventKind
from tests.sim.context import Broken, Sim
from tests.sim.delivery import EXPECTED, attempt, deliver_one
from tests.sim.faults import SimCrash
from tests.sim.gateway import Held
from tests.sim.quiescence import quiesce
from tests.sim.workload import Action
from tests.sim.world import PAYERS, Handout, SimOrder, alias

Step = Callable[[Sim], Coroutine[Any, Any, str]]

IDLE = ""  # what a step returns when there was nothing for it to do: another is chosen


# ---- payees ----


async def create(sim: Sim) -> str:
    snap = sim.last
    open_now = sum(1 for o in snap.orders.values() if o.state == "open") if snap else 0
    if open_now >= sim.config.orders:
        return IDLE
    rng = sim.rng
    payee = rng.choice(sim.people.payees)
    n = rng.randint(1, 8)
    named = tuple(alias(p) for p in rng.sample(PAYERS, n)) if rng.random() < 0.2 else ()
    raw = _raw_order(sim, n)
    reused = rng.random() < 0.1 and bool(sim.people.keys)
    key = rng.choice(sim.people.keys) if reused else None
    if key is None and rng.random() < 0.3:
        key = (payee, f"key{len(sim.people.keys)}")
    if key is not None:
        payee = key[0]
    try:
        view = await sim.engine.create_order(
            payee, build_request(raw, 10_000_000), key[1] if key else None, named or None
        )
    except EXPECTED as exc:
        return f"create: {type(exc).__name__}"
    known = {o.id for o in sim.people.orders}
    if reused and view.order.id not in known:
        raise Broken(f"idempotency key {key} made a second order {view.order.id}")
    if key is not None and not reused:
        sim.people.keys.append(key)
    if view.order.id not in known:
        o = view.order
        sim.people.orders.append(SimOrder(o.id, o.token, o.payee_id, o.mode, o.n, named))
    return f"create: {view.order.id} {raw.mode} n={n}{' named' if named else ''}"


def _raw_order(sim: Sim, n: int) -> RawOrder:
    rng = sim.rng
    cur = currency(rng.choice(("USD", "USD", "JPY")))
    cents = f".{rng.randint(0, 99):02d}" if cur.code == "USD" and rng.random() < 0.5 else ""
    raw = RawOrder(
        currency=cur,
        title=f"sim {sim.step}",
        valid=timedelta(seconds=rng.choice((90, 300, 1800, 7200, 86400))),
        hold=timedelta(seconds=rng.choice((60, 120, 600, 900))),
        mode=rng.choice((Mode.KEEP, Mode.ALL)).value,
    )
    shape = rng.random()
    if shape < 0.25:
        return replace(raw, each=f"{rng.randint(1, 60)}{cents}", payers=n)
    total = f"{rng.randint(n, 400)}{cents}"
    if shape < 0.4 and n >= 2:
        return replace(raw, total=total, shares=":".join(str(rng.randint(1, 3)) for _ in range(n)))
    return replace(raw, total=total, payers=n)


async def cancel(sim: Sim) -> str:
    order = _order(sim)
    if order is None:
        return IDLE
    return await attempt(f"cancel {order.id}", sim.engine.cancel_order(order.id, order.payee_id))


def _order(sim: Sim) -> SimOrder | None:
    """Mostly an order that was open at the last check; now and then any recent one."""
    orders = sim.people.orders
    if sim.last is not None and sim.rng.random() < 0.85:
        orders = [
            o for o in orders if o.id in sim.last.orders and sim.last.orders[o.id].state == "open"
        ]
    return sim.rng.choice(orders[-12:]) if orders else None


# ---- payers ----


def hold_secret(order_id: str, payer: str) -> str:
    """The secret a payer chooses for their hold of an order (Chipin-Hold), the same on every
    try: a payer who asks again gets their part back, as API clients do."""
    return hashlib.sha256(f"{order_id}:{payer}".encode()).hexdigest()


async def reserve(sim: Sim) -> str:
    rng = sim.rng
    order = _order(sim)
    if order is None:
        return IDLE
    named = [p for p in PAYERS if alias(p) in order.named]
    payer = rng.choice(named) if named and rng.random() < 0.8 else rng.choice(PAYERS)
    try:
        r = await sim.engine.reserve(
            order.token,
            payer,
            "sim",
            payer_name=f"Payer {payer}",
            aliases=(alias(payer),),
            hold_secret=hold_secret(order.id, payer),
            source=payer,
        )
    except EXPECTED as exc:
        return f"reserve {order.id} by {payer}: {type(exc).__name__}"
    sub = r.sub
    if sub.checkout_ref is None or sub.payer_ref != payer:
        raise Broken(f"reservation of {sub.id} for {payer} came back as {sub}")
    sim.people.reservations[(sub.id, sub.hold_seq)] = payer
    sim.people.handouts[sub.checkout_ref] = Handout(
        sub.checkout_ref, payer, order.id, sub.id, sub.hold_seq
    )
    return f"reserve {order.id} by {payer}: {sub.id} {sub.checkout_ref} new={r.created}"


def _handout(sim: Sim) -> Handout | None:
    """Mostly a checkout that can still be paid; now and then any, however stale."""
    handouts = list(sim.people.handouts.values())
    if sim.rng.random() < 0.85:
        handouts = [h for h in handouts if sim.gateway.checkouts[h.checkout_ref].status == "open"]
    return sim.rng.choice(handouts[-10:]) if handouts else None


async def pay(sim: Sim) -> str:
    h = _handout(sim)
    if h is None:
        return IDLE
    sent = len(sim.gateway.outbox)
    paid = sim.gateway.pay(h.checkout_ref, h.payer)
    if paid is None:
        return f"pay {h.checkout_ref} by {h.payer}: checkout not open"
    line = f"pay {h.checkout_ref} by {h.payer}: {paid.ref} {paid.state}"
    if len(sim.gateway.outbox) == sent:
        line += " (its webhook is lost)"
    elif sim.rng.random() < 0.5:  # the usual case: the webhook arrives at once
        line += "; " + await deliver_one(sim, sim.gateway.outbox[-1], acknowledged=True)
    return line


async def decline(sim: Sim) -> str:
    h = _handout(sim)
    if h is None:
        return IDLE
    done = sim.gateway.decline(h.checkout_ref, closes=sim.rng.random() < 0.5)
    return f"decline {h.checkout_ref}: {'sent' if done else 'checkout not open'}"


# ---- the gateway and its webhooks ----


async def deliver(sim: Sim) -> str:
    lines = []
    for _ in range(sim.rng.randint(1, 3)):
        if not sim.gateway.outbox:
            break
        event = sim.rng.choice(sim.gateway.outbox)
        lines.append(await deliver_one(sim, event, acknowledged=True))
    return "; ".join(lines)


async def duplicate(sim: Sim) -> str:
    if not sim.gateway.outbox:
        return IDLE
    return await deliver_one(sim, sim.rng.choice(sim.gateway.outbox), acknowledged=False)


async def forged(sim: Sim) -> str:
    h = _handout(sim)
    if h is None:
        return IDLE
    event = GatewayEvent(
        sim.gateway.name,
        f"forged{sim.step}",
        GatewayEventKind.SUCCEEDED,
        h.checkout_ref,
        f"pyforged{sim.step}",
        1,
        "USD",
        h.sub_order_id,
    )
    body, headers = sim.gateway.webhook(event)
    headers = {k: "0" * len(v) for k, v in headers.items()}
    try:
        await sim.engine.handle_webhook(sim.gateway.name, body, headers)
    except WebhookRejected:
        return f"forged webhook for {h.checkout_ref}: rejected"
    raise Broken(f"a webhook with a bad signature for {h.checkout_ref} was accepted")


async def noise(sim: Sim) -> str:
    sim.gateway.noise()
    return "noise: an ignored event queued"


async def payee_refund(sim: Sim) -> str:
    taken = [p for p in sim.gateway.payments.values() if p.state == Held.CAPTURED]
    if not taken:
        return IDLE
    p = sim.rng.choice(taken)
    sim.gateway.payee_refund(p.ref)
    return f"payee refunds {p.ref} at the gateway"


async def payee_void(sim: Sim) -> str:
    held = [p for p in sim.gateway.payments.values() if p.state == Held.AUTHORISED]
    if not held:
        return IDLE
    p = sim.rng.choice(held)
    sim.gateway.payee_void(p.ref)
    return f"payee voids {p.ref} at the gateway"


# ---- Chipin's own passes, time, crashes ----


async def reconcile(sim: Sim) -> str:
    return await attempt("reconcile", sim.engine.reconcile())


async def tick(sim: Sim) -> str:
    return await attempt("tick", sim.engine.tick())


async def clock(sim: Sim) -> str:
    roll = sim.rng.random()
    if roll < 0.7:
        seconds = sim.rng.randint(1, 120)
    elif roll < 0.95:
        seconds = sim.rng.randint(300, 1800)
    else:
        seconds = sim.rng.randint(3600, 4 * 3600)
    sim.clock.advance(seconds)
    return f"clock +{seconds}s"


async def sign(sim: Sim) -> str:
    return await attempt("sign head", sim.engine.sign_head(force=sim.rng.random() < 0.2))


async def restart(sim: Sim) -> str:
    await sim.restart()
    return "restart"


_CRASHABLE = (Action.TICK, Action.DELIVER, Action.RECONCILE, Action.CANCEL, Action.RESERVE)


async def crash(sim: Sim) -> str:
    """The next transaction dies somewhere in one of Chipin's units of work."""
    victim = sim.rng.choice(_CRASHABLE)
    sim.faults.arm(crash=True)
    try:
        line = await STEPS[victim](sim)
    except SimCrash as died:
        raise SimCrash(f"in {victim}: {died}") from died
    finally:
        sim.faults.armed = None
    return f"crash armed for {victim}, not hit: {line}" if line else IDLE


_MIXABLE = (
    Action.DELIVER,
    Action.TICK,
    Action.RECONCILE,
    Action.CANCEL,
    Action.RESERVE,
    Action.PAY,
)


async def concurrent(sim: Sim) -> str:
    """Two or three steps at once; they interleave at every gateway call and transaction."""
    chosen = [sim.rng.choice(_MIXABLE) for _ in range(sim.rng.randint(2, 3))]
    if not sim.config.concurrent or sim.db.label != "memory":
        return " | ".join(filter(None, [await STEPS[a](sim) for a in chosen]))
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(STEPS[a](sim)) for a in chosen]
    except BaseExceptionGroup as group_error:
        crashed = group_error.subgroup(SimCrash)
        first = (crashed or group_error).exceptions[0]
        raise first from group_error
    return " | ".join(filter(None, (t.result() for t in tasks)))


async def mid_run_quiesce(sim: Sim) -> str:
    return await quiesce(sim)


STEPS: dict[Action, Step] = {
    Action.CREATE: create,
    Action.RESERVE: reserve,
    Action.PAY: pay,
    Action.DECLINE: decline,
    Action.DELIVER: deliver,
    Action.DUPLICATE: duplicate,
    Action.RECONCILE: reconcile,
    Action.PAYEE_REFUND: payee_refund,
    Action.PAYEE_VOID: payee_void,
    Action.CANCEL: cancel,
    Action.CLOCK: clock,
    Action.TICK: tick,
    Action.CRASH: crash,
    Action.RESTART: restart,
    Action.SIGN: sign,
    Action.FORGED: forged,
    Action.NOISE: noise,
    Action.CONCURRENT: concurrent,
    Action.QUIESCE: mid_run_quiesce,
}
