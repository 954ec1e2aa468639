"""Tokens made wrong on purpose, for tests that a wrong one opens nothing."""

from __future__ import annotations


def another_mac(token: str) -> str:
    """`token` with one character of its middle changed. Not its last: in unpadded base64 the
    last character's low bits are padding, which decoders drop, so changing only them (`w`
    to `x`, `A` to `B`) can give the same bytes, and the same MAC, back."""
    i = len(token) - 6
    return token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
