"""The JSON shapes of the REST API v1: request bodies (strict, no unknown fields) and answers."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from core.domain.model import Mode, OrderState, PaymentStatus, SplitKind, SubOrderState
from core.domain.money import Currency, currency
from core.domain.params import DEFAULT_HOLD, DEFAULT_VALID, RawOrder, parse_duration
from web.api.schemas_methods import MethodChoiceOut, TransferOut

# what the counts of parts in an order's answers mean (paid_count in mode all was read as
# money taken; slots_left as parts a payer can take)
_PAID_COUNT = (
    "Parts paid, counted towards n; in mode all these include the parts only authorised "
    "(see authorised), whose money is taken once all n are in."
)
_PARTS_UNPAID = "Parts not paid yet: n - paid_count (free, held by payers paying, or claimed)."
_PARTS_FREE = "Parts neither paid nor held: a payer can take one now (0 once the order has ended)."
_AUTHORISED = (
    "Mode all: parts whose payment is authorised and not captured yet (counted in "
    "paid_count); they are captured when all n are in, voided if the order ends short. "
    "Always 0 in mode keep."
)
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
    payee_display_name: str | None = Field(
        default=None,
        description=(
            "The name payers see for you on the pay page and their receipt page, 1 to 64 "
            "characters, no control characters; leave it out to show no name. Chipin never "
            "shows a Telegram handle instead."
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
            payee_display_name=self.payee_display_name,
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


class CancelIn(BaseModel):
    """Optional: without a body, an order whose every part is paid is not cancelled (409)."""

    model_config = ConfigDict(extra="forbid")

    refund_paid: StrictBool = Field(
        default=False,
        description=(
            "true: cancel even an order whose every part is paid (completed), refunding every "
            "payer (mode all: voiding what is not captured). An open order is cancelled "
            "either way, its paid parts refunded."
        ),
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
    paid_count: int = Field(description=_PAID_COUNT)
    parts_unpaid: int = Field(description=_PARTS_UNPAID)
    paid: str
    paid_minor: int
    refunded: str
    refunded_minor: int
    pay_url: str = Field(description="The public payment link; what the QR code encodes.")
    qr_url: str
    holds_per_client: int = Field(
        description="How many parts one client (address or Telegram user) may hold at once."
    )
    payee_display_name: str | None = Field(
        description="The name payers see for you, as you chose it; null: none is shown."
    )


class OrderOut(OrderSummaryOut):
    parts_free: int = Field(description=_PARTS_FREE)
    authorised: int = Field(description=_AUTHORISED)
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
    paid_count: int = Field(description=_PAID_COUNT)
    parts_unpaid: int = Field(description=_PARTS_UNPAID)
    parts_free: int = Field(description=_PARTS_FREE)
    authorised: int = Field(description=_AUTHORISED)
    slots_left: int = Field(
        description="Deprecated: the same as parts_unpaid; read parts_unpaid (or parts_free "
        "for the parts a payer can take now).",
        json_schema_extra={"deprecated": True},
    )
    available: int = Field(
        description="Deprecated: the same as parts_free; read parts_free.",
        json_schema_extra={"deprecated": True},
    )
    payee_display_name: str | None = Field(
        description="The name the payee chose to show payers; null: none."
    )
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
    parts_unpaid: int = Field(description=_PARTS_UNPAID)
    slots_left: int = Field(
        description="Deprecated: the same as parts_unpaid; read parts_unpaid.",
        json_schema_extra={"deprecated": True},
    )
    expires_at: datetime
    payee_display_name: str | None = Field(
        description="The name the payee chose to show payers; null: none."
    )


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
