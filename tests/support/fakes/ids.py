"""Ids, tokens and secrets counted up from 1: predictable in tests."""

from __future__ import annotations

import itertools


class SeqIds:
    def __init__(self) -> None:
        self._n = itertools.count(1)
        self._secrets = itertools.count(1)  # apart: hold secrets shift no id or token

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._n):06d}"

    def new_token(self) -> str:
        return f"tok{next(self._n):06d}xxxxxxxxxxxxxxxx"

    def new_secret(self) -> str:
        return f"sec{next(self._secrets):06d}" + "s" * 34
