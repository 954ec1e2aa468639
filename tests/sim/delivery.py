"""Running one engine call or webhook the way the outside world does, and judging the answer."""

from __future__ import annotations

from collections.abc import Awaitable

from core.domain.errors import DomainError, GatewayError, WebhookRejected
from core.ports.store import GatewayEvent
from tests.sim.context import Broken, Sim
from tests.sim.faults import SimDbError

# What a user or the gateway may be told: a refusal, a gateway error, a failed transaction.
EXPECTED = (DomainError, GatewayError, SimDbError)


async def attempt(what: str, job: Awaitable[object]) -> str:
    try:
        await job
    except EXPECTED as exc:
        return f"{what}: {type(exc).__name__}"
    return f"{what}: ok"


async def deliver_one(sim: Sim, event: GatewayEvent, *, acknowledged: bool) -> str:
    """POST one webhook; a 2xx answer (no exception) lets the gateway forget it, if acknowledged."""
    body, headers = sim.gateway.webhook(event)
    what = f"webhook {event.event_id} {event.kind} {event.payment_ref}"
    try:
        outcomes = await sim.engine.handle_webhook(sim.gateway.name, body, headers)
    except WebhookRejected as exc:
        raise Broken(f"{what}: a genuine webhook was rejected: {exc.reason}") from exc
    except EXPECTED as exc:
        return f"{what}: {type(exc).__name__} (not acknowledged)"
    if acknowledged:
        sim.gateway.acknowledge(event)

    return f"{what}: {', '.join(outcomes)}{'' if acknowledged else ' (ack lost)'}"
