"""The repository of where orders are posted in chats (QR card and progress message)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.domain.model import (
    OrderId,
    OrderPost,
)


class PostsRepo(Protocol):
    """Posts inside one transaction: storage.repos.posts and its fake
    (tests.support.fakes.repos.posts) implement it method for method, in this order."""

    async def add_post(self, post: OrderPost) -> None: ...

    async def get_posts(self, order_id: OrderId) -> list[OrderPost]: ...

    async def open_posts_in_chat(self, chat_id: int) -> list[OrderPost]: ...

    async def unfinished_posts(self, limit: int) -> list[OrderPost]:
        """Posts whose progress message may lag their order: every post of an open order,
        and those of a closed one not marked `final_shown` yet."""
        ...

    async def mark_final_shown(self, order_id: OrderId, chat_id: int) -> None: ...

    async def set_shown(self, order_id: OrderId, chat_id: int, key: str | None) -> None:
        """What the post's progress message shows now (bot.views.progress_key)."""
        ...

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        """Posts follow a migrated group; their message ids (in the old group) are cleared."""
        ...

    async def set_progress_message(
        self, order_id: OrderId, chat_id: int, message_id: int
    ) -> None: ...

    async def set_reminded(self, order_id: OrderId, chat_id: int, now: datetime) -> None: ...
