"""The repository of static codes, payees' collection IDs, and the orders payers made through
codes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from core.domain.codes import CodeId, CodePayment, CodeState, Collection, CollectionId, StaticCode
from core.domain.model import (
    OrderId,
    PayeeId,
)


class CodesRepo(Protocol):
    """Codes inside one transaction: storage.repos.codes and its fake
    (tests.support.fakes.repos.codes) implement it method for method, in this order."""

    async def add_codes(self, codes: Sequence[StaticCode]) -> None: ...

    async def get_code(self, code_id: CodeId) -> StaticCode | None: ...

    async def get_code_by_token(self, token: str) -> StaticCode | None: ...

    async def get_code_by_short(self, short: str) -> StaticCode | None: ...

    async def lock_binding(self, binding_id: str, *, lock: bool = True) -> StaticCode | None:
        """The code holding this binding; `lock`: its row locked until commit (PostgreSQL),
        so fund totals summed after it see every payment committed before."""
        ...

    async def codes_of(self, collection_id: CollectionId) -> list[StaticCode]: ...

    async def bind_code(self, code: StaticCode) -> bool:
        """Write the code's binding where the code is still unbound; False if it is not."""
        ...

    async def set_code_state(
        self, code_id: CodeId, collection_id: CollectionId, from_: CodeState, to: CodeState
    ) -> bool: ...

    async def unbind_code(self, code_id: CodeId, collection_id: CollectionId) -> bool:
        """Clear the binding of a code bound to this collection; False if it is not."""
        ...

    async def move_binding(self, src: StaticCode, dst_id: CodeId) -> bool:
        """Give `src`'s binding to the unbound code `dst_id` and unbind `src`; False if
        `dst_id` is not unbound or `src` changed meanwhile."""
        ...

    async def add_collection(self, collection: Collection) -> None: ...

    async def get_collection(self, collection_id: CollectionId) -> Collection | None: ...

    async def collection_of_payee(self, payee_id: PayeeId) -> Collection | None: ...

    async def set_collection_modes(
        self, collection_id: CollectionId, modes: Sequence[str]
    ) -> None: ...

    async def link_code_order(
        self, order_id: OrderId, code_id: CodeId, binding_id: str
    ) -> None: ...

    async def binding_of_order(self, order_id: OrderId) -> str | None:
        """The binding an order was made under (None: not a static code's order)."""
        ...

    async def code_of_order(self, order_id: OrderId) -> CodeId | None:
        """The code an order was made through (None: not a static code's order)."""
        ...

    async def binding_raised(self, binding_id: str) -> tuple[int, int]:
        """Money kept (paid less refunded) and the payments kept (not refunded) under a
        binding."""
        ...

    async def binding_paid_since(self, binding_id: str, since: datetime) -> int: ...

    async def last_code_payments(self, binding_id: str, limit: int) -> list[CodePayment]: ...

    async def set_goal_reached(self, binding_id: str, now: datetime) -> bool:
        """Mark the fund's goal reached, once: False if it was already marked."""
        ...

    async def add_code_post(
        self, binding_id: str, chat_id: int, message_id: int, lang: str | None, now: datetime
    ) -> None: ...

    async def code_posts(self, binding_id: str) -> list[tuple[int, int, str | None]]:
        """(chat id, message id, language) of the binding's live progress messages."""
        ...
