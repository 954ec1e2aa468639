"""A payment to a static code counted: its binding's total, and a fund's goal reached once."""

from __future__ import annotations

from datetime import datetime

from core.domain.codes import CodeKind
from core.domain.events import CodePaid, DomainEvent, FundGoalReached
from core.domain.model import Order
from core.ports.store import Tx


async def code_counted(
    tx: Tx, order: Order, amount_minor: int, now: datetime, events: list[DomainEvent]
) -> None:
    """In the settling transaction: tell the code's progress, and mark a fund's goal reached.

    The binding's row is locked before the sum, so two payments settling at once cannot
    both miss the goal; the mark is a conditional update, so the goal is announced once.
    """
    if order.n != 1:  # a code's payments are one-part orders: spare the others a lookup
        return
    binding = await tx.codes.binding_of_order(order.id)
    if binding is None:
        return
    code = await tx.codes.lock_binding(binding)
    raised, _count = await tx.codes.binding_raised(binding)
    events.append(CodePaid(order.id, now, binding, amount_minor, raised))
    spec = code.spec if code is not None else None
    if spec is None or spec.kind != CodeKind.FUND or spec.goal_minor is None:
        return
    if raised >= spec.goal_minor and await tx.codes.set_goal_reached(binding, now):
        events.append(FundGoalReached(order.id, now, binding, raised, spec.goal_minor))
