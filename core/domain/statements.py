"""Bank statements in one neutral shape (CAMT.053, MT940, OFX) and the pure helpers that
match their booked credits to payment references.

The readers (gateways/statements) build these objects; nothing here reads a file. Amounts
are integer minor units of a currency Chipin knows (`core.domain.money.CURRENCIES`): a
reader refuses a line in any other currency with `StatementUnreadable`, since no order of
Chipin's can be paid in it and an amount whose exponent is unknown cannot be stored exactly.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Literal

from core.domain.errors import DomainError, invariant
from core.domain.money import CURRENCIES, MAX_MINOR

StatementFormat = Literal["camt.053", "mt940", "ofx"]


class StatementUnreadable(DomainError):
    """An uploaded file is not a statement Chipin can read; the message says what is wrong.

    Like `InvalidInput`, `template` is a literal English `str.format` template and `params`
    its values (text from the file is quoted with repr and cut short), so a front end can
    translate the template while `message` stays the English text.
    """

    code = "statement_unreadable"

    def __init__(self, template: str, /, **params: str | int) -> None:
        super().__init__(template.format(**params), **params)
        self.template = template
        self.params = params


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One movement on the account, or one transfer of a batched CAMT entry.

    `credit` is the direction of the money (in, for a credit); `reversal` marks a booking
    that undoes an earlier one (CAMT `RvslInd`, MT940 `RC`/`RD`), never a payment to match.
    `remittance` holds the free texts, `creditor_refs` the structured creditor references
    and `end_to_end_ids` the payer's end-to-end ids. `index` is the position in the file.
    """

    booked: bool
    credit: bool
    amount_minor: int
    currency: str
    booking_date: date | None
    remittance: tuple[str, ...]
    creditor_refs: tuple[str, ...]
    end_to_end_ids: tuple[str, ...]
    counterparty: str | None
    bank_ref: str | None
    index: int
    reversal: bool = False

    def __post_init__(self) -> None:
        invariant(0 <= self.amount_minor <= MAX_MINOR, "a statement amount is within 0..2**63-1")
        invariant(self.currency in CURRENCIES, "a statement line is in a currency Chipin knows")


@dataclass(frozen=True, slots=True)
class Statement:
    """The lines of one account's statement file, in file order."""

    format: StatementFormat
    account: str | None
    lines: tuple[StatementLine, ...]


def squeeze(text: str) -> str:
    """`text` in upper case with every whitespace character removed, so that a reference a
    bank wrapped or spaced out ("RF18 5390\\n0754 7034") compares as one word."""
    return "".join(text.split()).upper()


def mentions(line: StatementLine, reference: str) -> bool:
    """True if `reference` (squeezed) occurs in a creditor reference, an end-to-end id or a
    remittance text of `line`, or across its remittance texts joined together (a reference
    split over two Ustrd elements or two ?2x subfields). An empty reference mentions nothing.
    """
    needle = squeeze(reference)
    if not needle:
        return False
    texts = (*line.creditor_refs, *line.end_to_end_ids, *line.remittance, "".join(line.remittance))
    return any(needle in squeeze(text) for text in texts)


def pays(line: StatementLine) -> bool:
    """A booked credit that is not a reversal: the only kind of line that can pay a part."""
    return line.booked and line.credit and not line.reversal


def credits(statement: Statement) -> list[StatementLine]:
    """The lines that can pay a part (`pays`)."""
    return [line for line in statement.lines if pays(line)]


def line_hashes(statement: Statement, payee_scope: str) -> list[str]:
    """A SHA-256 hex digest per line, in line order, to recognise a line imported before.

    The digest covers the payee scope, the format, the account and every field of the line
    but its position, plus how many identical lines came before it in the file: reading the
    same file again (or a later export that overlaps it) gives the same digests, while two
    identical transfers on one day get different ones.
    """
    seen: Counter[str] = Counter()
    digests = []
    for line in statement.lines:
        canonical = json.dumps(
            [
                "chipin.statement-line.v1",
                payee_scope,
                statement.format,
                statement.account,
                line.booked,
                line.credit,
                line.reversal,
                line.amount_minor,
                line.currency,
                line.booking_date.isoformat() if line.booking_date else None,
                line.remittance,
                line.creditor_refs,
                line.end_to_end_ids,
                line.counterparty,
                line.bank_ref,
            ],
            separators=(",", ":"),
        )
        occurrence = seen[canonical]
        seen[canonical] += 1
        digests.append(hashlib.sha256(f"{canonical}#{occurrence}".encode()).hexdigest())
    return digests
