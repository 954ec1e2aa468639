"""The JSON shapes of the REST API v1: request bodies (strict, no unknown fields) and answers."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, WithJsonSchema
from pydantic_core import PydanticCustomError

from core.domain.ledger.entries import EntryKind
from core.domain.model import Mode, OrderState, PaymentStatus, Settled, SplitKind, SubOrderState
from core.domain.money import Currency, currency
from core.domain.params import DEFAULT_HOLD, DEFAULT_VALID, RawOrder, parse_duration
from core.usecases.records import Role
from web.api.schemas_methods import MethodChoiceOut, TransferOut

_MAX_SECONDS = 999_999_999  # beyond any valid time, and short enough for parse_duration
_MAX_AMOUNT_DIGITS = 30  # beyond any amount limit


def _amount_text(value: object) -> str:
    """A decimal string as given, or a JSON number turned into its exact text (never a float)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal) and value.is_finite():
        # 1e999999999 written out in full would be a 1 GB string: past any amount, keep it
        # short (core refuses the exponent form)
        return format(value, "f") if abs(value.adjusted()) <= _MAX_AMOUNT_DIGITS else str(value)
    raise PydanticCustomError("amount_type", 'must be an amount such as "240.50"')


def _shares_text(value: object) -> str:
    """[2, 1, 1] or "2:1:1" into the "2:1:1" text core parses."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value
    ):
        return ":".join(str(v) for v in value)
    raise PydanticCustomError(
        "shares_type", 'must be whole numbers above zero, like [2, 1, 1] or "2:1:1"'
    )


def _duration_text(value: object) -> str:
    """Seconds (a whole number) or text such as "30m", "2h", "3d"."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(max(0, min(value, _MAX_SECONDS)))  # out of range either way
    raise PydanticCustomError(
        "duration_type", 'must be seconds or a duration like "30m", "2h", "3d"'
    )


AmountText = Annotated[
    str,
    BeforeValidator(_amount_text),
    WithJsonSchema({"anyOf": [{"type": "string", "examples": ["240.50"]}, {"type": "number"}]}),
]
SharesText = Annotated[
    str,
    BeforeValidator(_shares_text),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 2},
                {"type": "string", "examples": ["2:1:1"]},
            ]
        }
    ),
]
DurationText = Annotated[
    str,
    BeforeValidator(_duration_text),
    WithJsonSchema({"anyOf": [{"type": "integer"}, {"type": "string", "examples": ["2h"]}]}),
]


class CreateOrderIn(BaseModel):
    """Give exactly one of `total`/`each` and exactly one of `payers`/`shares`."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(default="", description="Shown to payers; up to 100 characters.")
    currency: str | None = Field(
        default=None, description="ISO 4217 code; the service's default currency when omitted."
    )
    total: AmountText | None = Field(
        default=None,
        description='The total to split, e.g. "240.50"; no more decimals than the currency has.',
    )
    each: AmountText | None = Field(default=None, description="A fixed amount for every payer.")
    payers: StrictInt | None = Field(default=None, description="Number of payers, 1 to 1000.")
    shares: SharesText | None = Field(
        default=None, description='Uneven shares, [2, 1, 1] or "2:1:1"; one payer per share.'
    )
    expires_in: DurationText | None = Field(
        default=None,
        description='Valid time: seconds, or "30m", "2h", "3d"; 1 minute to 30 days (default 24h).',
    )
    mode: Mode = Field(
        default=Mode.KEEP,
        description="keep: the payee keeps partial collections; all: capture only when all N paid.",
    )
    password: str | None = Field(
        default=None,
        description="Order password payers must give, 4 to 64 characters. Write-only.",
        json_schema_extra={"writeOnly": True},
    )
    hold: DurationText | None = Field(
        default=None,
        description="How long a payer's part is held while paying: 1 to 60 minutes (default 15m).",
    )
    holds_per_client: StrictInt | None = Field(
        default=None,
        description=(
            "How many parts one client may hold at once: 1 to 1000 (default 10). A client is "
            "an IP address (an IPv6 /64) or a Telegram user; raise it for a till or a venue "
            "whose payers share one address. One client may also take at most 3 times this "
            "many new holds per 10 minutes."
        ),
    )

    def to_raw(self, default_currency: Currency) -> RawOrder:
        """The parameters as core takes them; core's build_request validates their values."""
        return RawOrder(
            currency=currency(self.currency) if self.currency is not None else default_currency,
            total=self.total,
            each=self.each,
            payers=self.payers,
            shares=self.shares,
            title=self.title,
            valid=_duration(self.expires_in, "expires_in", DEFAULT_VALID),
            mode=self.mode.value,
            password=self.password,
            hold=_duration(self.hold, "hold", DEFAULT_HOLD),
            holds_per_source=self.holds_per_client,
        )


def _duration(text: str | None, field: str, default: timedelta) -> timedelta:
    return default if text is None else parse_duration(text, field=field)


class ReserveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payer: str = Field(
        description=(
            "The payer's own reference (name, e-mail, …), 1 to 64 characters; it may not "
            "start with tg:, api:, web:, ip:, order: or code-guess: (reserved, 422)."
        )
    )
    password: str | None = Field(
        default=None,
        description="The order password, if the order has one.",
        json_schema_extra={"writeOnly": True},
    )
    method: str | None = Field(
        default=None,
        max_length=64,
        description=(
            "How to pay: one of the payee's own methods the order lists (sepa, pix, upi: a "
            "transfer from the payer's banking app, see `transfer` in the answer) or one of "
            "its gateways. Give this or `gateway`; the default gateway when neither."
        ),
    )
    gateway: str | None = Field(
        default=None,
        max_length=64,
        description="The older name of `method`, for the operator's gateways.",
    )


class SubOrderOut(BaseModel):
    index: int
    amount: str
    amount_minor: int
    state: SubOrderState
    payer: str | None = Field(
        description=(
            "Who holds or paid the part: the reference an API payer gave, the name a "
            "pay-page payer typed, or tg:<user id> for a payer in the bot."
        )
    )
    payer_name: str | None = Field(
        default=None, description="The payer's name as the group sees it, when they gave one."
    )
    hold_until: datetime | None = Field(description="When the hold lapses, while reserved.")
    paid_at: datetime | None


class OrderSummaryOut(BaseModel):
    id: str
    title: str
    state: OrderState
    currency: str
    total: str = Field(examples=["240.50"])
    total_minor: int
    n: int = Field(description="Number of parts (payers).")
    kind: SplitKind
    mode: Mode
    has_password: bool
    created_at: datetime
    expires_at: datetime
    closed_at: datetime | None
    paid_count: int
    paid: str
    paid_minor: int
    refunded: str
    refunded_minor: int
    pay_url: str = Field(description="The public payment link; what the QR code encodes.")
    qr_url: str
    holds_per_client: int = Field(
        description="How many parts one client (address or Telegram user) may hold at once."
    )


class OrderOut(OrderSummaryOut):
    sub_orders: list[SubOrderOut]


class OrderListOut(BaseModel):
    items: list[OrderSummaryOut]
    total: int = Field(description="How many orders the key's payee has in all.")
    limit: int
    offset: int


class RefundOut(BaseModel):
    payment_id: str
    sub_order_index: int | None
    amount: str
    amount_minor: int
    status: PaymentStatus


class CancelOut(BaseModel):
    order: OrderOut
    refunded: list[RefundOut]


class PublicOrderOut(BaseModel):
    """What anyone holding the payment link may see: no payee data, no payer references."""

    title: str
    currency: str
    state: OrderState
    n: int
    paid_count: int
    slots_left: int = Field(description="Parts not yet paid (some may be held by payers paying).")
    available: int = Field(description="Parts free to reserve right now.")
    amount_per_part: str | None = Field(description="The amount of every part, when all are equal.")
    amounts: list[str] = Field(description="The amount of each part, in order.")
    has_password: bool
    expires_at: datetime
    gateways: list[str] = Field(
        description="The operator's gateways a payer here may choose (`method` in reserve)."
    )
    methods: list[MethodChoiceOut] = Field(
        description=(
            "The payee's own methods a payer may choose instead: a transfer straight into "
            "the payee's account (none for mode all, another currency or a printed code)."
        )
    )


class ReservedPartOut(BaseModel):
    index: int
    amount: str
    amount_minor: int
    state: SubOrderState
    hold_until: datetime | None


class ReserveOrderOut(BaseModel):
    title: str
    currency: str
    amount_due: str
    slots_left: int
    expires_at: datetime


class ReserveOut(BaseModel):
    sub_order: ReservedPartOut
    checkout_url: str | None = Field(
        description="Where the payer pays this part at a gateway; null for a transfer."
    )
    transfer: TransferOut | None = Field(
        default=None,
        description=(
            "For a payee's own method: how to pay from the payer's banking app; then "
            "POST …/claim. Null for a gateway's checkout."
        ),
    )
    order: ReserveOrderOut
    hold_secret: str | None = Field(
        default=None,
        description=(
            "Only in the answer that created the hold (201), and only once: send it as the "
            "Chipin-Hold header to reserve again with the same payer (200, the same part), "
            "to read the hold (GET …/hold) or to release it (DELETE …/hold). Without it "
            "nobody sees this hold or acts on it (403 hold_not_yours). Chipin keeps only its "
            "SHA-256."
        ),
    )


class WebhookOut(BaseModel):
    ok: bool
    outcomes: list[str] = Field(description="applied, duplicate, refunding or ignored, per event.")


class HealthOut(BaseModel):
    status: str = Field(examples=["ok"])


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
