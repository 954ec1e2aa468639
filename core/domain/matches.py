"""What became of each bank-statement line a payee imported (core.domain.statements): a line
is kept by its hash, so importing the same statement again changes nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from core.domain.model import PayeeId, PaymentId
from core.domain.payqr.rf import RANDOM_LEN, is_valid_rf
from core.domain.statements import StatementLine, squeeze

REFERENCE_LEN = 4 + RANDOM_LEN  # "RF", two check digits, the random body (methods.py)


class LineOutcome(StrEnum):
    MATCHED = "matched"  # its reference and amount counted a part
    LATE = "late"  # its reference's part could not count: to return by hand
    KNOWN = "known"  # its reference's money was recorded already (the payee confirmed it)
    TWICE = "twice"  # its reference was paid by an earlier line already: to return by hand
    UNDERPAID = "underpaid"  # a reference of the payee's, less than its part
    OVERPAID = "overpaid"  # a reference of the payee's, more than its part
    UNMATCHED = "unmatched"  # no reference of the payee's

    @property
    def needs_payee(self) -> bool:
        """The payee should look at this line themselves."""
        return self in (LineOutcome.UNDERPAID, LineOutcome.OVERPAID, LineOutcome.UNMATCHED)


TEXT_KEPT = 140  # of a line's remittance text, for the payee's list


@dataclass(frozen=True, slots=True)
class ImportedLine:
    line_hash: str
    payee_id: PayeeId
    imported_at: datetime
    outcome: LineOutcome
    amount_minor: int
    currency: str
    reference: str | None = None
    payment_id: PaymentId | None = None
    booking_date: date | None = None
    counterparty: str | None = None
    text: str = ""

    def details_json(self) -> str:
        """What storage seals: the line's personal details."""
        found = {
            "date": self.booking_date.isoformat() if self.booking_date else None,
            "counterparty": self.counterparty,
            "text": self.text,
        }
        return json.dumps(found, separators=(",", ":"), sort_keys=True)


def references_in(line: StatementLine) -> list[str]:
    """The transfer references a line carries, wherever the bank put them: in a structured
    creditor reference, an end-to-end id or the free text, spaced, wrapped, or split across
    two remittance texts. Each candidate is checked by its RF check digits (ISO 11649), so
    other text that happens to start with "RF" is not taken for one."""
    texts = (*line.creditor_refs, *line.end_to_end_ids, *line.remittance)
    found: list[str] = []
    for text in (*texts, "".join(line.remittance)):
        flat = squeeze(text)
        start = flat.find("RF")
        while start != -1:
            candidate = flat[start : start + REFERENCE_LEN]
            new = candidate not in found and len(candidate) == REFERENCE_LEN
            if new and is_valid_rf(candidate):
                found.append(candidate)
            start = flat.find("RF", start + 1)
    return found


def imported(
    line: StatementLine,
    line_hash: str,
    payee_id: PayeeId,
    now: datetime,
    outcome: LineOutcome,
    reference: str | None = None,
    payment_id: PaymentId | None = None,
) -> ImportedLine:
    text = " ".join((*line.creditor_refs, *line.remittance))[:TEXT_KEPT]
    return ImportedLine(
        line_hash,
        payee_id,
        now,
        outcome,
        line.amount_minor,
        line.currency,
        reference,
        payment_id,
        line.booking_date,
        line.counterparty,
        text,
    )


def details_of(sealed: str) -> tuple[date | None, str | None, str]:
    d = json.loads(sealed)
    day = date.fromisoformat(d["date"]) if d.get("date") else None
    return day, d.get("counterparty"), d.get("text") or ""
