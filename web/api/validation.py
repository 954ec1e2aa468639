"""FastAPI's RequestValidationError in words a person understands: which field, and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_SOURCES = ("body", "query", "header", "path", "cookie")

_PLAIN: dict[str, str] = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "list_type": "must be a list",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
    "dict_type": "must be a JSON object",
    "text_invalid": "holds a character that cannot be stored (a lone UTF-16 surrogate or a NUL)",
}


def field_of(loc: Sequence[int | str]) -> str:
    """The top-level field an error is about ('payers'), or 'body' for the body as a whole."""
    parts = list(loc)
    if len(parts) > 1 and parts[0] in _SOURCES:
        parts = parts[1:]
    if not parts or not isinstance(parts[0], str):
        return "body"
    return parts[0]


def explain(error: Mapping[str, Any]) -> tuple[str, str]:
    """(field, message) for one pydantic error; never repeats the rejected input."""
    kind = str(error.get("type", ""))
    loc = tuple(error.get("loc", ()))
    if kind == "json_invalid":
        return "body", "the request body is not valid JSON"
    field = field_of(loc)
    if kind == "missing" and field == "body":
        return field, "body: a JSON object is required"
    ctx = error.get("ctx") or {}
    if kind in ("enum", "literal_error"):
        text = f"must be one of {ctx.get('expected', 'the documented values')}"
    elif kind == "string_too_short":
        text = f"must be at least {ctx.get('min_length')} characters"
    elif kind == "string_too_long":
        text = f"must be at most {ctx.get('max_length')} characters"
    else:
        text = _PLAIN.get(kind) or _lower_first(str(error.get("msg", "is not valid")))
    return field, f"{field}: {text}"


def explain_all(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """One entry per field, in the order pydantic reported them."""
    seen: dict[str, str] = {}
    for error in errors:
        field, message = explain(error)
        seen.setdefault(field, message)
    return [{"field": f, "message": m} for f, m in seen.items()]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]
