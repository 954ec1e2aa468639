"""Domain events: facts in the past tense, written to the outbox in the transaction of their
change (core.domain.outbox) and published to the notifier after commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.domain.model import OrderId, OrderState, SubOrderId


@dataclass(frozen=True, slots=True)
class DomainEvent:
    order_id: OrderId
    at: datetime


@dataclass(frozen=True, slots=True)
class OrderCreated(DomainEvent):
    pass


@dataclass(frozen=True, slots=True)
class SubOrderReserved(DomainEvent):
    sub_order_id: SubOrderId
    payer_ref: str


@dataclass(frozen=True, slots=True)
class HoldReleased(DomainEvent):
    sub_order_id: SubOrderId
    payer_ref: str
    by_payee: bool = False  # the payee let it go (the payer is told); else it lapsed or ended


@dataclass(frozen=True, slots=True)
class SubOrderPaid(DomainEvent):
    sub_order_id: SubOrderId
    payer_ref: str
    amount_minor: int
    paid_count: int
    payment_id: str = ""  # the payment that paid it: its receipt is asked for by this id
    method: str = ""  # the gateway's name, or the payee's own method (sepa, pix, upi)
    settled: str = "gateway"  # core.domain.model.Settled: gateway, payee or statement


@dataclass(frozen=True, slots=True)
class TransferEvent(DomainEvent):
    """What a payer's claimed transfer names: its part, payer, reference, method and amount."""

    sub_order_id: SubOrderId
    payer_ref: str
    reference: str
    method: str
    amount_minor: int
    payer_name: str | None = None


@dataclass(frozen=True, slots=True)
class TransferClaimed(TransferEvent):
    """A payer says they paid their part by bank transfer into the payee's own account:
    the part is held, not counted, until the payee confirms or denies it."""

    utr: str | None = None  # UPI: the 12-digit transaction reference the payer's bank gave


@dataclass(frozen=True, slots=True)
class ClaimCutShort(TransferEvent):
    """The order ended while a payer's claimed transfer waited for the payee: the part no
    longer counts. If the money arrived, the payee confirms it and returns it by hand."""


@dataclass(frozen=True, slots=True)
class TransferDenied(DomainEvent):
    """The payee says a claimed transfer has not arrived: the part is free again."""

    sub_order_id: SubOrderId
    payer_ref: str
    reference: str
    amount_minor: int


@dataclass(frozen=True, slots=True)
class SubOrderRefunded(DomainEvent):
    sub_order_id: SubOrderId | None
    payer_ref: str | None
    amount_minor: int
    reason: str


@dataclass(frozen=True, slots=True)
class LatePaymentRefunded(DomainEvent):
    """A payment arrived when it could not count; it is being refunded."""

    payment_ref: str
    amount_minor: int
    reason: str


@dataclass(frozen=True, slots=True)
class RefundOwed(DomainEvent):
    """The gateway cannot refund this payment: the payee must give the money back by hand.

    `payer_ref` and `payer_name` say who paid, when known (None for a payment whose
    payer the gateway did not name).
    """

    payment_id: str
    gateway: str
    amount_minor: int
    currency: str
    reason: str
    payer_ref: str | None = None
    payer_name: str | None = None


@dataclass(frozen=True, slots=True)
class OrderClosed(DomainEvent):
    state: OrderState
    paid_count: int
    paid_minor: int
    refunded_minor: int


@dataclass(frozen=True, slots=True)
class PayoutAccountChanged(DomainEvent):
    """A payee's payout account (core.domain.payouts) changed state. It is the payee's, not an
    order's: `order_id` is "". `orders` are the open orders whose card parts pay into it;
    `reason` says, in one line, why cards cannot pay into it now ("" when they can)."""

    payee_id: str
    gateway: str
    state: str  # core.domain.payouts.PayoutState
    reason: str
    orders: tuple[str, ...] = ()


def describe(event: DomainEvent) -> str:
    """A one-line log description without personal data."""
    return f"{type(event).__name__} order={event.order_id}"


@dataclass(frozen=True, slots=True)
class CodePaid(DomainEvent):
    """A payment to a static code counted; `raised_minor` is its binding's total since."""

    binding_id: str
    amount_minor: int
    raised_minor: int


@dataclass(frozen=True, slots=True)
class FundGoalReached(DomainEvent):
    """A fund-raiser's code reached its goal: told once per binding."""

    binding_id: str
    raised_minor: int
    goal_minor: int


@dataclass(frozen=True, slots=True)
class PasswordUnderAttack(DomainEvent):
    """An order's password reached its ceiling of wrong tries from every source (core.domain.tries
    Ceiling): told once per window, so the payee can see who guesses and clear the locks."""

    failures: int
    since: datetime


@dataclass(frozen=True, slots=True)
class ReminderDue(DomainEvent):
    """Those who have not paid are reminded in this chat (the automatic reminder, or the
    payee's button)."""

    chat_id: int
