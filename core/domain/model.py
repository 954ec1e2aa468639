"""The records of the domain: orders, sub-orders, payments and their states (immutable values)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NewType

from core.domain.money import Currency, Money

OrderId = NewType("OrderId", str)
SubOrderId = NewType("SubOrderId", str)
PaymentId = NewType("PaymentId", str)
PayeeId = NewType("PayeeId", str)


class OrderState(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class SubOrderState(StrEnum):
    AVAILABLE = "available"
    RESERVED = "reserved"
    # a payer says they paid by bank transfer (core.domain.methods): held, not counted, until
    # the payee confirms or denies it, or the order ends
    CLAIMED = "claimed"
    PAID = "paid"
    REFUNDED = "refunded"
    CLOSED = "closed"  # never paid, and the order has ended


class Mode(StrEnum):
    KEEP = "keep"  # the payee keeps partial collections
    ALL = "all"  # authorise first; capture only when all N are in, else void


class SplitKind(StrEnum):
    EQUAL = "equal"
    SHARES = "shares"
    EACH = "each"


class PaymentStatus(StrEnum):
    """What became of one payment the gateway reported.

    `*_pending` states are work for the engine: the gateway call they name has an
    idempotency key derived from the payment id and is retried until it succeeds.
    `refund_owed` is a refund the gateway cannot make (Telegram Payments in a provider's
    currency): nothing retries it; the payee returns the money and says so.
    """

    AUTHORISED = "authorised"
    CAPTURE_PENDING = "capture_pending"
    CAPTURED = "captured"
    REFUND_PENDING = "refund_pending"
    REFUND_OWED = "refund_owed"
    REFUNDED = "refunded"
    VOID_PENDING = "void_pending"
    VOIDED = "voided"


class MethodKind(StrEnum):
    """A payee's own receiving method: a bank transfer the payer makes from their banking app
    into the payee's account, by a standard payment QR (core.domain.payqr). Each takes one
    currency (core.domain.methods.KIND_CURRENCY)."""

    SEPA = "sepa"  # SEPA credit transfer, EPC069-12 QR (EUR)
    PIX = "pix"  # PIX BR Code (BRL)
    UPI = "upi"  # UPI payment link (INR)


DIRECT_KINDS = frozenset(k.value for k in MethodKind)


class Settled(StrEnum):
    """How a payment came to count: the gateway reported it, the payee said it arrived in
    their own account, or a line of the payee's bank statement matched its reference."""

    GATEWAY = "gateway"
    PAYEE = "payee"
    STATEMENT = "statement"


PENDING_PAYMENT_STATUSES = (
    PaymentStatus.CAPTURE_PENDING,
    PaymentStatus.REFUND_PENDING,
    PaymentStatus.VOID_PENDING,
)


@dataclass(frozen=True, slots=True)
class Payee:
    id: PayeeId
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Order:
    id: OrderId
    token: str
    payee_id: PayeeId
    title: str
    currency: Currency
    total_minor: int
    n: int
    kind: SplitKind
    mode: Mode
    state: OrderState
    password_hash: str | None
    hold_s: int
    created_at: datetime
    expires_at: datetime
    closed_at: datetime | None = None
    paid_count: int = 0
    paid_minor: int = 0
    refunded_minor: int = 0
    idempotency_key: str | None = None
    # parts one source may hold at once (core.domain.holds); None: the default, HOLDS_PER_SOURCE
    holds_per_source: int | None = None
    # the payee's payout account its card parts pay into (core.domain.payouts); None: the
    # operator's account, as for a payee who had none when the order was made
    card_account: str | None = None
    # the name payers see for the payee, when the payee chose to show one (never their handle)
    payee_display_name: str | None = None
    # OrderRequest.fingerprint of the request made under `idempotency_key`; None before 0016
    request_hash: str | None = None

    @property
    def total(self) -> Money:
        return Money(self.total_minor, self.currency)

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None

    @property
    def lifetime(self) -> timedelta:
        """How long it collects, from creation to its deadline."""
        return self.expires_at - self.created_at


@dataclass(frozen=True, slots=True)
class SubOrder:
    id: SubOrderId
    order_id: OrderId
    idx: int
    amount_minor: int
    state: SubOrderState
    payer_ref: str | None = None
    hold_until: datetime | None = None
    hold_seq: int = 0
    gateway: str | None = None
    checkout_ref: str | None = None
    checkout_url: str | None = None
    paid_at: datetime | None = None
    payer_name: str | None = None  # how the payer is shown to the group (a display name)
    assignee: str | None = None  # named payers: '@username' or 'tg:<id>' this part is for
    # SHA-256 (hex) of the secret this hold's reservation returned once (core.domain.holds)
    hold_secret_hash: str | None = None

    def checkout_key(self) -> str:
        """The idempotency key of this reservation's checkout, fixed before the gateway call."""
        return f"co_{self.id}_{self.hold_seq}"

    @property
    def transfer_ref(self) -> str | None:
        """The reference of the bank transfer this hold's payer makes to the payee, if any."""
        return self.checkout_ref if self.gateway in DIRECT_KINDS else None

    def checkout(self) -> CheckoutRef | None:
        """This reservation's gateway checkout, if it has one (a transfer to the payee's own
        account has a reference instead: `transfer_ref`)."""
        if self.gateway is None or self.checkout_ref is None or self.gateway in DIRECT_KINDS:
            return None
        return CheckoutRef(
            self.gateway, self.checkout_ref, self.id, f"cancel_{self.checkout_key()}"
        )


@dataclass(frozen=True, slots=True)
class CheckoutRef:
    """One checkout at a gateway, as Chipin closes and reads it back.

    A checkout no reservation holds any more (its card was declined, its order closed) is
    *loose*: it may still take money until the gateway confirms it closed. Loose checkouts
    are stored (`tx.checkouts.add_loose_checkout`) until that is done, so a payment on one whose
    webhook is lost is still found.
    """

    gateway: str
    ref: str
    sub_order_id: SubOrderId
    cancel_key: str  # the idempotency key of its cancel, the same on every try


@dataclass(frozen=True, slots=True)
class Payment:
    """One payment a gateway reported, counted or not; the unit of refunds and captures."""

    id: PaymentId
    gateway: str
    payment_ref: str
    checkout_ref: str
    order_id: OrderId | None
    sub_order_id: SubOrderId | None
    amount_minor: int
    currency: str
    status: PaymentStatus
    counted: bool
    reason: str
    created_at: datetime
    updated_at: datetime
    attempts: int = 0
    last_error: str | None = None
    # gateway: `gateway` names one of the operator's gateways; else a payee's own method
    # (core.domain.methods: sepa, pix, upi), and the money never passed through Chipin
    settled_by: Settled = Settled.GATEWAY
    # a destination charge (core.domain.payouts): the payee's account the card money went
    # into, and the platform's fee out of it; refunds are reversed out of that account
    payout_account: str | None = None
    fee_minor: int = 0

    @property
    def to_payee_account(self) -> bool:
        return self.payout_account is not None

    @property
    def direct(self) -> bool:
        """The money went straight to the payee's own account: nothing Chipin can refund."""
        return self.settled_by != Settled.GATEWAY

    def action_key(self) -> str:
        """Idempotency key for the capture, refund or void this payment is waiting for."""
        return f"{self.status.value}_{self.id}"


@dataclass(frozen=True, slots=True)
class PayerAuth:
    """A payer's payment password (as a hash) and its failed-try counter and lock-out."""

    payer_ref: str
    pin_hash: str | None
    failures: int
    lockouts: int
    locked_until: datetime | None


@dataclass(frozen=True, slots=True)
class OrderPost:
    """Where an order is shown in a chat: its QR card and its live progress message."""

    order_id: OrderId
    chat_id: int
    qr_message_id: int | None
    progress_message_id: int | None
    created_at: datetime
    reminded_at: datetime | None = None
    lang: str | None = None  # the language the payee uses: the group's texts follow it
    payee_name: str | None = None  # how the payee is shown to payers
    final_shown: bool = False  # its progress message shows the closed order's final state
    shown_key: str | None = None  # a hash of what its progress message shows (0013)
