"""What every use case shares: the ports (Deps), the engine settings, the views it returns, and
the base of every group of use cases."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from core.domain.errors import NotFound
from core.domain.events import DomainEvent, describe
from core.domain.methods import Instructions
from core.domain.model import Order, Payment, SubOrder
from core.domain.passwords import PasswordHasher
from core.ports.store import (
    Clock,
    Gateway,
    HeadSigner,
    IdSource,
    Notifier,
    PasskeyCeremony,
    PayoutGateway,
    StatementReader,
    Store,
)
from core.usecases.check_slots import CheckSlots

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EngineConfig:
    max_amount_minor: int = 10_000_000  # 100,000.00 in a 2-decimal currency
    default_gateway: str = "sandbox"
    batch: int = 200  # rows per background pass
    # False (CHIPIN_LOOPBACK_LIMITS=off): clients on this host (127.0.0.0/8, ::1) may hold
    # and take parts without the per-source limits of core.domain.holds, for load tests
    loopback_limits: bool = True
    # the platform's fee on each card part paid into a payee's own account, in basis points
    # (core.domain.payouts; CHIPIN_STRIPE_FEE_PERCENT)
    payout_fee_bps: int = 0
    # keys the fingerprint of an order request kept with its idempotency key (a sub-key of
    # CHIPIN_SECRET_KEY): the stored value confirms no guess of what was asked
    request_key: bytes = b""


@dataclass(frozen=True, slots=True)
class Deps:
    store: Store
    gateways: Mapping[str, Gateway]
    notifier: Notifier
    clock: Clock
    ids: IdSource
    hasher: PasswordHasher
    config: EngineConfig
    signer: HeadSigner | None = None  # signs ledger tree heads; None: heads are not signed
    # WebAuthn for CHIPIN_PUBLIC_URL; None where passkeys cannot work (not https or localhost)
    passkeys: PasskeyCeremony | None = None
    checks: CheckSlots = field(default_factory=CheckSlots)  # password checks run here
    # reads payees' bank statements (gateways.statements); None: statements cannot be imported
    statements: StatementReader | None = None
    # payees' own accounts at a gateway (Stripe Connect); None: card money goes to the operator
    payouts: PayoutGateway | None = None

    def gateway(self, name: str | None) -> Gateway:
        chosen = name or self.config.default_gateway
        found = self.gateways.get(chosen)
        if found is None:
            raise NotFound(f"payment method {chosen!r} is not enabled", gateway=chosen)
        return found

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        """Tell the notifier; a failing notifier never undoes a committed money change."""
        if not events:
            return
        for event in events:
            log.info("event %s", describe(event))
        try:
            await self.notifier.publish(events)
        except Exception:
            log.exception("notifier failed for %d events", len(events))


@dataclass(frozen=True, slots=True)
class OrderView:
    order: Order
    subs: tuple[SubOrder, ...]
    # parts whose payment is authorised and not captured yet (mode all), as the payee's and
    # the payer's reads count them (core.usecases.orders.read_view); None: not counted
    authorised: int | None = None

    @property
    def held_count(self) -> int:
        return sum(1 for s in self.subs if s.state == "reserved")


@dataclass(frozen=True, slots=True)
class CancelResult:
    view: OrderView
    refunded: tuple[Payment, ...]


@dataclass(frozen=True, slots=True)
class Reservation:
    order: Order
    sub: SubOrder
    created: bool
    # the hold's secret, only in the reservation that created the hold (core.domain.holds)
    hold_secret: str | None = field(default=None, repr=False)
    # a part paid by bank transfer into the payee's own method: how to pay it
    transfer: Instructions | None = None


class Outcome(StrEnum):
    """What applying one gateway event did."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    REFUNDING = "refunding"  # the money could not count and goes back
    IGNORED = "ignored"


class UseCases:
    """A group of use cases (core.usecases.engine composes them): built on the ports."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps
