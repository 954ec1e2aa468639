"""SQL for where orders are posted in chats (QR card and progress message)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.domain.model import OrderId, OrderPost, OrderState
from core.ports.store import Sealer
from storage.rows import TxBase, open_sealed, sealed
from storage.tables import order_posts, orders

_P = order_posts.c


def _post(row: Any, sealer: Sealer) -> OrderPost:
    what = f"a post of order {row['order_id']}: payee name"  # no chat id: it may be a user's
    return OrderPost(
        order_id=OrderId(row["order_id"]),
        chat_id=int(row["chat_id"]),
        qr_message_id=row["qr_message_id"],
        progress_message_id=row["progress_message_id"],
        created_at=row["created_at"],
        reminded_at=row["reminded_at"],
        lang=row["lang"],
        payee_name=open_sealed(sealer, what, row["payee_name_sealed"], row["payee_name"]),
        final_shown=bool(row["final_shown"]),
        shown_key=row["shown_key"],
    )


class PostsSql(TxBase):
    """Order posts inside one transaction."""

    async def _posts(self, stmt: Any) -> list[OrderPost]:
        return [_post(r, self._sealer) for r in (await self._conn.execute(stmt)).mappings()]

    async def add_post(self, post: OrderPost) -> None:
        await self._conn.execute(
            sa.insert(order_posts).values(
                order_id=post.order_id,
                chat_id=post.chat_id,
                qr_message_id=post.qr_message_id,
                progress_message_id=post.progress_message_id,
                created_at=post.created_at,
                reminded_at=post.reminded_at,
                lang=post.lang,
                payee_name_sealed=sealed(self._sealer, post.payee_name),
                final_shown=post.final_shown,
                shown_key=post.shown_key,
            )
        )

    async def get_posts(self, order_id: OrderId) -> list[OrderPost]:
        stmt = sa.select(order_posts).where(_P.order_id == order_id).order_by(_P.created_at)
        return await self._posts(stmt)

    async def open_posts_in_chat(self, chat_id: int) -> list[OrderPost]:
        """Posts in the chat whose order is still open, the newest first."""
        stmt = (
            sa.select(order_posts)
            .join(orders, orders.c.id == _P.order_id)
            .where(_P.chat_id == chat_id, orders.c.state == OrderState.OPEN.value)
            .order_by(_P.created_at.desc())
        )
        return await self._posts(stmt)

    async def unfinished_posts(self, limit: int) -> list[OrderPost]:
        stmt = (
            sa.select(order_posts)
            .join(orders, orders.c.id == _P.order_id)
            .where(sa.or_(orders.c.state == OrderState.OPEN.value, _P.final_shown.is_(False)))
            .order_by(_P.created_at)
            .limit(limit)
        )
        return await self._posts(stmt)

    async def mark_final_shown(self, order_id: OrderId, chat_id: int) -> None:
        stmt = (
            sa.update(order_posts)
            .where(_P.order_id == order_id, _P.chat_id == chat_id)
            .values(final_shown=True)
        )
        await self._conn.execute(stmt)

    async def set_shown(self, order_id: OrderId, chat_id: int, key: str | None) -> None:
        stmt = (
            sa.update(order_posts)
            .where(_P.order_id == order_id, _P.chat_id == chat_id)
            .values(shown_key=key)
        )
        await self._conn.execute(stmt)

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        """A group became a supergroup: its posts now live under the new chat id.

        The old messages stay behind in the old group, so their ids are cleared: the
        progress message is posted afresh in the supergroup.
        """
        result = await self._conn.execute(
            sa.update(order_posts)
            .where(_P.chat_id == old_chat_id)
            .values(
                chat_id=new_chat_id,
                qr_message_id=None,
                progress_message_id=None,
                shown_key=None,
            )
        )
        return int(result.rowcount)

    async def set_progress_message(self, order_id: OrderId, chat_id: int, message_id: int) -> None:
        await self._conn.execute(
            sa.update(order_posts)
            .where(_P.order_id == order_id, _P.chat_id == chat_id)
            .values(progress_message_id=message_id)
        )

    async def set_reminded(self, order_id: OrderId, chat_id: int, now: datetime) -> None:
        await self._conn.execute(
            sa.update(order_posts)
            .where(_P.order_id == order_id, _P.chat_id == chat_id)
            .values(reminded_at=now)
        )
