"""Text Chipin takes in: valid Unicode that every store can hold, checked where it comes in.

Python strings can hold what no UTF-8 byte sequence stands for: a lone UTF-16 surrogate
(U+D800 to U+DFFF), which JSON's `"\\ud800"` escape and a few codecs produce. Such a
string passes every length and printable check, then fails wherever it is encoded: in a
password hash, in a database driver, in the JSON of an answer. NUL (U+0000) is valid
Unicode, but PostgreSQL's text type cannot hold it. Both are refused at every edge
(the API, the pages, webhooks, the bot) and again by core's own parsers.
"""

from __future__ import annotations

from core.domain.errors import InvalidInput

JsonPath = tuple[str | int, ...]


def is_storable(text: str) -> bool:
    """True unless `text` holds a lone surrogate (no UTF-8 form) or a NUL."""
    if text.isascii():
        return "\x00" not in text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def storable(text: str) -> str:
    """`text` with each lone surrogate and NUL made U+FFFD: for a name shown, never parsed."""
    if is_storable(text):
        return text
    return "".join("\ufffd" if ch == "\x00" or "\ud800" <= ch <= "\udfff" else ch for ch in text)


def check_text(text: str, field: str) -> str:
    """`text` unchanged, or InvalidInput naming `field` (the text itself is never repeated)."""
    if not is_storable(text):
        raise InvalidInput(
            field, "the text holds a character that cannot be stored (a broken emoji or a NUL)"
        )
    return text


def first_unstorable(doc: object) -> JsonPath | None:
    """Where the first string of a parsed JSON document that is not storable text sits: the
    path of keys and indexes to it, or None if every string is fine. An object's keys are
    read before its values; a bad key cannot be named (it is not text), so its object's
    path stands for it.

    Walks with a stack, not recursion, and keeps each node's way back as a link to its
    parent, so a deep document costs time in proportion to its size, not size × depth.
    """
    stack: list[tuple[_Link, object]] = [(None, doc)]
    while stack:
        link, value = stack.pop()
        if isinstance(value, str):
            if not is_storable(value):
                return _path(link)
        elif isinstance(value, dict):
            if not all(is_storable(k) for k in value if isinstance(k, str)):
                return _path(link)
            stack.extend(((link, k), v) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend(((link, i), v) for i, v in reversed(list(enumerate(value))))
    return None


# A node's way back to the root: (its parent's link, its key or index); None at the root.
_Link = tuple["_Link", str | int] | None


def _path(link: _Link) -> JsonPath:
    steps: list[str | int] = []
    while link is not None:
        link, step = link
        steps.append(step)
    return tuple(reversed(steps))
