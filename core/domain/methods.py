"""A payee's own receiving methods and the bank transfers payers make to them.

A payee binds one method per kind to their pseudonymous payee id: a SEPA account (EUR), a
PIX key (BRL) or a UPI id (INR). A payer who chooses one gets a per-part reference (ISO 11649
RF, core.domain.payqr.rf) and the standard payment QR with the same details as text; the money
goes from the payer's bank straight to the payee's, never through Chipin, so nothing Chipin
does can refund it. The part counts once the payee confirms the transfer arrived, or a line
of the payee's bank statement carries its reference and amount (core.domain.statements).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NewType

from core.domain.errors import InvalidInput
from core.domain.model import MethodKind, OrderId, PayeeId, PaymentId, SubOrderId
from core.domain.money import Money, currency
from core.domain.payqr import epc, pix, rf, upi
from core.domain.payqr.rf import printable
from core.domain.text import check_text

MethodId = NewType("MethodId", str)

KIND_CURRENCY: Mapping[MethodKind, str] = {
    MethodKind.SEPA: "EUR",
    MethodKind.PIX: "BRL",
    MethodKind.UPI: "INR",
}

KIND_LABEL: Mapping[MethodKind, str] = {
    MethodKind.SEPA: "SEPA bank transfer",
    MethodKind.PIX: "PIX",
    MethodKind.UPI: "UPI",
}

# What each kind needs, in the order the bot asks for it.
KIND_FIELDS: Mapping[MethodKind, tuple[str, ...]] = {
    MethodKind.SEPA: ("holder", "iban", "bic"),
    MethodKind.PIX: ("holder", "key", "city"),
    MethodKind.UPI: ("holder", "vpa"),
}

RF_BODY = rf.RANDOM_LEN
SAMPLE_AMOUNT_MINOR = 99_999_999_999  # 999,999,999.99: the longest amount EPC's code holds

# The European Economic Area: inside it a SEPA transfer needs no BIC (EPC069-12 version 002).
EEA = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
    ]
)
HOLDER_MAX = 70  # EPC069-12's beneficiary name; PIX shortens it to 25 in its payload

# Said when a payee adds a SEPA account: since 9 October 2025 every SEPA payer's bank checks
# the name against the account (Verification of Payee, Regulation (EU) 2024/886).
SEPA_NAME_WARNING = (
    "Give the account holder's legal name exactly as your bank has it: payers' banks check "
    "it against the IBAN (Verification of Payee) and warn every payer when it does not match."
)


def method_kind(text: str) -> MethodKind:
    try:
        return MethodKind(text.strip().lower())
    except ValueError:
        raise InvalidInput(
            "kind", "the method must be one of sepa, pix or upi, not {kind!r}", kind=text[:20]
        ) from None


@dataclass(frozen=True, slots=True)
class PayeeMethod:
    """One receiving method; `account` is the IBAN, the PIX key or the UPI id."""

    id: MethodId
    payee_id: PayeeId
    kind: MethodKind
    holder: str
    account: str
    created_at: datetime
    bic: str | None = None  # SEPA, optional inside the EEA
    city: str | None = None  # PIX: the receiver's city, in its payload

    @property
    def currency(self) -> str:
        return KIND_CURRENCY[self.kind]

    def masked(self) -> str:
        """The account as a list shows it: enough to tell two apart, not to copy."""
        a = self.account
        return a if len(a) <= 8 else f"{a[:4]}…{a[-4:]}"

    def details(self) -> dict[str, str]:
        """What storage seals (a method's every detail is personal data)."""
        found = {"holder": self.holder, "account": self.account}
        if self.bic:
            found["bic"] = self.bic
        if self.city:
            found["city"] = self.city
        return found

    def sealed_json(self) -> str:
        return json.dumps(self.details(), separators=(",", ":"), sort_keys=True)


def new_method(
    method_id: MethodId,
    payee_id: PayeeId,
    kind: MethodKind,
    given: Mapping[str, str | None],
    now: datetime,
) -> PayeeMethod:
    """A method from what the payee typed, each field checked (InvalidInput names the field)."""
    holder = check_text(given.get("holder") or "", "holder").strip()
    if not holder:
        raise InvalidInput("holder", "give the account holder's name")
    if len(holder) > HOLDER_MAX:
        raise InvalidInput(
            "holder", "the holder's name is at most {limit} characters", limit=HOLDER_MAX
        )
    if kind == MethodKind.SEPA:
        bic = (given.get("bic") or "").strip()
        iban = epc.check_iban(given.get("iban") or given.get("account") or "")
        if not bic and iban[:2] not in EEA:
            raise InvalidInput(
                "bic", "this account is outside the EEA, so payers' banks need its BIC too"
            )
        method = PayeeMethod(
            method_id,
            payee_id,
            kind,
            holder,
            iban,
            now,
            bic=epc.check_bic(bic) if bic else None,
        )
        return _drawable(method)
    if kind == MethodKind.PIX:
        city = pix.ascii_text(given.get("city") or "", "city", pix.MAX_CITY)
        if not city:
            raise InvalidInput("city", "give the city PIX shows payers (at most 15 letters)")
        pix.ascii_text(holder, "holder", pix.MAX_NAME)  # the code carries it in Latin letters
        key = pix.check_pix_key(given.get("key") or given.get("account") or "")
        return _drawable(PayeeMethod(method_id, payee_id, kind, holder, key, now, city=city))
    vpa = upi.check_vpa(given.get("vpa") or given.get("account") or "")
    return _drawable(PayeeMethod(method_id, payee_id, kind, holder, vpa, now))


def _drawable(method: PayeeMethod) -> PayeeMethod:
    """The method, once a payload of its at the largest amount fits a payment QR code: a
    method whose code could never be drawn is refused now, not at every payer's try."""
    largest = Money(SAMPLE_AMOUNT_MINOR, currency(method.currency))
    try:
        instructions(method, largest, rf.make_rf("0" * RF_BODY), "Chipin")
    except InvalidInput:  # every field but the name was checked on its own already
        raise InvalidInput(
            "holder", "this name does not fit in a payment QR code; write it shorter"
        ) from None
    return method


def method_from_details(
    method_id: MethodId, payee_id: PayeeId, kind: MethodKind, sealed: str, created_at: datetime
) -> PayeeMethod:
    """A stored method back from its opened details (PayeeMethod.sealed_json)."""
    d = json.loads(sealed)
    return PayeeMethod(
        method_id,
        payee_id,
        kind,
        d["holder"],
        d["account"],
        created_at,
        bic=d.get("bic"),
        city=d.get("city"),
    )


@dataclass(frozen=True, slots=True)
class Instructions:
    """How a payer pays one part into the payee's method: the standard payload for the QR,
    and the same details as text (EPC: its QR is never the only way to read them)."""

    kind: MethodKind
    reference: str  # compact RF reference: what the payer copies exactly
    payload: str  # EPC069-12 text, PIX BR Code, or UPI link
    holder: str
    account: str
    amount: Money
    bic: str | None = None
    city: str | None = None

    @property
    def printed_reference(self) -> str:
        return printable(self.reference)


def instructions(method: PayeeMethod, amount: Money, reference: str, title: str) -> Instructions:
    """The payload and details for one part: `reference` is the part's, `title` the order's."""
    note = " ".join(title.split())[: upi.MAX_NOTE].strip() or "Chipin"
    if method.kind == MethodKind.SEPA:
        payload = epc.epc_payload(
            name=method.holder,
            iban=method.account,
            bic=method.bic,
            amount_minor=amount.amount_minor,
            reference=reference,
        )
    elif method.kind == MethodKind.PIX:
        payload = pix.pix_payload(
            key=method.account,
            name=method.holder,
            city=method.city or "",
            amount_minor=amount.amount_minor,
            txid=reference,
        )
    else:
        payload = upi.upi_uri(
            vpa=method.account,
            name=method.holder[: upi.MAX_NAME].strip(),
            amount_minor=amount.amount_minor,
            note=note,
            reference=reference,
        )
    return Instructions(
        method.kind,
        reference,
        payload,
        method.holder,
        method.account,
        amount,
        bic=method.bic,
        city=method.city,
    )


@dataclass(frozen=True, slots=True)
class Transfer:
    """A transfer reference given to a payer for one part, kept after its hold ends: money
    with this reference is this payer's for this part, whenever it arrives."""

    reference: str
    order_id: OrderId
    sub_order_id: SubOrderId
    payee_id: PayeeId
    kind: MethodKind
    amount_minor: int
    currency: str
    payer_ref: str
    issued_at: datetime
    payer_name: str | None = None
    claimed_at: datetime | None = None
    utr: str | None = field(default=None, repr=False)  # UPI: the payer's bank's 12-digit UTR
    payment_id: PaymentId | None = None  # once the money is recorded (counted or to return)
    denied_at: datetime | None = None  # the payee said it has not arrived

    @property
    def settled(self) -> bool:
        return self.payment_id is not None

    @property
    def waiting(self) -> bool:
        """Claimed, and neither recorded nor denied: the payee has yet to decide."""
        return self.claimed_at is not None and not self.settled and self.denied_at is None


_B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def reference_from_token(token: str) -> str:
    """A new transfer reference (RF, 14 characters, core.domain.payqr.rf) from a random token's
    first 10 characters ([A-Za-z0-9_-], each uniform): 50 random bits."""
    body = "".join(rf.ALPHABET[_B64URL.index(c) % len(rf.ALPHABET)] for c in token[:RF_BODY])
    return rf.new_reference(body)
