"""The ports the engine talks to: storage transactions, payment gateways, notifier, clock, ids."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from core.domain.events import DomainEvent
from core.domain.model import (
    OrderId,
    SubOrderId,
)
from core.domain.money import STARS, Money
from core.domain.passkeys import NewCredential
from core.domain.payouts import AccountStatus, Payout
from core.domain.statements import Statement
from core.ports.repos.checkouts import CheckoutsRepo
from core.ports.repos.codes import CodesRepo
from core.ports.repos.holds import HoldsRepo
from core.ports.repos.ledger import LedgerRepo
from core.ports.repos.methods import MethodsRepo
from core.ports.repos.orders import OrdersRepo
from core.ports.repos.outbox import OutboxRepo
from core.ports.repos.passkeys import PasskeysRepo
from core.ports.repos.payees import PayeesRepo
from core.ports.repos.payers import PayersRepo
from core.ports.repos.payments import PaymentsRepo
from core.ports.repos.payouts import PayoutsRepo
from core.ports.repos.posts import PostsRepo
from core.ports.repos.records import RecordsRepo
from core.ports.repos.statements import StatementsRepo
from core.ports.repos.sub_orders import SubOrdersRepo
from core.ports.repos.tries import TriesRepo


class Clock(Protocol):
    def now(self) -> datetime: ...


class IdSource(Protocol):
    def new_id(self, prefix: str) -> str:
        """A unique id such as 'ord_...'; not secret."""
        ...

    def new_token(self) -> str:
        """A public, unguessable token (>= 128 random bits, [A-Za-z0-9_-])."""
        ...

    def new_secret(self) -> str:
        """A secret handed out once and kept only as its hash (256 random bits, [A-Za-z0-9_-])."""
        ...


class Sealer(Protocol):
    """Personal data at rest: a keyed blind index to look rows up, and encryption."""

    def index(self, value: str) -> str: ...
    def seal(self, value: str) -> str: ...
    def open(self, token: str) -> str: ...


class HeadSigner(Protocol):
    """Signs ledger tree heads (core.domain.ledger.entries.head_message) with Chipin's current
    signing key."""

    @property
    def key_id(self) -> str: ...

    def sign(self, message: bytes) -> bytes: ...


class StatementReader(Protocol):
    """Reads a bank statement file (CAMT.053, MT940, OFX) into core.domain.statements'
    shape; core.domain.statements.StatementUnreadable, changing nothing, if it cannot."""

    def __call__(self, data: bytes, filename: str | None = None) -> Statement: ...


class Notifier(Protocol):
    async def publish(self, events: Sequence[DomainEvent]) -> None: ...


class Tx(Protocol):
    """One database transaction, the unit of work: a repository per aggregate (core.ports.repos),
    all on the transaction's one connection. Every conditional method is a single atomic statement.

    Lock order (PostgreSQL row locks; SQLite runs one transaction at a time): a transaction that
    counts a payment locks the order row first (orders.count_paid) and then its sub-order
    (sub_orders.mark_sub_paid), the same order closing an order takes, so the two cannot
    deadlock (core.usecases.payments.settlement); a payment to a fund then locks its code's
    binding (codes.lock_binding) before summing it. The ledger counter is locked last: entries
    are buffered (ledger.append_ledger) and appended right before commit, after every other
    lock, which keeps that lock short; ledger.ledger_size(lock=True) holds it while a head is
    signed.
    """

    @property
    def orders(self) -> OrdersRepo: ...
    @property
    def sub_orders(self) -> SubOrdersRepo: ...
    @property
    def payees(self) -> PayeesRepo: ...
    @property
    def payments(self) -> PaymentsRepo: ...
    @property
    def checkouts(self) -> CheckoutsRepo: ...
    @property
    def payers(self) -> PayersRepo: ...
    @property
    def tries(self) -> TriesRepo: ...
    @property
    def posts(self) -> PostsRepo: ...
    @property
    def ledger(self) -> LedgerRepo: ...
    @property
    def records(self) -> RecordsRepo: ...
    @property
    def passkeys(self) -> PasskeysRepo: ...
    @property
    def codes(self) -> CodesRepo: ...
    @property
    def holds(self) -> HoldsRepo: ...
    @property
    def outbox(self) -> OutboxRepo: ...
    @property
    def methods(self) -> MethodsRepo: ...
    @property
    def statements(self) -> StatementsRepo: ...
    @property
    def payouts(self) -> PayoutsRepo: ...


class Store(Protocol):
    def transaction(self) -> AbstractAsyncContextManager[Tx]:
        """Commit on normal exit, roll back on an exception."""
        ...


# ---- payment gateways ----


class GatewayEventKind(StrEnum):
    SUCCEEDED = "succeeded"  # money taken (captured)
    AUTHORISED = "authorised"  # money held, to capture later (mode all)
    FAILED = "failed"  # declined; the reservation can be freed
    CAPTURED = "captured"
    REFUNDED = "refunded"
    VOIDED = "voided"
    IGNORED = "ignored"  # a type we acknowledge and do not act on


@dataclass(frozen=True, slots=True)
class GatewayEvent:
    """What a gateway reported. `payer_ref`/`payer_name` name who paid when the gateway
    itself knows (Telegram: the user who paid); a late payment's ledger entry names them."""

    gateway: str
    event_id: str
    kind: GatewayEventKind
    checkout_ref: str
    payment_ref: str
    amount_minor: int
    currency: str
    sub_order_id: str | None = None
    payer_ref: str | None = None
    payer_name: str | None = None
    # a destination charge (core.domain.payouts): the payee's account it went to, and the
    # platform's fee out of it
    payout_account: str | None = None
    fee_minor: int = 0


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    sub_order_id: SubOrderId
    order_id: OrderId
    amount: Money
    idempotency_key: str
    capture_manual: bool
    description: str
    # card money straight into the payee's account (core.domain.payouts); None: the operator's
    payout: Payout | None = None


@dataclass(frozen=True, slots=True)
class Checkout:
    ref: str
    url: str


class CheckoutStatus(StrEnum):
    OPEN = "open"
    SUCCEEDED = "succeeded"
    AUTHORISED = "authorised"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class CheckoutState:
    ref: str
    status: CheckoutStatus
    payment_ref: str | None
    amount_minor: int
    currency: str
    payout_account: str | None = None  # a destination charge's (core.domain.payouts)
    fee_minor: int = 0


@dataclass(frozen=True, slots=True)
class GatewayTraits:
    """What a gateway can do beyond the port; one without a `traits` attribute can do it all.

    `authorises`: it can hold money and capture it later (mode `all`).
    `currencies`: the currencies it takes; None is every currency but Telegram Stars.
    `web_checkout`: its checkout is a web page, so payers without the bot can use it.
    `hold_lifetime`: how long an authorisation lasts before the gateway releases it (None:
    as long as the order); a mode `all` order must complete within it.
    `payouts`: it pays orders bound to a payee's payout account (core.domain.payouts) into
    that account; with no PayoutGateway of its name set up, it cannot take their payments.
    """

    authorises: bool = True
    currencies: frozenset[str] | None = None
    web_checkout: bool = True
    hold_lifetime: timedelta | None = None
    payouts: bool = False

    def takes(self, currency_code: str) -> bool:
        if self.currencies is None:
            return currency_code != STARS
        return currency_code in self.currencies


def traits_of(gateway: Gateway) -> GatewayTraits:
    found = getattr(gateway, "traits", None)
    return found if isinstance(found, GatewayTraits) else GatewayTraits()


class Gateway(Protocol):
    """A payment gateway, shaped after PaymentIntents: every money call takes an idempotency key.

    Errors: core.domain.errors.GatewayRetryable (try again later) or GatewayFinal; a refund the
    gateway can never make raises RefundByHand. An optional `traits` (GatewayTraits) says
    what the gateway cannot do.
    """

    name: str

    async def create_checkout(self, request: CheckoutRequest) -> Checkout: ...
    async def retrieve(self, checkout_ref: str) -> CheckoutState: ...
    async def cancel_checkout(self, checkout_ref: str, idempotency_key: str) -> None: ...
    async def capture(self, payment_ref: str, idempotency_key: str) -> None: ...
    async def void(self, payment_ref: str, idempotency_key: str) -> None: ...
    async def refund(self, payment_ref: str, amount_minor: int, idempotency_key: str) -> None: ...
    def parse_webhook(
        self, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> list[GatewayEvent]:
        """Verify the signature over the raw body, then parse; WebhookRejected if not valid."""
        ...


class PayoutGateway(Protocol):
    """A gateway's connected accounts (Stripe Connect): a payee signs up on the gateway's own
    hosted pages, and its checkouts pay into the account (CheckoutRequest.payout)."""

    name: str

    async def create_account(
        self, payee_id: str, country: str | None, idempotency_key: str
    ) -> AccountStatus:
        """A new account for the payee, not yet able to take payments."""
        ...

    async def account_status(self, account_id: str) -> AccountStatus: ...
    async def onboarding_url(self, account_id: str) -> str:
        """A one-time link to the gateway's hosted sign-up for this account; it comes back to
        Chipin's return page, or its refresh page when the link ran out (`account_of_link`)."""
        ...

    def account_of_link(self, token: str) -> str | None:
        """The account a return or refresh page's token was made for; None if not ours."""
        ...

    def parse_account_webhook(
        self, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> list[AccountNews]:
        """Verify the Connect endpoint's signature, then read which accounts changed;
        WebhookRejected if not valid."""
        ...


@dataclass(frozen=True, slots=True)
class AccountNews:
    """One verified event about a connected account: look it up again (events can arrive
    late and out of order; the lookup is always current)."""

    event_id: str
    account_id: str | None  # None: an event type Chipin does not act on


class PasskeyCeremony(Protocol):
    """WebAuthn for one relying party (RP ID and origin fixed at construction).

    Options come out as the JSON the page hands to navigator.credentials; every response
    is the JSON the page posts back. Each verify_* checks the response against the
    challenge, the origin and the RP ID, with user verification required, and raises
    core.domain.passkeys.PasskeyRefused (reason 'bad_response') when anything is off.
    """

    def registration_options(
        self, *, challenge: bytes, user_handle: bytes, user_name: str, exclude: Sequence[bytes]
    ) -> str: ...
    def verify_registration(self, response: str, challenge: bytes) -> NewCredential: ...
    def authentication_options(self, *, challenge: bytes, allow: Sequence[bytes]) -> str: ...
    def challenge_of(self, response: str) -> str:
        """The challenge (base64url) the response claims to answer; not yet verified."""
        ...

    def credential_of(self, response: str) -> bytes:
        """The credential id the response names; not yet verified."""
        ...

    def verify_authentication(self, response: str, challenge: bytes, public_key: bytes) -> int:
        """Verify an assertion by the credential with this public key; its new sign count.

        The counter is returned, not judged: core.domain.passkeys.counter_advanced does that.
        """
        ...
