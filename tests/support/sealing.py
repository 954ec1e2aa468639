"""The sealer SQL stores use in tests: the real one, with fixed keys."""

from __future__ import annotations

from trust.pii import Sealer

INDEX_KEY = b"i" * 32
SEAL_KEY = b"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # a Fernet key: 32 bytes, base64


def sealer_for_tests() -> Sealer:
    return Sealer(INDEX_KEY, [SEAL_KEY])
