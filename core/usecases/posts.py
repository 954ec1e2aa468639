"""Use cases of the chat interface: where orders are posted, chat moves, reminders."""

from __future__ import annotations

from core.domain.events import ReminderDue
from core.domain.model import OrderId, OrderPost, Payee, PayeeId
from core.usecases.deps import OrderView, UseCases


class Posts(UseCases):
    """Where orders are posted in chats, and the progress messages there."""

    async def attach_post(
        self,
        order_id: str,
        chat_id: int,
        qr_message_id: int | None,
        progress_message_id: int,
        *,
        lang: str | None = None,
        payee_name: str | None = None,
        shown_key: str | None = None,
    ) -> OrderPost:
        post = OrderPost(
            OrderId(order_id),
            chat_id,
            qr_message_id,
            progress_message_id,
            self._d.clock.now(),
            lang=lang,
            payee_name=(payee_name or "")[:200] or None,
            shown_key=shown_key,
        )
        async with self._d.store.transaction() as tx:
            await tx.posts.add_post(post)
        return post

    async def posts_of(self, order_id: str) -> list[OrderPost]:
        async with self._d.store.transaction() as tx:
            return await tx.posts.get_posts(OrderId(order_id))

    async def open_orders_in_chat(self, chat_id: int) -> list[tuple[OrderPost, OrderView]]:
        async with self._d.store.transaction() as tx:
            posts = await tx.posts.open_posts_in_chat(chat_id)
            views = []
            for post in posts:
                order = await tx.orders.get_order(post.order_id)
                if order is not None:
                    subs = await tx.sub_orders.get_sub_orders(order.id)
                    views.append((post, OrderView(order, tuple(subs))))
        return views

    async def unfinished_posts(self) -> list[OrderPost]:
        """What start-up brings up to date: open orders' posts, and closed orders' whose
        final state was not shown yet (Chipin stopped first, or Telegram was failing)."""
        async with self._d.store.transaction() as tx:
            return await tx.posts.unfinished_posts(10_000)

    async def final_shown(self, order_id: str, chat_id: int) -> None:
        """The progress message in this chat shows its closed order's final state."""
        async with self._d.store.transaction() as tx:
            await tx.posts.mark_final_shown(OrderId(order_id), chat_id)

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        """A group became a supergroup (new chat id): its orders and the letters waiting
        for it follow it; the number of posts moved."""
        async with self._d.store.transaction() as tx:
            await tx.outbox.move_letters(old_chat_id, new_chat_id)
            return await tx.posts.move_chat(old_chat_id, new_chat_id)

    async def repost_progress(self, order_id: str, chat_id: int, message_id: int) -> None:
        """The progress message was posted again (after a migration): remember the new one."""
        async with self._d.store.transaction() as tx:
            await tx.posts.set_progress_message(OrderId(order_id), chat_id, message_id)

    async def remind(self, order_id: str, chat_id: int) -> None:
        """Those who have not paid are reminded in this chat: the reminder goes through the
        outbox, in the transaction that notes it was sent."""
        now = self._d.clock.now()
        event = ReminderDue(OrderId(order_id), now, chat_id)
        async with self._d.store.transaction() as tx:
            await tx.posts.set_reminded(OrderId(order_id), chat_id, now)
            await tx.outbox.add_events([event], now)
        await self._d.publish([event])

    async def set_shown(self, order_id: str, chat_id: int, key: str | None) -> None:
        """What the progress message in this chat shows now (None: unknown, edit it)."""
        async with self._d.store.transaction() as tx:
            await tx.posts.set_shown(OrderId(order_id), chat_id, key)

    async def payee(self, payee_id: PayeeId) -> Payee | None:
        async with self._d.store.transaction() as tx:
            return await tx.payees.get_payee(payee_id)

    async def order_view(self, order_id: str) -> OrderView | None:
        """Any order by id, for the interfaces that already know it (no ownership check)."""
        async with self._d.store.transaction() as tx:
            order = await tx.orders.get_order(OrderId(order_id))
            if order is None:
                return None
            return OrderView(order, tuple(await tx.sub_orders.get_sub_orders(order.id)))
