"""The repositories of payees' own receiving methods and of the transfer references given to
payers (core.domain.methods)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.domain.methods import MethodId, PayeeMethod, Transfer
from core.domain.model import MethodKind, OrderId, PayeeId, PaymentId


class MethodsRepo(Protocol):
    """Methods and transfers inside one transaction: storage.repos.methods and its fake
    (tests.support.fakes.repos.methods) implement it method for method, in this order."""

    async def add_method(self, method: PayeeMethod) -> bool:
        """False, changing nothing, if the payee has a method of this kind already."""
        ...

    async def methods_of(self, payee_id: PayeeId) -> list[PayeeMethod]:
        """The payee's methods, oldest first."""
        ...

    async def method_of_kind(self, payee_id: PayeeId, kind: MethodKind) -> PayeeMethod | None: ...

    async def remove_method(self, payee_id: PayeeId, method_id: MethodId) -> bool: ...

    async def add_transfer(self, transfer: Transfer) -> None:
        """A new reference (unique: a clash is core.domain.errors.Conflict)."""
        ...

    async def get_transfer(self, reference: str) -> Transfer | None: ...

    async def claim_transfer(self, reference: str, now: datetime, utr: str | None) -> bool:
        """The payer says they paid: claimed_at (and the UTR) set, once."""
        ...

    async def settle_transfer(self, reference: str, payment_id: PaymentId) -> bool:
        """The money was recorded under this payment: set once (False if set already)."""
        ...

    async def deny_transfer(self, reference: str, now: datetime) -> bool:
        """The payee said it has not arrived: denied_at set, once, if no money is recorded."""
        ...

    async def waiting_claims(self, payee_id: PayeeId, limit: int) -> list[Transfer]:
        """The payee's claimed transfers still to decide (neither recorded nor denied) whose
        part is still claimed for them, or was closed with the claim open; oldest claim
        first."""
        ...

    async def transfers_of_order(self, order_id: OrderId) -> list[Transfer]: ...
