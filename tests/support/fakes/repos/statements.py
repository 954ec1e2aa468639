"""In-memory statement lines: the fake of storage.repos.statements, method for method."""

from __future__ import annotations

from collections.abc import Sequence

from core.domain.matches import ImportedLine, LineOutcome
from core.domain.model import PayeeId, PaymentId
from tests.support.fakes.state import MemoryRepo


class InMemoryStatements(MemoryRepo):
    """Statement lines inside one transaction, over the in-memory state."""

    async def known_lines(self, line_hashes: Sequence[str]) -> set[str]:
        return {h for h in line_hashes if h in self.s.methods.lines}

    async def add_line(self, line: ImportedLine) -> bool:
        if line.line_hash in self.s.methods.lines:
            return False
        self.s.methods.lines[line.line_hash] = line
        return True

    async def lines_of_payment(self, payment_id: PaymentId) -> int:
        seen = (LineOutcome.MATCHED, LineOutcome.KNOWN)
        return sum(
            1
            for line in self.s.methods.lines.values()
            if line.payment_id == payment_id and line.outcome in seen
        )

    async def lines_of(
        self, payee_id: PayeeId, outcomes: Sequence[LineOutcome], limit: int
    ) -> list[ImportedLine]:
        found = [
            line
            for line in self.s.methods.lines.values()
            if line.payee_id == payee_id and line.outcome in outcomes
        ]
        found.sort(key=lambda line: line.line_hash)
        found.sort(key=lambda line: line.imported_at, reverse=True)
        return found[:limit]
