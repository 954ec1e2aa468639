"""The ports the engine talks to: storage transactions, payment gateways, notifier, clock, ids."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from core.domain.events import DomainEvent
from core.domain.ledger.entries import LedgerDraft, LedgerEntry, PayerSecret, SignedHead
from core.domain.ledger.scope import LedgerGroup, LedgerScope
from core.domain.model import (
    CheckoutRef,
    Order,
    OrderId,
    OrderPost,
    OrderState,
    Payee,
    PayeeId,
    PayerAuth,
    Payment,
    PaymentId,
    PaymentStatus,
    SubOrder,
    SubOrderId,
    SubOrderState,
)
from core.domain.money import STARS, Money
from core.domain.passkeys import Challenge, NewCredential, Passkey, VerifyLink
from core.ports.codes import CodesTx
from core.ports.holds import HoldsTx
from core.ports.tries import TriesTx


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


class Notifier(Protocol):
    async def publish(self, events: Sequence[DomainEvent]) -> None: ...


class PasskeyTx(Protocol):
    """Passkeys, their page links and challenges (core.domain.passkeys), inside one transaction."""

    async def add_passkey_link(self, link: VerifyLink, now: datetime) -> None:
        """Store a new link (and forget links and challenges that expired a day ago)."""
        ...

    async def get_passkey_link(self, token_hash: str) -> VerifyLink | None: ...
    async def spend_passkey_link(self, token_hash: str, now: datetime) -> bool:
        """Mark the link used, atomically; False if it was spent already."""
        ...

    async def add_passkey_challenge(self, challenge: Challenge) -> None: ...
    async def take_passkey_challenge(self, value: str) -> Challenge | None:
        """Remove the challenge and return it, atomically: a second take gets None."""
        ...

    async def add_passkey(self, passkey: Passkey) -> None: ...
    async def passkeys_of(self, payer_ref: str) -> list[Passkey]:
        """The payer's passkeys, oldest first."""
        ...

    async def passkey_by_credential(self, credential_id: bytes) -> Passkey | None: ...
    async def use_passkey(
        self, passkey_id: str, old_count: int, new_count: int, now: datetime
    ) -> bool:
        """Store the new sign counter if the stored one is still old_count (else False)."""
        ...

    async def remove_passkey(self, payer_ref: str, passkey_id: str) -> bool: ...


class Tx(PasskeyTx, CodesTx, HoldsTx, TriesTx, Protocol):
    """One database transaction. Every conditional method is a single atomic statement."""

    # payees and keys
    async def add_payee(self, payee: Payee) -> None: ...
    async def get_payee(self, payee_id: PayeeId) -> Payee | None: ...
    async def get_payee_by_name(self, name: str) -> Payee | None: ...
    async def add_api_key(self, key_hash: str, payee_id: PayeeId, now: datetime) -> None: ...
    async def payee_for_key(self, key_hash: str) -> PayeeId | None: ...

    # orders
    async def add_order(self, order: Order, subs: Sequence[SubOrder]) -> None: ...
    async def get_order(self, order_id: OrderId) -> Order | None: ...
    async def get_order_by_token(self, token: str) -> Order | None: ...
    async def get_order_by_key(self, payee_id: PayeeId, idempotency_key: str) -> Order | None: ...
    async def list_orders(self, payee_id: PayeeId, limit: int, offset: int) -> list[Order]: ...
    async def count_orders(self, payee_id: PayeeId) -> int: ...
    async def get_sub_orders(self, order_id: OrderId) -> list[SubOrder]: ...
    async def get_sub_order(self, sub_order_id: SubOrderId) -> SubOrder | None: ...
    async def find_payer_sub_order(self, order_id: OrderId, payer_ref: str) -> SubOrder | None:
        """The payer's reserved or paid sub-order of this order, if any."""
        ...

    async def count_paid(self, order_id: OrderId, amount_minor: int, now: datetime) -> int | None:
        """Atomically add one payment to the order if it is open, unexpired and below N paid.

        One conditional UPDATE: returns the new paid count, or None when it cannot count.
        """
        ...

    async def uncount_paid(self, order_id: OrderId, amount_minor: int) -> None:
        """Undo count_paid inside the same transaction, or for an authorisation voided outside."""
        ...

    async def add_refunded_amount(self, order_id: OrderId, amount_minor: int) -> None: ...
    async def close_order(
        self, order_id: OrderId, from_: Sequence[OrderState], to: OrderState, now: datetime
    ) -> bool:
        """from_ -> `to` atomically; False if the order was no longer in one of `from_`."""
        ...

    async def reserve_one(
        self,
        order_id: OrderId,
        payer_ref: str,
        hold_until: datetime,
        payer_name: str | None = None,
        aliases: Sequence[str] = (),
        *,
        source: str | None = None,
        secret_hash: str | None = None,
    ) -> SubOrder | None:
        """Atomically take one available sub-order for the payer (increments its hold_seq).

        Only parts with no assignee, or assigned to one of `aliases`, can be taken. `source`
        (stored as a blind index) is counted by HoldsTx.source_holds while the part is
        reserved; `secret_hash` is the hold secret's (SubOrder.hold_secret_hash).
        """
        ...

    async def set_checkout(
        self, sub_order_id: SubOrderId, hold_seq: int, gateway: str, ref: str, url: str
    ) -> bool: ...
    async def release_hold(self, sub_order_id: SubOrderId, hold_seq: int) -> bool:
        """reserved -> available, if it is still the same reservation."""
        ...

    async def mark_sub_paid(
        self, sub_order_id: SubOrderId, checkout_ref: str, now: datetime
    ) -> bool:
        """reserved -> paid, if it is reserved with this checkout."""
        ...

    async def reopen_sub_order(self, sub_order_id: SubOrderId) -> bool:
        """paid -> available with no payer: its authorisation was voided before completion."""
        ...

    async def set_sub_state(
        self, sub_order_id: SubOrderId, from_: SubOrderState, to: SubOrderState
    ) -> bool: ...
    async def close_open_sub_orders(self, order_id: OrderId) -> list[SubOrder]:
        """available/reserved -> closed; returns the sub-orders that were reserved."""
        ...

    async def sub_order_for_checkout(self, gateway: str, checkout_ref: str) -> SubOrder | None: ...
    async def due_orders(self, now: datetime, limit: int) -> list[Order]: ...
    async def lapsed_holds(self, now: datetime, limit: int) -> list[SubOrder]: ...
    async def in_flight_checkouts(self, limit: int) -> list[SubOrder]:
        """Reserved sub-orders that have a checkout, for reconciliation."""
        ...

    # checkouts that may take money while no reservation holds them (core.domain.model.CheckoutRef)
    async def add_loose_checkout(self, checkout: CheckoutRef, now: datetime) -> None:
        """Remember it until the gateway confirmed it closed (no-op if already remembered)."""
        ...

    async def loose_checkouts(self, limit: int) -> list[CheckoutRef]:
        """The loose checkouts, the longest unchecked first."""
        ...

    async def touch_loose_checkout(self, checkout: CheckoutRef, now: datetime) -> None:
        """It was tried now and is still loose: it goes to the back of the queue."""
        ...

    async def drop_loose_checkout(self, checkout: CheckoutRef) -> None:
        """The gateway confirmed it closed and it was read back: forget it."""
        ...

    # voids reported before the authorisation they void (gateways do not promise order)
    async def note_early_void(self, gateway: str, payment_ref: str, now: datetime) -> None: ...
    async def take_early_void(self, gateway: str, payment_ref: str) -> bool:
        """True (and forgets it) if a void of this payment came before the payment did."""
        ...

    # gateway events and payments
    async def record_event(self, gateway: str, event_id: str, kind: str, now: datetime) -> bool:
        """False if this (gateway, event id) was recorded before."""
        ...

    async def add_payment(self, payment: Payment) -> bool:
        """False if this (gateway, payment_ref) is already known."""
        ...

    async def get_payment(self, gateway: str, payment_ref: str) -> Payment | None: ...
    async def get_payment_by_id(self, payment_id: PaymentId) -> Payment | None: ...
    async def payments_of_order(self, order_id: OrderId) -> list[Payment]: ...
    async def set_payment_status(
        self,
        payment_id: PaymentId,
        from_: Sequence[PaymentStatus],
        to: PaymentStatus,
        now: datetime,
    ) -> bool: ...
    async def note_payment_error(
        self, payment_id: PaymentId, error: str, now: datetime
    ) -> None: ...
    async def pending_payments(self, limit: int) -> list[Payment]: ...

    # where orders are posted
    async def add_post(self, post: OrderPost) -> None: ...
    async def get_posts(self, order_id: OrderId) -> list[OrderPost]: ...
    async def open_posts_in_chat(self, chat_id: int) -> list[OrderPost]: ...
    async def unfinished_posts(self, limit: int) -> list[OrderPost]:
        """Posts whose progress message may lag their order: every post of an open order,
        and those of a closed one not marked `final_shown` yet."""
        ...

    async def mark_final_shown(self, order_id: OrderId, chat_id: int) -> None: ...
    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        """Posts follow a migrated group; their message ids (in the old group) are cleared."""
        ...

    async def set_progress_message(
        self, order_id: OrderId, chat_id: int, message_id: int
    ) -> None: ...
    async def set_reminded(self, order_id: OrderId, chat_id: int, now: datetime) -> None: ...

    # payers' payment passwords (their counted tries: core.ports.tries)
    async def get_payer_auth(self, payer_ref: str) -> PayerAuth | None: ...
    async def set_pin(self, payer_ref: str, pin_hash: str, now: datetime) -> None:
        """Store the hash (insert or replace) and clear the failed-try counter."""
        ...

    # the transparency ledger
    def append_ledger(self, draft: LedgerDraft) -> None:
        """Buffer an entry; the store appends the buffer right before this transaction commits.

        Appending last keeps the ledger counter's lock short and after every other lock.
        """
        ...

    async def ledger_size(self, *, lock: bool = False) -> int:
        """The number of committed entries; `lock` holds the counter until this tx ends.

        While it is held no entry is appended and no other head is signed (Ledgering.sign_head).
        """
        ...

    async def ledger_leaf_hashes(self, start: int, end: int) -> list[bytes]:
        """The recorded leaf hashes of entries start..end-1."""
        ...

    async def ledger_entries(self, start: int, end: int) -> list[LedgerEntry]: ...
    async def ledger_entries_of_payment(self, payment_id: PaymentId) -> list[LedgerEntry]: ...
    async def payer_secret(self, index: int) -> PayerSecret | None:
        """The opened (decrypted) payer data of one entry, if it names a payer."""
        ...

    async def add_head(self, head: SignedHead) -> None: ...
    async def latest_head(self) -> SignedHead | None: ...
    async def signed_heads(self) -> list[SignedHead]:
        """Every stored signed head, oldest first."""
        ...

    # a user's own records (core.usecases.records), read from the ledger
    async def ledger_records(
        self, scope: LedgerScope, limit: int | None, offset: int, *, oldest_first: bool = False
    ) -> list[tuple[LedgerEntry, PayerSecret | None]]:
        """The scope's entries with their opened payer data, newest first (or oldest first).

        A scope with neither a payer nor a payee holds nothing; `limit` None reads them all.
        """
        ...

    async def count_ledger_records(self, scope: LedgerScope) -> int: ...
    async def ledger_groups(self, scope: LedgerScope) -> list[LedgerGroup]:
        """The scope's entries summed by order, currency, kind and UTC month."""
        ...

    async def count_ledger_payers(self, scope: LedgerScope) -> int:
        """How many distinct payers the scope's money-in entries
        (core.domain.ledger.entries.MONEY_IN) name."""
        ...

    async def orders_by_id(self, order_ids: Sequence[OrderId]) -> list[Order]: ...


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


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    sub_order_id: SubOrderId
    order_id: OrderId
    amount: Money
    idempotency_key: str
    capture_manual: bool
    description: str


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


@dataclass(frozen=True, slots=True)
class GatewayTraits:
    """What a gateway can do beyond the port; one without a `traits` attribute can do it all.

    `authorises`: it can hold money and capture it later (mode `all`).
    `currencies`: the currencies it takes; None is every currency but Telegram Stars.
    `web_checkout`: its checkout is a web page, so payers without the bot can use it.
    """

    authorises: bool = True
    currencies: frozenset[str] | None = None
    web_checkout: bool = True

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
