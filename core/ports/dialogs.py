"""The DialogStore port: each user's dialogs (core.domain.dialogs), written compare-and-set.

In memory now (storage.memory_dialogs); a database table once Chipin runs as several
instances, which is why PTB's ConversationHandler and user_data are not used for them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol, TypeVar

from core.domain.dialogs.machine import Dialog, DialogKind

D = TypeVar("D", bound=Dialog[Any])


class DialogStore(Protocol):
    """At most one dialog of each kind per user."""

    async def get(self, user_id: int, kind: DialogKind) -> Dialog[Any] | None:
        """The user's dialog of this kind, or None."""
        ...

    async def put(self, user_id: int, dialog: Dialog[Any]) -> bool:
        """Keep `dialog` if the version kept is the one before it (0: none kept); False,
        and nothing changed, when another write came first (a stale press)."""
        ...

    async def delete(self, user_id: int, kind: DialogKind, version: int | None = None) -> bool:
        """Forget the dialog (only at `version`, when given); False if there was none so."""
        ...


async def load(store: DialogStore, user_id: int, cls: type[D]) -> D | None:
    """The user's dialog of `cls`'s kind, if it is one of `cls`."""
    found = await store.get(user_id, cls.kind)
    return found if isinstance(found, cls) else None


async def begin(store: DialogStore, user_id: int, dialog: D) -> D | None:
    """Start `dialog` over whatever dialog of its kind the user had; None if a concurrent
    write came first."""
    current = await store.get(user_id, dialog.kind)
    fresh = replace(dialog, version=(current.version if current is not None else 0) + 1)
    return fresh if await store.put(user_id, fresh) else None


async def save(store: DialogStore, user_id: int, dialog: D) -> D | None:
    """Keep the dialog after a transition, or delete it when it is over; None if
    a concurrent write came first (the press is stale)."""
    if dialog.over:
        kept = await store.delete(user_id, dialog.kind, dialog.version - 1)
    else:
        kept = await store.put(user_id, dialog)
    return dialog if kept else None
