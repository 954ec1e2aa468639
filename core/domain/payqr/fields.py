"""What the payloads share: one line of text, and amounts written with a decimal point."""

from __future__ import annotations

import unicodedata

from core.domain.errors import InvalidInput
from core.domain.text import check_text

_LINE_BREAKING = frozenset({"Cc", "Zl", "Zp"})  # controls (CR, LF, TAB...), line and paragraph


def one_line(text: str, field: str) -> str:
    """`text` without its outer spaces; InvalidInput naming `field` if it holds a control
    character or a line break (in a payload of lines or of fields, it would shift the rest)."""
    clean = check_text(text, field).strip()
    if any(unicodedata.category(ch) in _LINE_BREAKING for ch in clean):
        raise InvalidInput(field, "write this on one line, without tabs or control characters")
    return clean


def bounded_line(text: str, field: str, limit: int) -> str:
    """`one_line(text, field)`, at most `limit` characters long (else InvalidInput)."""
    clean = one_line(text, field)
    if len(clean) > limit:
        raise InvalidInput(field, "this is longer than {limit} characters", limit=limit)
    return clean


def two_decimals(amount_minor: int) -> str:
    """Cents as a decimal with a point and two decimals: 1230 -> "12.30", 5 -> "0.05"."""
    major, minor = divmod(amount_minor, 100)
    return f"{major}.{minor:02d}"
