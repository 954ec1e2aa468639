"""DialogStore in memory (core.ports.dialogs): one process's dialogs, lost on restart."""

from __future__ import annotations

from typing import Any

from core.domain.dialogs.machine import Dialog, DialogKind


class MemoryDialogStore:
    """Dialogs are immutable values, so keeping the object is keeping a copy."""

    def __init__(self) -> None:
        self._dialogs: dict[tuple[int, DialogKind], Dialog[Any]] = {}

    async def get(self, user_id: int, kind: DialogKind) -> Dialog[Any] | None:
        return self._dialogs.get((user_id, kind))

    async def put(self, user_id: int, dialog: Dialog[Any]) -> bool:
        key = (user_id, dialog.kind)
        kept = self._dialogs.get(key)
        if (kept.version if kept is not None else 0) != dialog.version - 1:
            return False
        self._dialogs[key] = dialog
        return True

    async def delete(self, user_id: int, kind: DialogKind, version: int | None = None) -> bool:
        kept = self._dialogs.get((user_id, kind))
        if kept is None or (version is not None and kept.version != version):
            return False
        del self._dialogs[(user_id, kind)]
        return True
