"""The static-code part of the in-memory store (core.ports.codes.CodesTx) over plain dicts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from core.domain.codes import CodeId, CodePayment, CodeState, Collection, CollectionId, StaticCode
from core.domain.errors import Conflict
from core.domain.model import Order, OrderId, PayeeId, SubOrder, SubOrderState


@dataclass
class CodesState:
    codes: dict[str, StaticCode] = field(default_factory=dict)
    collections: dict[str, Collection] = field(default_factory=dict)
    links: dict[str, tuple[str, str]] = field(default_factory=dict)  # order -> (code, binding)
    posts: dict[tuple[str, int], tuple[int, str | None, datetime]] = field(default_factory=dict)


def _unbound(code: StaticCode) -> StaticCode:
    return StaticCode(code.id, code.token, code.short, CodeState.UNBOUND, code.created_at)


class InMemoryCodesTx:
    """Mixed into InMemoryTx (tests.support.fakes.store): `codes_state`, `orders`, `subs`
    come from there."""

    codes_state: CodesState
    all_orders: dict[str, Order]
    subs_by_id: dict[str, SubOrder]

    def _find(self, pred: Callable[[StaticCode], bool]) -> StaticCode | None:
        return next((c for c in self.codes_state.codes.values() if pred(c)), None)

    async def add_codes(self, codes: Sequence[StaticCode]) -> None:
        known = {c.short for c in self.codes_state.codes.values()}
        if any(c.short in known for c in codes):
            raise Conflict("short code taken")
        for c in codes:
            self.codes_state.codes[c.id] = c

    async def get_code(self, code_id: CodeId) -> StaticCode | None:
        return self.codes_state.codes.get(code_id)

    async def get_code_by_token(self, token: str) -> StaticCode | None:
        return self._find(lambda c: c.token == token)

    async def get_code_by_short(self, short: str) -> StaticCode | None:
        return self._find(lambda c: c.short == short)

    async def lock_binding(self, binding_id: str, *, lock: bool = True) -> StaticCode | None:
        return self._find(lambda c: c.binding_id == binding_id)

    async def codes_of(self, collection_id: CollectionId) -> list[StaticCode]:
        return [c for c in self.codes_state.codes.values() if c.collection_id == collection_id]

    async def bind_code(self, code: StaticCode) -> bool:
        current = self.codes_state.codes.get(code.id)
        if current is None or current.state != CodeState.UNBOUND:
            return False
        self.codes_state.codes[code.id] = code
        return True

    async def set_code_state(
        self, code_id: CodeId, collection_id: CollectionId, from_: CodeState, to: CodeState
    ) -> bool:
        c = self.codes_state.codes.get(code_id)
        if c is None or c.collection_id != collection_id or c.state != from_:
            return False
        self.codes_state.codes[code_id] = replace(c, state=to)
        return True

    async def unbind_code(self, code_id: CodeId, collection_id: CollectionId) -> bool:
        c = self.codes_state.codes.get(code_id)
        if c is None or c.collection_id != collection_id:
            return False
        self.codes_state.codes[code_id] = _unbound(c)
        return True

    async def move_binding(self, src: StaticCode, dst_id: CodeId) -> bool:
        c, dst = self.codes_state.codes.get(src.id), self.codes_state.codes.get(dst_id)
        if c is None or c.binding_id != src.binding_id or dst is None:
            return False
        if dst.state != CodeState.UNBOUND:
            return False
        self.codes_state.codes[src.id] = _unbound(c)
        self.codes_state.codes[dst_id] = replace(
            src, id=dst.id, token=dst.token, short=dst.short, created_at=dst.created_at
        )
        return True

    async def add_collection(self, collection: Collection) -> None:
        if any(c.payee_id == collection.payee_id for c in self.codes_state.collections.values()):
            raise Conflict("collection exists")
        self.codes_state.collections[collection.id] = collection

    async def get_collection(self, collection_id: CollectionId) -> Collection | None:
        return self.codes_state.collections.get(collection_id)

    async def collection_of_payee(self, payee_id: PayeeId) -> Collection | None:
        found = self.codes_state.collections.values()
        return next((c for c in found if c.payee_id == payee_id), None)

    async def set_collection_modes(self, collection_id: CollectionId, modes: Sequence[str]) -> None:
        c = self.codes_state.collections[collection_id]
        self.codes_state.collections[collection_id] = replace(c, modes=tuple(modes))

    async def link_code_order(self, order_id: OrderId, code_id: CodeId, binding_id: str) -> None:
        self.codes_state.links[order_id] = (code_id, binding_id)

    async def binding_of_order(self, order_id: OrderId) -> str | None:
        found = self.codes_state.links.get(order_id)
        return found[1] if found else None

    async def code_of_order(self, order_id: OrderId) -> CodeId | None:
        found = self.codes_state.links.get(order_id)
        return CodeId(found[0]) if found else None

    def _orders_of(self, binding_id: str) -> list[Order]:
        ids = [o for o, (_c, b) in self.codes_state.links.items() if b == binding_id]
        return [self.all_orders[o] for o in ids if o in self.all_orders]

    async def binding_raised(self, binding_id: str) -> tuple[int, int]:
        found = self._orders_of(binding_id)
        kept = sum(o.paid_minor - o.refunded_minor for o in found)
        return kept, len(self._paid(binding_id))

    def _paid(self, binding_id: str) -> list[SubOrder]:
        ids = {o.id for o in self._orders_of(binding_id)}
        return [
            s
            for s in self.subs_by_id.values()
            if s.order_id in ids and s.state == SubOrderState.PAID and s.paid_at is not None
        ]

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
        self.codes_state.codes[c.id] = replace(c, goal_reached_at=now)
        return True

    async def add_code_post(
        self, binding_id: str, chat_id: int, message_id: int, lang: str | None, now: datetime
    ) -> None:
        self.codes_state.posts[(binding_id, chat_id)] = (message_id, lang, now)

    async def code_posts(self, binding_id: str) -> list[tuple[int, int, str | None]]:
        found = [(k[1], v) for k, v in self.codes_state.posts.items() if k[0] == binding_id]
        return [(chat, m, lang) for chat, (m, lang, _at) in sorted(found, key=lambda x: x[1][2])]
