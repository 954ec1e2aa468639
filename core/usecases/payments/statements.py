"""A payee's bank statement, imported: each booked credit matched to a transfer by its reference
and amount, and confirmed as if the payee had confirmed it (core.usecases.payments.transfers).

Every line is kept by its hash (core.domain.statements.line_hashes), so importing the same file
again, or a later export that overlaps it, changes nothing. Each line is settled in its own
transaction with its record, so a crash part-way leaves the rest for the next import.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from core.domain.errors import Conflict, Unavailable
from core.domain.matches import ImportedLine, LineOutcome, imported, references_in
from core.domain.methods import Transfer
from core.domain.model import PayeeId, PaymentId, Settled
from core.domain.statements import Statement, StatementLine, line_hashes, pays
from core.ports.store import Tx
from core.usecases.deps import Deps, UseCases
from core.usecases.payments.close import Aftermath
from core.usecases.payments.gateway_calls import GatewayCalls
from core.usecases.payments.transfers import settle, settle_again

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_LISTED = 100


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What one import did: counts by outcome, and the lines the payee should look at."""

    format: str
    lines: int  # every line in the file
    credits: int  # booked credits, the lines that can pay a part
    again: int  # credits imported before: nothing done
    outcomes: dict[str, int]
    to_check: tuple[ImportedLine, ...]

    @property
    def matched(self) -> int:
        return self.outcomes.get(LineOutcome.MATCHED.value, 0)


class Statements(UseCases):
    """Bank statements a payee imports, and the lines that did not match."""

    def __init__(self, deps: Deps, calls: GatewayCalls) -> None:
        super().__init__(deps)
        self._calls = calls

    def read_statement(self, data: bytes, filename: str | None = None) -> Statement:
        """The file as a statement; StatementUnreadable (nothing changed) if it is not one."""
        reader = self._d.statements
        if reader is None:
            raise Unavailable("bank statements cannot be imported here")
        return reader(data, filename)

    async def import_statement(self, payee_id: PayeeId, statement: Statement) -> ImportReport:
        hashed = zip(statement.lines, line_hashes(statement, payee_id), strict=True)
        lines = [(line, line_hash) for line, line_hash in hashed if pays(line)]
        async with self._d.store.transaction() as tx:
            known = await tx.statements.known_lines([line_hash for _, line_hash in lines])
        outcomes: Counter[str] = Counter()
        to_check: list[ImportedLine] = []
        for line, line_hash in lines:
            if line_hash in known:
                continue
            record = await self._import_line(payee_id, line, line_hash)
            if record is None:
                continue  # imported meanwhile by a parallel import of the same file
            outcomes[record.outcome.value] += 1
            if record.outcome.needs_payee and len(to_check) < MAX_LISTED:
                to_check.append(record)
        again = len(lines) - sum(outcomes.values())
        log.info(
            "payee %s imported a %s statement: %d credits, %d again, %s",
            payee_id,
            statement.format,
            len(lines),
            again,
            dict(outcomes),
        )
        return ImportReport(
            statement.format,
            len(statement.lines),
            len(lines),
            again,
            dict(outcomes),
            tuple(to_check),
        )

    async def _import_line(
        self, payee_id: PayeeId, line: StatementLine, line_hash: str
    ) -> ImportedLine | None:
        """The line's record; None if another import recorded it first. A confirmation of
        the same transfer at the same moment (Conflict) is read back on the second try."""
        for _ in range(2):
            try:
                return await self._try_line(payee_id, line, line_hash)
            except Conflict:
                continue
        raise Conflict("this statement is being imported elsewhere; try again")

    async def _try_line(
        self, payee_id: PayeeId, line: StatementLine, line_hash: str
    ) -> ImportedLine | None:
        d = self._d
        now = d.clock.now()
        out = Aftermath()
        async with out.transaction(d.store, now) as tx:
            if await tx.statements.known_lines([line_hash]):
                return None
            transfer = await _transfer_of(tx, payee_id, line)
            outcome, payment_id = LineOutcome.UNMATCHED, None
            if transfer is not None:
                outcome = _amount_outcome(line, transfer)
                if outcome == LineOutcome.MATCHED and transfer.settled:
                    outcome, payment_id = await _seen(tx, transfer, line_hash, now, out, d)
                elif outcome == LineOutcome.MATCHED:
                    note = f"statement line {line_hash}"
                    p = await settle(tx, transfer, Settled.STATEMENT, note, now, out, d.ids.new_id)
                    outcome = LineOutcome.MATCHED if p.counted else LineOutcome.LATE
                    payment_id = p.id
            reference = transfer.reference if transfer is not None else None
            record = imported(line, line_hash, payee_id, now, outcome, reference, payment_id)
            await tx.statements.add_line(record)
        await self._calls.after(out)
        return record

    async def statement_lines(self, payee_id: PayeeId) -> list[ImportedLine]:
        """The payee's imported lines that did not match a part, newest first."""
        wanted = [o for o in LineOutcome if o.needs_payee]
        async with self._d.store.transaction() as tx:
            return await tx.statements.lines_of(payee_id, wanted, MAX_LISTED)


async def _seen(
    tx: Tx, transfer: Transfer, line_hash: str, now: datetime, out: Aftermath, d: Deps
) -> tuple[LineOutcome, PaymentId | None]:
    """A line for a transfer already recorded: the same money the payee confirmed by hand
    (known), or, when an earlier statement line showed that money already, a second
    payment (twice), owed back by hand."""
    if transfer.payment_id is None or not await tx.statements.lines_of_payment(transfer.payment_id):
        return LineOutcome.KNOWN, transfer.payment_id
    again = await settle_again(tx, transfer, line_hash, now, out, d.ids.new_id)
    return LineOutcome.TWICE, again.id


async def _transfer_of(tx: Tx, payee_id: PayeeId, line: StatementLine) -> Transfer | None:
    """The payee's transfer whose reference the line carries (the first, if several do)."""
    for reference in references_in(line):
        transfer = await tx.methods.get_transfer(reference)
        if transfer is not None and transfer.payee_id == payee_id:
            return transfer
    return None


def _amount_outcome(line: StatementLine, transfer: Transfer) -> LineOutcome:
    if line.currency != transfer.currency:
        return LineOutcome.UNMATCHED
    if line.amount_minor < transfer.amount_minor:
        return LineOutcome.UNDERPAID
    if line.amount_minor > transfer.amount_minor:
        return LineOutcome.OVERPAID
    return LineOutcome.MATCHED
