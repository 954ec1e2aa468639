"""SQL for imported bank-statement lines, kept by hash (core.domain.matches)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from core.domain.matches import ImportedLine, LineOutcome, details_of
from core.domain.model import PayeeId, PaymentId
from storage.rows import TxBase, aware
from storage.tables import statement_lines


class StatementsSql(TxBase):
    """Statement lines inside one transaction."""

    async def known_lines(self, line_hashes: Sequence[str]) -> set[str]:
        if not line_hashes:
            return set()
        stmt = sa.select(statement_lines.c.line_hash).where(
            statement_lines.c.line_hash.in_(list(line_hashes))
        )
        return set((await self._conn.execute(stmt)).scalars())

    async def add_line(self, line: ImportedLine) -> bool:
        if await self.known_lines([line.line_hash]):
            return False
        values = {
            "line_hash": line.line_hash,
            "payee_id": line.payee_id,
            "imported_at": line.imported_at,
            "outcome": line.outcome.value,
            "amount_minor": line.amount_minor,
            "currency": line.currency,
            "reference": line.reference,
            "payment_id": line.payment_id,
            "details_sealed": self._sealer.seal(line.details_json()),
        }
        await self._conn.execute(sa.insert(statement_lines).values(values))
        return True

    async def lines_of_payment(self, payment_id: PaymentId) -> int:
        stmt = sa.select(sa.func.count()).where(
            statement_lines.c.payment_id == payment_id,
            statement_lines.c.outcome.in_([LineOutcome.MATCHED.value, LineOutcome.KNOWN.value]),
        )
        return int((await self._conn.execute(stmt)).scalar_one())

    async def lines_of(
        self, payee_id: PayeeId, outcomes: Sequence[LineOutcome], limit: int
    ) -> list[ImportedLine]:
        stmt = (
            sa.select(statement_lines)
            .where(
                statement_lines.c.payee_id == payee_id,
                statement_lines.c.outcome.in_([o.value for o in outcomes]),
            )
            .order_by(statement_lines.c.imported_at.desc(), statement_lines.c.line_hash)
            .limit(limit)
        )
        found = []
        for r in (await self._conn.execute(stmt)).mappings():
            day, counterparty, text = details_of(self._sealer.open(r["details_sealed"]))
            payment = r["payment_id"]
            found.append(
                ImportedLine(
                    r["line_hash"],
                    PayeeId(r["payee_id"]),
                    aware(r["imported_at"]),
                    LineOutcome(r["outcome"]),
                    int(r["amount_minor"]),
                    r["currency"],
                    r["reference"],
                    PaymentId(payment) if payment is not None else None,
                    day,
                    counterparty,
                    text,
                )
            )
        return found
