"""Money straight to the payee, as API answers: methods, a transfer's instructions, claims,
payments to confirm or return, statement lines. Amounts are decimal strings."""

from __future__ import annotations

from collections.abc import Mapping

from core.domain.ledger.figures import amount_text
from core.domain.matches import ImportedLine
from core.domain.methods import KIND_LABEL, Instructions, PayeeMethod, Transfer
from core.domain.model import DIRECT_KINDS, MethodKind, Payment
from core.domain.payers import shown_payer
from core.domain.payqr.rf import printable
from core.usecases.payments.statements import ImportReport
from core.usecases.payments.transfers import Claim, OwedReturn
from web.api.schemas_methods import (
    ClaimOut,
    MethodChoiceOut,
    MethodOut,
    PaymentOut,
    PendingClaimOut,
    ReturnOut,
    StatementLineOut,
    StatementReportOut,
    TransferOut,
)
from web.links import Links

LINE_HASH_SHOWN = 16

LATE_MONEY = (
    "Pay and claim while your part is held. The money goes straight to the payee's own "
    "account, never through Chipin: money that arrives after the order is full or has ended, "
    "or after your part was let go, is not refunded by Chipin; the payee returns it to you "
    "by hand."
)

_WHERE: Mapping[MethodKind, str] = {
    MethodKind.SEPA: "by SEPA bank transfer from your banking app to {holder}, IBAN {account}",
    MethodKind.PIX: "by PIX from your banking app to {holder}, PIX key {account}",
    MethodKind.UPI: "by UPI from your UPI app to {holder}, UPI ID {account}",
}
_REFERENCE_FIELD: Mapping[MethodKind, str] = {
    MethodKind.SEPA: "as the structured creditor reference (or the remittance information)",
    MethodKind.PIX: "as the transaction identifier (txid)",
    MethodKind.UPI: "as the transaction reference (tr)",
}
_THEN: Mapping[MethodKind, str] = {
    MethodKind.SEPA: "",
    MethodKind.PIX: "",
    MethodKind.UPI: " with the 12-digit UTR your UPI app shows for the payment",
}


def instructions_text(how: Instructions) -> str:
    """What the payer does now: pay exactly this, there, with this reference; then claim."""
    amount = f"{amount_text(how.amount.amount_minor, how.amount.currency.code)} "
    amount += how.amount.currency.code
    where = _WHERE[how.kind].format(holder=how.holder, account=how.account)
    return (
        f"Pay exactly {amount} {where}, with the reference {how.printed_reference} "
        f"{_REFERENCE_FIELD[how.kind]}. Scanning the QR code fills all of this in; typing it, "
        "copy the reference exactly, or the payee cannot tell your payment from others. "
        f"Then say you have paid: POST …/claim with your Chipin-Hold{_THEN[how.kind]}."
    )


def method_out(m: PayeeMethod) -> MethodOut:
    return MethodOut(
        id=m.id,
        kind=m.kind,
        label=KIND_LABEL[m.kind],
        currency=m.currency,
        holder=m.holder,
        account=m.account,
        bic=m.bic,
        city=m.city,
        created_at=m.created_at,
    )


def method_choice(m: PayeeMethod) -> MethodChoiceOut:
    return MethodChoiceOut(kind=m.kind, currency=m.currency, label=KIND_LABEL[m.kind])


def transfer_out(how: Instructions, token: str, links: Links) -> TransferOut:
    money = how.amount
    return TransferOut(
        method=how.kind,
        label=KIND_LABEL[how.kind],
        reference=how.reference,
        reference_printed=how.printed_reference,
        payload=how.payload,
        qr_url=links.transfer_qr(token, how.reference),
        holder=how.holder,
        account=how.account,
        bic=how.bic,
        city=how.city,
        amount=amount_text(money.amount_minor, money.currency.code),
        amount_minor=money.amount_minor,
        currency=money.currency.code,
        instructions=instructions_text(how),
        late_money=LATE_MONEY,
    )


def claim_out(t: Transfer) -> ClaimOut:
    return ClaimOut(
        reference=t.reference,
        reference_printed=printable(t.reference),
        state="claimed",
        method=t.kind,
        amount=amount_text(t.amount_minor, t.currency),
        amount_minor=t.amount_minor,
        currency=t.currency,
        claimed_at=t.claimed_at,
    )


def pending_claim(c: Claim) -> PendingClaimOut:
    t = c.transfer
    return PendingClaimOut(
        reference=t.reference,
        reference_printed=printable(t.reference),
        order_id=c.order.id,
        order_title=c.order.title,
        sub_order_id=t.sub_order_id,
        amount=amount_text(t.amount_minor, t.currency),
        amount_minor=t.amount_minor,
        currency=t.currency,
        method=t.kind,
        payer=shown_payer(t.payer_ref, t.payer_name),
        payer_name=t.payer_name,
        issued_at=t.issued_at,
        claimed_at=t.claimed_at,
        utr=t.utr,
    )


def _reference(p: Payment) -> str | None:
    """A payment into the payee's own method is known by its transfer reference."""
    return p.payment_ref if p.gateway in DIRECT_KINDS else None


def payment_out(p: Payment) -> PaymentOut:
    return PaymentOut(
        payment_id=p.id,
        order_id=p.order_id,
        reference=_reference(p),
        amount=amount_text(p.amount_minor, p.currency),
        amount_minor=p.amount_minor,
        currency=p.currency,
        method=p.gateway,
        status=p.status,
        counted=p.counted,
        settled_by=p.settled_by,
        reason=p.reason,
    )


def return_out(owed: OwedReturn) -> ReturnOut:
    p = owed.payment
    return ReturnOut(
        payment_id=p.id,
        order_id=p.order_id,
        order_title=owed.order_title or None,
        amount=amount_text(p.amount_minor, p.currency),
        amount_minor=p.amount_minor,
        currency=p.currency,
        method=p.gateway,
        reference=_reference(p),
        reason=p.reason,
        payer_name=owed.payer_name,
        since=p.created_at,
    )


def statement_line(line: ImportedLine) -> StatementLineOut:
    return StatementLineOut(
        line_hash=line.line_hash[:LINE_HASH_SHOWN],
        booking_date=line.booking_date,
        amount=amount_text(line.amount_minor, line.currency),
        amount_minor=line.amount_minor,
        currency=line.currency,
        counterparty=line.counterparty,
        text=line.text,
        outcome=line.outcome,
        reference=line.reference,
        payment_id=line.payment_id,
        imported_at=line.imported_at,
    )


def import_report(report: ImportReport) -> StatementReportOut:
    return StatementReportOut(
        format=report.format,
        lines=report.lines,
        credits=report.credits,
        imported_again=report.again,
        matched=report.matched,
        outcomes=dict(report.outcomes),
        to_check=[statement_line(line) for line in report.to_check],
    )
