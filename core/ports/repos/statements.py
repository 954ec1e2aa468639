"""The repository of imported bank-statement lines (core.domain.matches)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from core.domain.matches import ImportedLine, LineOutcome
from core.domain.model import PayeeId, PaymentId


class StatementsRepo(Protocol):
    """Statement lines inside one transaction: storage.repos.statements and its fake
    (tests.support.fakes.repos.statements) implement it method for method, in this order."""

    async def known_lines(self, line_hashes: Sequence[str]) -> set[str]:
        """Which of these lines were imported before."""
        ...

    async def add_line(self, line: ImportedLine) -> bool:
        """False, changing nothing, if this line was imported before."""
        ...

    async def lines_of_payment(self, payment_id: PaymentId) -> int:
        """How many imported lines showed this payment's money (matched or known)."""
        ...

    async def lines_of(
        self, payee_id: PayeeId, outcomes: Sequence[LineOutcome], limit: int
    ) -> list[ImportedLine]:
        """The payee's lines with these outcomes, newest first."""
        ...
