"""In-memory codes: the fake of storage.repos.codes, method for method, over plain dicts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from core.domain.codes import CodeId, CodePayment, CodeState, Collection, CollectionId, StaticCode
from core.domain.errors import Conflict
from core.domain.model import (
    Order,
    OrderId,
    PayeeId,
    SubOrder,
    SubOrderState,
)
from tests.support.fakes.state import MemoryRepo


def _unbound(code: StaticCode) -> StaticCode:
    return StaticCode(code.id, code.token, code.short, CodeState.UNBOUND, code.created_at)


class InMemoryCodes(MemoryRepo):
    """Static codes and collections inside one transaction, over the in-memory state."""

    async def add_codes(self, codes: Sequence[StaticCode]) -> None:
        known = {c.short for c in self.s.codes.codes.values()}
        if any(c.short in known for c in codes):
            raise Conflict("short code taken")
        for c in codes:
            self.s.codes.codes[c.id] = c

    async def get_code(self, code_id: CodeId) -> StaticCode | None:
        return self.s.codes.codes.get(code_id)

    def _find(self, pred: Callable[[StaticCode], bool]) -> StaticCode | None:
        return next((c for c in self.s.codes.codes.values() if pred(c)), None)

    async def get_code_by_token(self, token: str) -> StaticCode | None:
        return self._find(lambda c: c.token == token)

    async def get_code_by_short(self, short: str) -> StaticCode | None:
        return self._find(lambda c: c.short == short)

    async def lock_binding(self, binding_id: str, *, lock: bool = True) -> StaticCode | None:
        return self._find(lambda c: c.binding_id == binding_id)

    async def codes_of(self, collection_id: CollectionId) -> list[StaticCode]:
        return [c for c in self.s.codes.codes.values() if c.collection_id == collection_id]

    async def bind_code(self, code: StaticCode) -> bool:
        current = self.s.codes.codes.get(code.id)
        if current is None or current.state != CodeState.UNBOUND:
            return False
        self.s.codes.codes[code.id] = code
        return True

    async def set_code_state(
        self, code_id: CodeId, collection_id: CollectionId, from_: CodeState, to: CodeState
    ) -> bool:
        c = self.s.codes.codes.get(code_id)
        if c is None or c.collection_id != collection_id or c.state != from_:
            return False
        self.s.codes.codes[code_id] = replace(c, state=to)
        return True

    async def unbind_code(self, code_id: CodeId, collection_id: CollectionId) -> bool:
        c = self.s.codes.codes.get(code_id)
        if c is None or c.collection_id != collection_id:
            return False
        self.s.codes.codes[code_id] = _unbound(c)
        return True

    async def move_binding(self, src: StaticCode, dst_id: CodeId) -> bool:
        c, dst = self.s.codes.codes.get(src.id), self.s.codes.codes.get(dst_id)
        if c is None or c.binding_id != src.binding_id or dst is None:
            return False
        if dst.state != CodeState.UNBOUND:
            return False
        self.s.codes.codes[src.id] = _unbound(c)
        self.s.codes.codes[dst_id] = replace(
            src, id=dst.id, token=dst.token, short=dst.short, created_at=dst.created_at
        )
        return True

    async def add_collection(self, collection: Collection) -> None:
        if any(c.payee_id == collection.payee_id for c in self.s.codes.collections.values()):
            raise Conflict("collection exists")
        self.s.codes.collections[collection.id] = collection

    async def get_collection(self, collection_id: CollectionId) -> Collection | None:
        return self.s.codes.collections.get(collection_id)

    async def collection_of_payee(self, payee_id: PayeeId) -> Collection | None:
        found = self.s.codes.collections.values()
        return next((c for c in found if c.payee_id == payee_id), None)

    async def set_collection_modes(self, collection_id: CollectionId, modes: Sequence[str]) -> None:
        c = self.s.codes.collections[collection_id]
        self.s.codes.collections[collection_id] = replace(c, modes=tuple(modes))

    async def link_code_order(self, order_id: OrderId, code_id: CodeId, binding_id: str) -> None:
        self.s.codes.links[order_id] = (code_id, binding_id)

    async def binding_of_order(self, order_id: OrderId) -> str | None:
        found = self.s.codes.links.get(order_id)
        return found[1] if found else None

    async def code_of_order(self, order_id: OrderId) -> CodeId | None:
        found = self.s.codes.links.get(order_id)
        return CodeId(found[0]) if found else None

    def _orders_of(self, binding_id: str) -> list[Order]:
        ids = [o for o, (_c, b) in self.s.codes.links.items() if b == binding_id]
        return [self.s.orders[o] for o in ids if o in self.s.orders]

    def _paid(self, binding_id: str) -> list[SubOrder]:
        ids = {o.id for o in self._orders_of(binding_id)}
        return [
            s
            for s in self.s.subs.values()
            if s.order_id in ids and s.state == SubOrderState.PAID and s.paid_at is not None
        ]

    async def binding_raised(self, binding_id: str) -> tuple[int, int]:
        found = self._orders_of(binding_id)
        kept = sum(o.paid_minor - o.refunded_minor for o in found)
        return kept, len(self._paid(binding_id))

    async def binding_paid_since(self, binding_id: str, since: datetime) -> int:
        return sum(
            s.amount_minor for s in self._paid(binding_id) if s.paid_at and s.paid_at >= since
        )

    async def last_code_payments(self, binding_id: str, limit: int) -> list[CodePayment]:
        subs = sorted(self._paid(binding_id), key=lambda s: (s.paid_at, s.id), reverse=True)
        return [
            CodePayment(s.order_id, s.amount_minor, s.paid_at, s.payer_name, s.gateway)
            for s in subs[:limit]
            if s.paid_at is not None
        ]

    async def set_goal_reached(self, binding_id: str, now: datetime) -> bool:
        c = self._find(lambda c: c.binding_id == binding_id)
        if c is None or c.goal_reached_at is not None:
            return False
        self.s.codes.codes[c.id] = replace(c, goal_reached_at=now)
        return True

    async def add_code_post(
        self, binding_id: str, chat_id: int, message_id: int, lang: str | None, now: datetime
    ) -> None:
        self.s.codes.posts[(binding_id, chat_id)] = (message_id, lang, now)

    async def code_posts(self, binding_id: str) -> list[tuple[int, int, str | None]]:
        found = [(k[1], v) for k, v in self.s.codes.posts.items() if k[0] == binding_id]
        return [(chat, m, lang) for chat, (m, lang, _at) in sorted(found, key=lambda x: x[1][2])]
