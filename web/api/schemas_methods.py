"""The REST API's bodies for money straight to the payee (OpenAPI schemas): a payee's own
receiving methods, a transfer's instructions, claims, money to return by hand, statements."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.domain.matches import LineOutcome
from core.domain.methods import HOLDER_MAX
from core.domain.model import MethodKind, PaymentStatus, Settled

# ---- a payee's own methods ----


class MethodIn(BaseModel):
    """Give `holder` and the fields of the chosen `kind`: `iban` (and `bic`, optional inside
    the EEA) for sepa; `key` and `city` for pix; `vpa` for upi. A field of another kind is
    refused (422 naming it)."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(max_length=16, description="sepa (EUR), pix (BRL) or upi (INR).")
    holder: str = Field(
        max_length=200,
        description=(
            f"The account holder's legal name exactly as the bank has it, up to {HOLDER_MAX} "
            "characters: SEPA payers' banks check it against the IBAN (Verification of Payee)."
        ),
    )
    iban: str | None = Field(
        default=None, max_length=64, description="sepa: the IBAN (spaces allowed)."
    )
    bic: str | None = Field(
        default=None, max_length=16, description="sepa: the BIC, optional inside the EEA."
    )
    key: str | None = Field(
        default=None,
        max_length=100,
        description="pix: the PIX key (CPF or CNPJ, e-mail, +55 phone number or random key).",
    )
    city: str | None = Field(
        default=None,
        max_length=60,
        description="pix: the city PIX shows payers, up to 15 letters (accents are dropped).",
    )
    vpa: str | None = Field(
        default=None, max_length=400, description="upi: the UPI ID, like name@bank."
    )

    def given(self) -> dict[str, str | None]:
        """Every field but the kind, as core.usecases.methods.add_method takes them."""
        return {
            "holder": self.holder,
            "iban": self.iban,
            "bic": self.bic,
            "key": self.key,
            "city": self.city,
            "vpa": self.vpa,
        }


class MethodOut(BaseModel):
    """One of my receiving methods, in full: it is my own data, behind my key."""

    id: str = Field(examples=["mth_5f0c2b1e9a7d4c33"])
    kind: MethodKind
    label: str = Field(description="The name payers see: SEPA bank transfer, PIX or UPI.")
    currency: str = Field(description="The one currency it takes: EUR, BRL or INR.")
    holder: str
    account: str = Field(description="The IBAN, the PIX key or the UPI ID.")
    bic: str | None = Field(description="sepa: the BIC, if given.")
    city: str | None = Field(description="pix: the city in the PIX payload.")
    created_at: datetime


class AddedMethodOut(MethodOut):
    notice: str | None = Field(
        description="What to check now; for sepa, why the holder's name must be exact."
    )


class MethodListOut(BaseModel):
    items: list[MethodOut] = Field(description="At most one method per kind.")


class MethodChoiceOut(BaseModel):
    """A payee method a payer of this order may choose: no account details before reserving."""

    kind: MethodKind = Field(description="Give it as `method` to reserve.")
    currency: str
    label: str


# ---- paying the payee directly ----


class TransferOut(BaseModel):
    """How to pay the reserved part from the payer's own banking app into the payee's
    account; the same details as the QR code, as text."""

    method: MethodKind
    label: str = Field(description="SEPA bank transfer, PIX or UPI.")
    reference: str = Field(
        examples=["RF18539007547034"],
        description="The part's transfer reference (ISO 11649 RF), to copy exactly.",
    )
    reference_printed: str = Field(
        examples=["RF18 5390 0754 7034"], description="The reference in groups of four."
    )
    payload: str = Field(
        description=(
            "The standard payment payload the QR code holds: EPC069-12 text (sepa), a PIX "
            "BR Code (pix) or a upi://pay link (upi, also a link to open on a phone)."
        )
    )
    qr_url: str = Field(description="A PNG QR code of `payload`; no key needed.")
    holder: str = Field(description="Whom the money goes to: the payee's account holder.")
    account: str = Field(description="The payee's IBAN, PIX key or UPI ID.")
    bic: str | None
    city: str | None
    amount: str = Field(examples=["30.00"], description="Exactly this amount, no more or less.")
    amount_minor: int
    currency: str
    instructions: str = Field(description="What the payer does now, in words.")
    late_money: str = Field(description="What happens to money that comes too late.")


class ClaimIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payer: str = Field(
        max_length=200, description="The payer reference the reservation was made with."
    )
    utr: str | None = Field(
        default=None,
        max_length=40,
        description="upi only, and required there: the 12-digit UTR the UPI app shows.",
    )


class ClaimOut(BaseModel):
    """The part is claimed: held for the payer, not counted, until the payee confirms the
    money arrived (or a bank statement shows it), denies it, or the order ends."""

    reference: str
    reference_printed: str
    state: Literal["claimed"]
    method: MethodKind
    amount: str
    amount_minor: int
    currency: str
    claimed_at: datetime | None = Field(description="When the payer said they paid.")


class PendingClaimOut(BaseModel):
    """A transfer a payer says they made to me, waiting for me to confirm or deny it."""

    reference: str
    reference_printed: str
    order_id: str
    order_title: str
    sub_order_id: str
    amount: str
    amount_minor: int
    currency: str
    method: MethodKind
    payer: str | None = Field(description="The payer's reference, as on the order's parts.")
    payer_name: str | None = Field(description="The payer's name, when they gave one.")
    issued_at: datetime = Field(description="When the payer got the reference.")
    claimed_at: datetime | None
    utr: str | None = Field(description="upi: the UTR the payer gave; look for it in your app.")


class ClaimListOut(BaseModel):
    items: list[PendingClaimOut] = Field(description="Oldest claim first; at most 200.")


class PaymentOut(BaseModel):
    """A payment as the payee acts on it."""

    payment_id: str
    order_id: str | None
    reference: str | None = Field(description="The transfer reference, for money paid directly.")
    amount: str
    amount_minor: int
    currency: str
    method: str = Field(description="A gateway's name, or sepa, pix or upi.")
    status: PaymentStatus = Field(
        description=(
            "captured: it counts; refund_owed: it came when its part could not count and the "
            "payee returns it by hand; refunded: returned."
        )
    )
    counted: bool = Field(description="Whether it paid a part of the order.")
    settled_by: Settled = Field(
        description=(
            "gateway: the operator's gateway reported it; payee: the payee confirmed it "
            "arrived; statement: a line of the payee's bank statement matched it."
        )
    )
    reason: str


class ReturnOut(BaseModel):
    """Money I owe back by hand: it reached my account (or a gateway that cannot refund)
    when its part could not count, or its order was cancelled after."""

    payment_id: str
    order_id: str | None
    order_title: str | None
    amount: str
    amount_minor: int
    currency: str
    method: str = Field(description="A gateway's name, or sepa, pix or upi.")
    reference: str | None = Field(description="The transfer reference, for money paid directly.")
    reason: str = Field(examples=["order full"])
    payer_name: str | None = Field(description="Who paid it, when the ledger names them.")
    since: datetime = Field(description="When the payment was recorded.")


class ReturnListOut(BaseModel):
    items: list[ReturnOut] = Field(description="At most 200.")


# ---- bank statements ----


class StatementLineOut(BaseModel):
    """One booked credit of an imported statement, as Chipin matched it."""

    line_hash: str = Field(
        description="The first 16 hex digits of the line's hash, by which Chipin knows it again."
    )
    booking_date: date | None
    amount: str
    amount_minor: int
    currency: str
    counterparty: str | None = Field(description="Who sent the money, as the bank names them.")
    text: str = Field(description="The line's references and remittance text (140 at most).")
    outcome: LineOutcome = Field(
        description=(
            "matched: it counted a part; late: its part could not count (to return by hand); "
            "known: recorded already; underpaid, overpaid: a reference of mine with another "
            "amount; unmatched: no reference of mine."
        )
    )
    reference: str | None = Field(description="The transfer reference the line carried.")
    payment_id: str | None
    imported_at: datetime


class StatementReportOut(BaseModel):
    """What one import did; nothing is done twice for a line imported before."""

    format: str = Field(examples=["camt.053"], description="camt.053, mt940 or ofx.")
    lines: int = Field(description="Every line of the file.")
    credits: int = Field(description="Its booked credits: the lines that can pay a part.")
    imported_again: int = Field(description="Credits imported before: nothing was done.")
    matched: int = Field(description="Credits that counted a part now.")
    outcomes: dict[str, int] = Field(
        description="How many new credits had each outcome (see StatementLineOut.outcome)."
    )
    to_check: list[StatementLineOut] = Field(
        description="The new lines to look at yourself: underpaid, overpaid, unmatched."
    )


class StatementLinesOut(BaseModel):
    items: list[StatementLineOut] = Field(
        description="Imported lines that need me (underpaid, overpaid, unmatched), newest first."
    )
