"""Use cases of a payee's own receiving methods (core.domain.methods): list, add, remove."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from core.domain.errors import Conflict, NotFound
from core.domain.methods import KIND_LABEL, MethodId, PayeeMethod, method_kind, new_method
from core.domain.model import PayeeId
from core.usecases.deps import UseCases

log = logging.getLogger(__name__)


class Methods(UseCases):
    """The methods one payee binds to their payee id: one per kind."""

    async def methods_of(self, payee_id: PayeeId) -> list[PayeeMethod]:
        async with self._d.store.transaction() as tx:
            return await tx.methods.methods_of(payee_id)

    async def add_method(
        self, payee_id: PayeeId, kind: str, given: Mapping[str, str | None]
    ) -> PayeeMethod:
        """A new method from what the payee typed (InvalidInput names a bad field); Conflict
        if they have one of this kind already (remove it first)."""
        d = self._d
        chosen = method_kind(kind)
        method = new_method(MethodId(d.ids.new_id("mth")), payee_id, chosen, given, d.clock.now())
        async with d.store.transaction() as tx:
            if await tx.payees.get_payee(payee_id) is None:
                raise NotFound("no such payee")
            if not await tx.methods.add_method(method):
                raise Conflict(
                    f"you have a {KIND_LABEL[chosen]} method already; remove it first to "
                    "add another",
                    kind=chosen.value,
                )
        log.info("payee %s added a %s method", payee_id, chosen.value)
        return method

    async def remove_method(self, payee_id: PayeeId, method_id: str) -> None:
        """Payers can no longer choose it; transfers already begun keep their reference."""
        async with self._d.store.transaction() as tx:
            if not await tx.methods.remove_method(payee_id, MethodId(method_id[:64])):
                raise NotFound("you have no method with this id")
        log.info("payee %s removed method %s", payee_id, method_id[:64])
