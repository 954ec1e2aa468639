"""SQL for static codes, payees' collection IDs, and the orders payers made through codes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.domain.codes import (
    CodeId,
    CodeKind,
    CodePayment,
    CodeSpec,
    CodeState,
    Collection,
    CollectionId,
    StaticCode,
)
from core.domain.errors import InvariantViolation
from core.domain.model import OrderId, PayeeId, SubOrderState
from core.domain.money import currency
from storage.rows import TxBase, open_sealed
from storage.tables import code_orders, code_posts, collections, orders, static_codes, sub_orders

_C = static_codes.c
_BINDING_COLUMNS = (
    "collection_id",
    "binding_id",
    "kind",
    "title",
    "currency",
    "min_minor",
    "max_minor",
    "goal_minor",
    "deadline",
    "bound_at",
    "goal_reached_at",
    "display_name_sealed",
)
_UNBOUND = dict.fromkeys(_BINDING_COLUMNS) | {"state": CodeState.UNBOUND.value}


def _code(row: Any, display_name: str | None = None) -> StaticCode:
    spec = None
    if row["kind"] is not None:
        spec = CodeSpec(
            kind=CodeKind(row["kind"]),
            title=row["title"] or "",
            currency=currency(row["currency"]),
            min_minor=row["min_minor"],
            max_minor=row["max_minor"],
            goal_minor=row["goal_minor"],
            deadline=row["deadline"],
        )
    cid = row["collection_id"]
    return StaticCode(
        id=CodeId(row["id"]),
        token=row["token"],
        short=row["short"],
        state=CodeState(row["state"]),
        created_at=row["created_at"],
        collection_id=CollectionId(cid) if cid is not None else None,
        binding_id=row["binding_id"],
        spec=spec,
        bound_at=row["bound_at"],
        goal_reached_at=row["goal_reached_at"],
        display_name=display_name,
    )


def _binding_values(code: StaticCode, name_sealed: str | None) -> dict[str, Any]:
    spec = code.spec
    if spec is None or code.binding_id is None:
        raise InvariantViolation(f"code {code.id}: a binding needs its spec and id")
    return {
        "state": code.state.value,
        "collection_id": code.collection_id,
        "binding_id": code.binding_id,
        "kind": spec.kind.value,
        "title": spec.title,
        "currency": spec.currency.code,
        "min_minor": spec.min_minor,
        "max_minor": spec.max_minor,
        "goal_minor": spec.goal_minor,
        "deadline": spec.deadline,
        "bound_at": code.bound_at,
        "goal_reached_at": code.goal_reached_at,
        "display_name_sealed": name_sealed,
    }


class CodesSql(TxBase):
    """Static codes and collections inside one transaction."""

    def _to_code(self, row: Any) -> StaticCode:
        what = f"code {row['id']}: display name"
        return _code(row, open_sealed(self._sealer, what, row["display_name_sealed"], None))

    def _bind_values(self, code: StaticCode) -> dict[str, Any]:
        name = code.display_name
        return _binding_values(code, self._sealer.seal(name) if name is not None else None)

    async def _one_code(
        self, where: sa.ColumnElement[bool], lock: bool = False
    ) -> StaticCode | None:
        stmt = sa.select(static_codes).where(where)
        if lock and self._dialect == "postgresql":
            stmt = stmt.with_for_update()
        row = (await self._conn.execute(stmt)).mappings().first()
        return self._to_code(row) if row is not None else None

    async def add_codes(self, codes: Sequence[StaticCode]) -> None:
        rows = [
            {"id": c.id, "token": c.token, "short": c.short, "state": c.state.value}
            | {"created_at": c.created_at}
            for c in codes
        ]
        await self._conn.execute(sa.insert(static_codes), rows)

    async def get_code(self, code_id: CodeId) -> StaticCode | None:
        return await self._one_code(_C.id == code_id)

    async def get_code_by_token(self, token: str) -> StaticCode | None:
        return await self._one_code(_C.token == token)

    async def get_code_by_short(self, short: str) -> StaticCode | None:
        return await self._one_code(_C.short == short)

    async def lock_binding(self, binding_id: str, *, lock: bool = True) -> StaticCode | None:
        return await self._one_code(_C.binding_id == binding_id, lock)

    async def codes_of(self, collection_id: CollectionId) -> list[StaticCode]:
        stmt = sa.select(static_codes).where(_C.collection_id == collection_id)
        rows = await self._conn.execute(stmt.order_by(_C.bound_at, _C.id))
        return [self._to_code(r) for r in rows.mappings()]

    async def bind_code(self, code: StaticCode) -> bool:
        stmt = (
            sa.update(static_codes)
            .where(_C.id == code.id, _C.state == CodeState.UNBOUND.value)
            .values(self._bind_values(code))
        )
        return (await self._conn.execute(stmt)).rowcount == 1

    async def set_code_state(
        self, code_id: CodeId, collection_id: CollectionId, from_: CodeState, to: CodeState
    ) -> bool:
        stmt = (
            sa.update(static_codes)
            .where(_C.id == code_id, _C.collection_id == collection_id, _C.state == from_.value)
            .values(state=to.value)
        )
        return (await self._conn.execute(stmt)).rowcount == 1

    async def unbind_code(self, code_id: CodeId, collection_id: CollectionId) -> bool:
        stmt = (
            sa.update(static_codes)
            .where(_C.id == code_id, _C.collection_id == collection_id)
            .values(_UNBOUND)
        )
        return (await self._conn.execute(stmt)).rowcount == 1

    async def move_binding(self, src: StaticCode, dst_id: CodeId) -> bool:
        """The source is unbound first (the binding id is unique), then the target bound."""
        gone = await self._conn.execute(
            sa.update(static_codes)
            .where(_C.id == src.id, _C.binding_id == src.binding_id)
            .values(_UNBOUND)
        )
        if gone.rowcount != 1:
            return False
        fresh = await self._conn.execute(
            sa.update(static_codes)
            .where(_C.id == dst_id, _C.state == CodeState.UNBOUND.value)
            .values(self._bind_values(src))
        )
        if fresh.rowcount != 1:
            # Put the source back as it was: the caller's transaction commits no half move.
            await self._conn.execute(
                sa.update(static_codes).where(_C.id == src.id).values(self._bind_values(src))
            )
            return False
        return True

    async def add_collection(self, collection: Collection) -> None:
        await self._conn.execute(
            sa.insert(collections).values(
                id=collection.id,
                payee_id=collection.payee_id,
                display_name_sealed=self._sealer.seal(collection.display_name),
                modes=",".join(collection.modes),
                created_at=collection.created_at,
            )
        )

    async def _one_collection(self, where: sa.ColumnElement[bool]) -> Collection | None:
        row = (await self._conn.execute(sa.select(collections).where(where))).mappings().first()
        if row is None:
            return None
        what = f"collection {row['id']}: display name"
        name = open_sealed(self._sealer, what, row["display_name_sealed"], None) or ""
        modes = tuple(m for m in row["modes"].split(",") if m)
        return Collection(
            CollectionId(row["id"]), PayeeId(row["payee_id"]), name, modes, row["created_at"]
        )

    async def get_collection(self, collection_id: CollectionId) -> Collection | None:
        return await self._one_collection(collections.c.id == collection_id)

    async def collection_of_payee(self, payee_id: PayeeId) -> Collection | None:
        return await self._one_collection(collections.c.payee_id == payee_id)

    async def set_collection_modes(self, collection_id: CollectionId, modes: Sequence[str]) -> None:
        await self._conn.execute(
            sa.update(collections)
            .where(collections.c.id == collection_id)
            .values(modes=",".join(modes))
        )

    async def link_code_order(self, order_id: OrderId, code_id: CodeId, binding_id: str) -> None:
        await self._conn.execute(
            sa.insert(code_orders).values(order_id=order_id, code_id=code_id, binding_id=binding_id)
        )

    async def binding_of_order(self, order_id: OrderId) -> str | None:
        stmt = sa.select(code_orders.c.binding_id).where(code_orders.c.order_id == order_id)
        found = await self._conn.scalar(stmt)
        return str(found) if found is not None else None

    async def code_of_order(self, order_id: OrderId) -> CodeId | None:
        stmt = sa.select(code_orders.c.code_id).where(code_orders.c.order_id == order_id)
        found = await self._conn.scalar(stmt)
        return CodeId(found) if found is not None else None

    async def binding_raised(self, binding_id: str) -> tuple[int, int]:
        o = orders.c
        stmt = (
            sa.select(sa.func.coalesce(sa.func.sum(o.paid_minor - o.refunded_minor), 0))
            .select_from(code_orders.join(orders, orders.c.id == code_orders.c.order_id))
            .where(code_orders.c.binding_id == binding_id)
        )
        kept = await self._conn.scalar(stmt)
        paid = self._paid_subs(binding_id).subquery()
        count = await self._conn.scalar(sa.select(sa.func.count()).select_from(paid))
        return int(kept or 0), int(count or 0)

    def _paid_subs(self, binding_id: str) -> Any:
        s = sub_orders.c
        return (
            sa.select(sub_orders)
            .select_from(code_orders.join(sub_orders, s.order_id == code_orders.c.order_id))
            .where(code_orders.c.binding_id == binding_id, s.state == SubOrderState.PAID.value)
        )

    async def binding_paid_since(self, binding_id: str, since: datetime) -> int:
        paid = self._paid_subs(binding_id).where(sub_orders.c.paid_at >= since).subquery()
        total = await self._conn.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(paid.c.amount_minor), 0))
        )
        return int(total or 0)

    async def last_code_payments(self, binding_id: str, limit: int) -> list[CodePayment]:
        s = sub_orders.c
        stmt = self._paid_subs(binding_id).order_by(s.paid_at.desc(), s.id.desc()).limit(limit)
        found = []
        for row in (await self._conn.execute(stmt)).mappings():
            what = f"sub-order {row['id']} payer name"
            name = open_sealed(self._sealer, what, row["payer_name_sealed"], row["payer_name"])
            found.append(
                CodePayment(
                    row["order_id"], row["amount_minor"], row["paid_at"], name, row["gateway"]
                )
            )
        return found

    async def set_goal_reached(self, binding_id: str, now: datetime) -> bool:
        stmt = (
            sa.update(static_codes)
            .where(_C.binding_id == binding_id, _C.goal_reached_at.is_(None))
            .values(goal_reached_at=now)
        )
        return (await self._conn.execute(stmt)).rowcount == 1

    async def add_code_post(
        self, binding_id: str, chat_id: int, message_id: int, lang: str | None, now: datetime
    ) -> None:
        p = code_posts.c
        await self._conn.execute(
            sa.delete(code_posts).where(p.binding_id == binding_id, p.chat_id == chat_id)
        )
        await self._conn.execute(
            sa.insert(code_posts).values(
                binding_id=binding_id,
                chat_id=chat_id,
                message_id=message_id,
                lang=lang,
                created_at=now,
            )
        )

    async def code_posts(self, binding_id: str) -> list[tuple[int, int, str | None]]:
        p = code_posts.c
        stmt = sa.select(p.chat_id, p.message_id, p.lang).where(p.binding_id == binding_id)
        rows = await self._conn.execute(stmt.order_by(p.created_at))
        return [(int(r[0]), int(r[1]), r[2]) for r in rows]
