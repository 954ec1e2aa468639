"""The JSON shapes of the REST API v1's ledger and records (OpenAPI schemas): signed heads and
proofs, a payee's own entries and figures, and receipts."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from core.domain.ledger.entries import EntryKind
from core.domain.model import Settled
from core.usecases.records import Role

# ---- the transparency ledger ----


class SignedHeadOut(BaseModel):
    """A signed tree head (RFC 6962 §4.3 in spirit)."""

    tree_size: int = Field(description="Entries in the tree.")
    timestamp: int = Field(description="Milliseconds since the Unix epoch, UTC.")
    root_hash: str = Field(description="Base64 SHA-256 Merkle root (RFC 6962 hashing).")
    key_id: str = Field(description="SHA-256 fingerprint (hex) of the signing certificate.")
    signature: str = Field(description="Base64 Ed25519 signature over the TreeHeadSignature.")


class InclusionOut(BaseModel):
    leaf_index: int
    tree_size: int
    leaf_hash: str = Field(description="Base64 leaf hash: SHA-256(0x00 || entry JSON).")
    audit_path: list[str] = Field(description="Base64 hashes, leaf to root (RFC 6962 §2.1.1).")


class ConsistencyOut(BaseModel):
    first: int
    second: int
    consistency: list[str] = Field(description="Base64 hashes (RFC 6962 §2.1.2).")


class CertificatesOut(BaseModel):
    root_fingerprint: str = Field(description="SHA-256 (hex) of the root CA certificate's DER.")
    signing_key_ids: list[str] = Field(description="Every head-signing certificate, oldest first.")
    chain_pem: str = Field(description="The root, then every signing certificate, PEM.")


# ---- records: a payee's own ledger entries, figures and receipts ----


class RecordOut(BaseModel):
    """One ledger entry of the key's payee (or, for a payee named 'tg:<id>', of that payer)."""

    index: int = Field(description="The entry's leaf index in the ledger.")
    kind: EntryKind
    at: datetime
    roles: list[Role] = Field(description="How the caller is part of it: payer, payee or both.")
    order_id: str | None
    order_title: str | None
    sub_order_id: str | None
    payment_id: str | None
    amount: str = Field(examples=["33.34"])
    amount_minor: int
    currency: str
    signed_amount: str = Field(description="+amount for money in, -amount back, 0 otherwise.")
    signed_minor: int
    payer_name: str | None = Field(description="The payer's name, for entries that name one.")
    receipt_id: str | None = Field(description="For a paid part: its receipt's id.")
    note: str
    method: str | None = Field(
        description=(
            "A payment's: the gateway's name, or sepa, pix or upi for money paid straight to "
            "the payee; null for an order's entries (and entries from before methods)."
        )
    )
    settled: Settled | None = Field(
        description=(
            "A payment's: gateway (reported by the operator's gateway), payee (confirmed by "
            "the payee) or statement (matched on the payee's bank statement)."
        )
    )
    account: Literal["payee", "operator"] | None = Field(
        default=None,
        description=(
            "A payment's: whose account its money went into, payee (their own: a card payment "
            "into their Stripe account, or a transfer straight to them) or operator (the "
            "operator's gateway account); null for an order's entries."
        ),
    )
    fee: str | None = Field(
        default=None,
        examples=["0.60"],
        description=(
            "A card payment into the payee's own account: the platform's fee out of it (on a "
            "refund, the fee refunded with it); null for every other entry."
        ),
    )
    fee_minor: int | None = Field(default=None, description="fee, in minor units.")


class RecordPageOut(BaseModel):
    items: list[RecordOut] = Field(description="Newest first.")
    total: int = Field(description="How many entries match the filters in all.")
    limit: int
    offset: int


class TotalsOut(BaseModel):
    currency: str
    collected: str
    collected_minor: int = Field(description="Parts paid (or held, in mode all).")
    refunded: str
    refunded_minor: int = Field(description="Counted payments refunded or voided.")
    net: str
    net_minor: int = Field(description="collected - refunded: what the payee keeps.")
    direct: str
    direct_minor: int = Field(
        description="Of the net: what went straight to the payee's own account (transfers)."
    )
    through_operator: str
    through_operator_minor: int = Field(
        description="Of the net: what went through the operator's gateways."
    )
    to_payee_account: str = Field(default="0", examples=["40.00"])
    to_payee_account_minor: int = Field(
        default=0,
        description=(
            "Of through_operator: card money the gateway paid straight into the payee's own "
            "Stripe account (destination charges), net of refunds."
        ),
    )
    platform_fees: str = Field(default="0", examples=["1.20"])
    platform_fees_minor: int = Field(
        default=0,
        description=(
            "The platform's fees out of to_payee_account, net of the fees refunded: the payee "
            "received to_payee_account less these."
        ),
    )


class MonthTotalsOut(TotalsOut):
    month: str = Field(examples=["2026-11"], description="YYYY-MM, UTC.")


class OrderTotalsOut(TotalsOut):
    order_id: str
    title: str
    created_at: datetime | None
    parts_paid: int


class StatsOut(BaseModel):
    since: datetime | None
    until: datetime | None
    totals: list[TotalsOut] = Field(description="Per currency.")
    by_month: list[MonthTotalsOut] = Field(description="Oldest month first.")
    by_order: list[OrderTotalsOut] = Field(description="Newest order first.")
    payers: int = Field(description="Distinct payers who paid a part.")
    orders_completed: int
    orders_expired: int
    orders_cancelled: int
    avg_complete_s: int | None = Field(
        description="Mean seconds from an order's creation to its completion; null if none."
    )


class ReceiptEntryOut(BaseModel):
    """The ledger entry exactly as its leaf commits to it."""

    index: int
    kind: EntryKind
    at: str
    order: str | None
    payee: str | None
    sub: str | None
    payment: str | None
    amount: int
    currency: str
    payer: str | None = Field(description="SHA-256 commitment to the payer (hex).")
    note: str
    method: str | None = Field(
        default=None, description="A payment's method: a gateway, or sepa, pix, upi."
    )
    settled: str | None = Field(
        default=None, description="How a payment was settled: gateway, payee or statement."
    )
    account: str | None = Field(
        default=None,
        description="payee: a card payment into the payee's own account (absent otherwise).",
    )
    fee: int | None = Field(
        default=None,
        description="With account: the platform's fee in minor units (refunded, on a refund).",
    )


class ReceiptPayerOut(BaseModel):
    ref: str
    salt: str = Field(description="Opens the entry's payer commitment (hex).")
    name: str | None


class ReceiptProofOut(BaseModel):
    leaf_index: int
    tree_size: int
    path: list[str] = Field(description="Base64 hashes, leaf to root (RFC 6962 §2.1.1).")


class ReceiptOut(BaseModel):
    """A receipt anyone can check offline: `chipin receipt verify FILE`."""

    format: str = Field(examples=["chipin-receipt/1"])
    receipt_id: str
    entry: ReceiptEntryOut
    payer: ReceiptPayerOut
    proof: ReceiptProofOut
    head: SignedHeadOut
    chain: str = Field(description="Chipin's root CA, then every signing certificate, PEM.")
