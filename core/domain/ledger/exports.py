"""The CSV files of a payee's records and figures: pure functions that return the text.

Columns are stable machine names (a file for spreadsheets and scripts, like the API's JSON
keys), amounts both as decimal text and as integer minor units. Text a person typed (an
order title, a payer's name) that a spreadsheet would run as a formula is quoted with a
leading apostrophe (OWASP's advice on CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from core.domain.ledger.entries import EntryKind, LedgerEntry, PayerSecret
from core.domain.ledger.figures import (
    Stats,
    Totals,
    account_of,
    amount_text,
    receipt_id_of,
    signed_minor,
)

EXPORT_COLUMNS = (
    "index",
    "time",
    "kind",
    "order_id",
    "order_title",
    "amount",
    "amount_minor",
    "currency",
    "signed_amount",
    "signed_minor",
    "payer_name",
    "receipt_id",
    "method",
    "settled",
    # appended in 0015, after every older column, for the readers that count columns
    "account",
    "fee",
    "fee_minor",
)
STATS_COLUMNS = (
    "section",
    "key",
    "title",
    "currency",
    "collected",
    "collected_minor",
    "refunded",
    "refunded_minor",
    "net",
    "net_minor",
    "direct",
    "direct_minor",
    "through_operator",
    "through_operator_minor",
    "parts_paid",
    # appended in 0015, after every older column, for the readers that count columns
    "to_payee_account",
    "to_payee_account_minor",
    "platform_fees",
    "platform_fees_minor",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One CSV line of a payee's records; amounts as decimal text and minor units."""

    index: int
    at: datetime
    kind: EntryKind
    order_id: str | None
    order_title: str
    amount: str
    amount_minor: int
    currency: str
    signed_amount: str
    signed_minor: int
    payer_name: str
    receipt_id: str
    method: str = ""  # a payment's: the gateway, or the payee's own method (sepa, pix, upi)
    settled: str = ""  # a payment's: gateway, payee or statement
    account: str = ""  # a payment's: payee (its own account) or operator (figures.account_of)
    fee: str = ""  # a card payment into the payee's account: the platform's fee
    fee_minor: int | None = None


def export_row(entry: LedgerEntry, secret: PayerSecret | None, title: str) -> ExportRow:
    signed = signed_minor(entry)
    return ExportRow(
        index=entry.index,
        at=entry.at,
        kind=entry.kind,
        order_id=entry.order_id,
        order_title=title,
        amount=amount_text(entry.amount_minor, entry.currency),
        amount_minor=entry.amount_minor,
        currency=entry.currency,
        signed_amount=amount_text(signed, entry.currency),
        signed_minor=signed,
        payer_name=(secret.payer_name or "") if secret is not None else "",
        receipt_id=receipt_id_of(entry) or "",
        method=entry.method or "",
        settled=entry.settled or "",
        account=account_of(entry) or "",
        fee=amount_text(entry.fee_minor, entry.currency) if entry.fee_minor is not None else "",
        fee_minor=entry.fee_minor,
    )


def safe_text(text: str) -> str:
    """User text made inert for spreadsheets: a leading formula character gets an apostrophe."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _time(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def export_csv(rows: Iterable[ExportRow]) -> str:
    """The export file: a header line, then one line per entry (CRLF line ends, RFC 4180)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for r in rows:
        writer.writerow(
            (
                r.index,
                _time(r.at),
                r.kind.value,
                r.order_id or "",
                safe_text(r.order_title),
                r.amount,
                r.amount_minor,
                r.currency,
                r.signed_amount,
                r.signed_minor,
                safe_text(r.payer_name),
                r.receipt_id,
                r.method,
                r.settled,
                r.account,
                r.fee,
                "" if r.fee_minor is None else r.fee_minor,
            )
        )
    return out.getvalue()


def stats_csv(stats: Stats) -> str:
    """The figures file: one line per currency total, per month and per order."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(STATS_COLUMNS)
    for t in stats.totals:
        writer.writerow(("total", "", "", *_sums(t), "", *_payouts(t)))
    for m in stats.by_month:
        writer.writerow(("month", m.month, "", *_sums(m.totals), "", *_payouts(m.totals)))
    for o in stats.by_order:
        title = safe_text(o.title)
        sums, parts = _sums(o.totals), o.parts_paid
        writer.writerow(("order", o.order_id, title, *sums, parts, *_payouts(o.totals)))
    return out.getvalue()


def _sums(t: Totals) -> tuple[str | int, ...]:
    return (
        t.currency,
        amount_text(t.collected_minor, t.currency),
        t.collected_minor,
        amount_text(t.refunded_minor, t.currency),
        t.refunded_minor,
        amount_text(t.net_minor, t.currency),
        t.net_minor,
        amount_text(t.direct_minor, t.currency),
        t.direct_minor,
        amount_text(t.operator_minor, t.currency),
        t.operator_minor,
    )


def _payouts(t: Totals) -> tuple[str | int, ...]:
    return (
        amount_text(t.to_payee_account_minor, t.currency),
        t.to_payee_account_minor,
        amount_text(t.platform_fees_minor, t.currency),
        t.platform_fees_minor,
    )
