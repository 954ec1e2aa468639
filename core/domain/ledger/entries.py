"""The transparency ledger's entries: what each money event commits to, byte for byte.

Every money event appends one entry in the transaction that changes the money state
(storage writes the buffered drafts just before it commits). An entry's leaf is its
canonical JSON; leaves form an RFC 6962 Merkle tree (core.domain.ledger.merkle) whose heads Chipin
signs. Personal data never enters a leaf: a payer is a salted SHA-256 commitment whose
salt (and the payer's id and name) is kept encrypted beside the entry, so the
encryption keys can rotate, or the personal data be erased, without breaking a proof.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from core.domain.model import (
    Order,
    OrderId,
    OrderState,
    PayeeId,
    Payment,
    PaymentId,
    PaymentStatus,
    SubOrder,
    SubOrderId,
)

LEAF_VERSION = 1
# A card payment's money went into the payee's own account (a destination charge,
# core.domain.payouts): what an entry's `account` says. Never the account's id: the ledger is
# public.
PAYEE_ACCOUNT = "payee"


class EntryKind(StrEnum):
    PART_PAID = "part.paid"  # a payment counted, money taken
    PART_AUTHORISED = "part.authorised"  # a payment counted, money held (mode all)
    PAYMENT_LATE = "payment.late"  # money that arrived when it could not count: it goes back
    PAYMENT_CAPTURED = "payment.captured"
    PAYMENT_REFUNDED = "payment.refunded"
    PAYMENT_VOIDED = "payment.voided"
    LATE_REFUNDED = "late.refunded"  # a late payment's money went back
    LATE_VOIDED = "late.voided"
    ORDER_COMPLETED = "order.completed"
    ORDER_EXPIRED = "order.expired"
    ORDER_CANCELLED = "order.cancelled"


ORDER_KINDS = {
    OrderState.COMPLETED: EntryKind.ORDER_COMPLETED,
    OrderState.EXPIRED: EntryKind.ORDER_EXPIRED,
    OrderState.CANCELLED: EntryKind.ORDER_CANCELLED,
}

# A payment reaching one of these states moved money: it gets an entry (counted, late).
PAYMENT_KINDS = {
    PaymentStatus.CAPTURED: (EntryKind.PAYMENT_CAPTURED, EntryKind.PAYMENT_CAPTURED),
    PaymentStatus.REFUNDED: (EntryKind.PAYMENT_REFUNDED, EntryKind.LATE_REFUNDED),
    PaymentStatus.VOIDED: (EntryKind.PAYMENT_VOIDED, EntryKind.LATE_VOIDED),
}

# A payee's collected money: in (+) when a part is paid, back (-) when a counted payment
# is refunded or voided. Late payments never counted, so neither they nor their refunds do.
MONEY_IN = frozenset({EntryKind.PART_PAID, EntryKind.PART_AUTHORISED})
MONEY_BACK = frozenset({EntryKind.PAYMENT_REFUNDED, EntryKind.PAYMENT_VOIDED})
# Money given back to the payer: its platform fee goes back in proportion (refund_fee).
REFUND_KINDS = frozenset({EntryKind.PAYMENT_REFUNDED, EntryKind.LATE_REFUNDED})


@dataclass(frozen=True, slots=True)
class LedgerDraft:
    """An entry to append when the transaction commits; storage assigns its index."""

    kind: EntryKind
    at: datetime
    order_id: OrderId | None
    payee_id: PayeeId | None
    amount_minor: int
    currency: str
    sub_order_id: SubOrderId | None = None
    payment_id: PaymentId | None = None
    payer_ref: str | None = None  # personal: sealed by storage, committed to by hash
    payer_name: str | None = None  # personal: sealed by storage, not in the leaf
    note: str = ""  # why (for late payments and closings); never personal data
    method: str | None = None  # a payment's: the gateway's name, or the payee's own method kind
    settled: str | None = None  # a payment's: core.domain.model.Settled
    account: str | None = None  # PAYEE_ACCOUNT: a card payment into the payee's own account
    fee_minor: int | None = None  # with `account`: the platform's fee (refunded, on a refund)

    def entry(self, index: int, payer_commitment: str | None) -> LedgerEntry:
        """The entry this draft becomes at `index`, naming its payer by commitment only."""
        return LedgerEntry(
            index=index,
            kind=self.kind,
            at=self.at,
            order_id=self.order_id,
            payee_id=self.payee_id,
            sub_order_id=self.sub_order_id,
            payment_id=self.payment_id,
            amount_minor=self.amount_minor,
            currency=self.currency,
            payer_commitment=payer_commitment,
            note=self.note,
            method=self.method,
            settled=self.settled,
            account=self.account,
            fee_minor=self.fee_minor,
        )


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One stored entry: exactly the fields its leaf commits to."""

    index: int
    kind: EntryKind
    at: datetime
    order_id: str | None
    payee_id: str | None
    sub_order_id: str | None
    payment_id: str | None
    amount_minor: int
    currency: str
    payer_commitment: str | None
    note: str
    # where a payment's money went (0014): its method, and how it was settled; None on
    # entries of orders, and on entries written before 0014 (their leaves lack both keys)
    method: str | None = None
    settled: str | None = None
    # a card payment into the payee's own account (0015): PAYEE_ACCOUNT, and the platform's
    # fee out of it (on a refund: the fee given back); None on every other entry, and on
    # entries written before 0015 (their leaves lack both keys)
    account: str | None = None
    fee_minor: int | None = None

    @property
    def direct(self) -> bool:
        """The money went straight to the payee's own account, never through the operator."""
        return self.settled is not None and self.settled != "gateway"

    @property
    def to_payee_account(self) -> bool:
        """Card money paid through the operator's gateway into the payee's own account."""
        return self.account == PAYEE_ACCOUNT

    def leaf(self) -> bytes:
        return leaf_bytes(self)


@dataclass(frozen=True, slots=True)
class PayerSecret:
    """What opens an entry's payer commitment: kept encrypted, given only to that payer."""

    payer_ref: str
    salt: str  # hex, 16 random bytes
    payer_name: str | None = None


def stamp(at: datetime) -> str:
    """The leaf's time format: UTC with microseconds, as both databases keep it."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_fields(e: LedgerEntry) -> dict[str, str | int | None]:
    """What an entry says besides its place, kind and time, named as leaves and receipts
    name it. `method`, `settled`, `account` and `fee` appear only where set, so entries
    written before they existed keep their leaves."""
    fields: dict[str, str | int | None] = {
        "order": e.order_id,
        "payee": e.payee_id,
        "sub": e.sub_order_id,
        "payment": e.payment_id,
        "amount": e.amount_minor,
        "currency": e.currency,
        "payer": e.payer_commitment,
        "note": e.note,
    }
    if e.method is not None:
        fields["method"] = e.method
    if e.settled is not None:
        fields["settled"] = e.settled
    if e.account is not None:
        fields["account"] = e.account
    if e.fee_minor is not None:
        fields["fee"] = e.fee_minor
    return fields


def leaf_bytes(e: LedgerEntry) -> bytes:
    """Canonical JSON (sorted keys, no spaces, ASCII): the same bytes on every machine."""
    place = {"v": LEAF_VERSION, "i": e.index, "kind": e.kind.value, "at": stamp(e.at)}
    doc = {**place, **entry_fields(e)}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def commitment(payer_ref: str, salt_hex: str) -> str:
    """SHA-256 over a fixed label, the salt and the payer's id: hides the id, binds to it."""
    data = b"chipin-payer\x00" + bytes.fromhex(salt_hex) + payer_ref.encode()
    return hashlib.sha256(data).hexdigest()


def paid_draft(order: Order, sub: SubOrder, p: Payment, now: datetime) -> LedgerDraft:
    """A counted payment: the part is paid (or its money held: mode all, or an authorisation
    in mode keep that is being captured; the capture gets its own entry)."""
    held = p.status in (PaymentStatus.AUTHORISED, PaymentStatus.CAPTURE_PENDING)
    kind = EntryKind.PART_AUTHORISED if held else EntryKind.PART_PAID
    account, fee = _payout(kind, p)
    return LedgerDraft(
        kind,
        now,
        order.id,
        order.payee_id,
        p.amount_minor,
        p.currency,
        sub.id,
        p.id,
        payer_ref=sub.payer_ref,
        payer_name=sub.payer_name,
        note=_settled_note(p),
        method=p.gateway,
        settled=p.settled_by.value,
        account=account,
        fee_minor=fee,
    )


def _settled_note(p: Payment) -> str:
    """Who confirmed money that went straight to the payee (its `reason` says it)."""
    return p.reason if p.direct else ""


def refund_fee(fee_minor: int, refund_minor: int, amount_minor: int) -> int:
    """The platform fee given back with `refund_minor` of a payment of `amount_minor`: in
    proportion, rounded half up (as Stripe refunds an application fee with its charge)."""
    if fee_minor <= 0 or refund_minor <= 0 or amount_minor <= 0:
        return 0
    if refund_minor >= amount_minor:
        return fee_minor
    return (2 * fee_minor * refund_minor + amount_minor) // (2 * amount_minor)


def _payout(kind: EntryKind, p: Payment) -> tuple[str | None, int | None]:
    """`account` and `fee_minor` of an entry of `p`: set only for a card payment into the
    payee's own account. A refund's fee is the part of the fee given back with it (all of
    it: a payment is refunded whole); a void's is the fee that will never be taken, so that
    money back nets out both the part and its fee."""
    if not p.to_payee_account:
        return None, None
    if kind in REFUND_KINDS:
        return PAYEE_ACCOUNT, refund_fee(p.fee_minor, p.amount_minor, p.amount_minor)
    return PAYEE_ACCOUNT, p.fee_minor


def payment_draft(
    kind: EntryKind,
    p: Payment,
    order: Order | None,
    sub: SubOrder | None,
    now: datetime,
    note: str = "",
    late_payer: tuple[str, str | None] | None = None,
) -> LedgerDraft:
    """Money moved for a payment already recorded (captured, refunded, voided, or late).

    A counted payment names its part's payer. An uncounted one names nobody from the part
    (its hold may be someone else's by now), only `late_payer` (reference, name): who the
    gateway said paid.
    """
    if p.counted and sub is not None:
        payer, name = sub.payer_ref, sub.payer_name
    elif not p.counted and late_payer is not None:
        payer, name = late_payer
    else:
        payer, name = None, None
    account, fee = _payout(kind, p)
    return LedgerDraft(
        kind,
        now,
        p.order_id,
        order.payee_id if order else None,
        p.amount_minor,
        p.currency,
        p.sub_order_id,
        p.id,
        payer_ref=payer,
        payer_name=name if payer else None,
        note=note,
        method=p.gateway,
        settled=p.settled_by.value,
        account=account,
        fee_minor=fee,
    )


def order_draft(order: Order, now: datetime) -> LedgerDraft:
    """An order ended: what it collected in the end, net of what went back."""
    return LedgerDraft(
        ORDER_KINDS[order.state],
        now,
        order.id,
        order.payee_id,
        order.paid_minor - order.refunded_minor,
        order.currency.code,
        note=f"{order.paid_count}/{order.n} paid",
    )


@dataclass(frozen=True, slots=True)
class TreeHead:
    """The tree's size, root hash and time: what Chipin signs."""

    tree_size: int
    root_hash: bytes
    timestamp_ms: int


@dataclass(frozen=True, slots=True)
class SignedHead:
    head: TreeHead
    key_id: str  # the SHA-256 fingerprint (hex) of the signing certificate
    signature: bytes


def head_message(head: TreeHead) -> bytes:
    """The signed bytes: RFC 6962 §3.5 TreeHeadSignature (v1, tree_hash, uint64s, root)."""
    if not 0 <= head.tree_size < 2**64 or not 0 <= head.timestamp_ms < 2**64:
        raise ValueError("tree size and timestamp must fit in 64 bits")
    if len(head.root_hash) != 32:
        raise ValueError("a root hash is 32 bytes")
    return (
        bytes([0, 1])
        + head.timestamp_ms.to_bytes(8, "big")
        + head.tree_size.to_bytes(8, "big")
        + head.root_hash
    )


RECEIPT_KINDS = (EntryKind.PART_PAID, EntryKind.PART_AUTHORISED)


def receipt_id(entry: LedgerEntry, leaf_hash: bytes) -> str:
    return f"rcpt-{entry.index}-{leaf_hash.hex()[:12]}"
