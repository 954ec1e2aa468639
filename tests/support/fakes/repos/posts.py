"""In-memory posts: the fake of storage.repos.posts, method for method, over plain dicts."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from core.domain.model import (
    OrderId,
    OrderPost,
    OrderState,
)
from tests.support.fakes.state import MemoryRepo


class InMemoryPosts(MemoryRepo):
    """Order posts inside one transaction, over the in-memory state."""

    async def add_post(self, post: OrderPost) -> None:
        self.s.posts.append(post)

    async def get_posts(self, order_id: OrderId) -> list[OrderPost]:
        return [p for p in self.s.posts if p.order_id == order_id]

    def _open(self, post: OrderPost) -> bool:
        return self.s.orders[post.order_id].state == OrderState.OPEN

    async def open_posts_in_chat(self, chat_id: int) -> list[OrderPost]:
        found = [p for p in self.s.posts if p.chat_id == chat_id and self._open(p)]
        return sorted(found, key=lambda p: p.created_at, reverse=True)

    async def unfinished_posts(self, limit: int) -> list[OrderPost]:
        return [p for p in self.s.posts if self._open(p) or not p.final_shown][:limit]

    async def mark_final_shown(self, order_id: OrderId, chat_id: int) -> None:
        for i, p in enumerate(self.s.posts):
            if p.order_id == order_id and p.chat_id == chat_id:
                self.s.posts[i] = replace(p, final_shown=True)

    async def set_shown(self, order_id: OrderId, chat_id: int, key: str | None) -> None:
        for i, p in enumerate(self.s.posts):
            if p.order_id == order_id and p.chat_id == chat_id:
                self.s.posts[i] = replace(p, shown_key=key)

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        moved = 0
        for i, p in enumerate(self.s.posts):
            if p.chat_id == old_chat_id:
                self.s.posts[i] = replace(
                    p,
                    chat_id=new_chat_id,
                    qr_message_id=None,
                    progress_message_id=None,
                    shown_key=None,
                )
                moved += 1
        return moved

    async def set_progress_message(self, order_id: OrderId, chat_id: int, message_id: int) -> None:
        for i, p in enumerate(self.s.posts):
            if p.order_id == order_id and p.chat_id == chat_id:
                self.s.posts[i] = replace(p, progress_message_id=message_id)

    async def set_reminded(self, order_id: OrderId, chat_id: int, now: datetime) -> None:
        for i, p in enumerate(self.s.posts):
            if p.order_id == order_id and p.chat_id == chat_id:
                self.s.posts[i] = replace(p, reminded_at=now)
