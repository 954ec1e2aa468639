"""What the Connect layer's modules share: Stripe-style errors, parameter reading, listing.

localstripe is untyped: its objects are `Any` here, and the classes built on its
`StripeObject` carry a `type: ignore[misc]` for subclassing an untyped class.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web
from localstripe.errors import UserError
from localstripe.resources import List, store
from localstripe.server import json_response

_ALPHABET = string.ascii_letters + string.digits
_INTEGER = re.compile(r"-?[0-9]+")


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def respond(doc: Any) -> web.Response:
    """JSON as localstripe answers it (sorted keys, indented)."""
    answer: web.Response = json_response(doc)
    return answer


def fail(
    status: int,
    message: str,
    *,
    param: str | None = None,
    code: str | None = None,
    kind: str = "invalid_request_error",
) -> Exception:
    """A Stripe error answer: `{"error": {"type", "message", "code"?, "param"?}}`.

    localstripe's own UserError renders it (its error middleware turns it into JSON).
    """
    contents: dict[str, Any] = {}
    if code is not None:
        contents["code"] = code
    if param is not None:
        contents["param"] = param
    error: Exception = UserError(status, message, contents)
    error.body["error"]["type"] = kind  # type: ignore[attr-defined]  # UserError's own field
    return error


def unknown(param: str) -> Exception:
    return fail(400, f"Received unknown parameter: {param}", param=param, code="parameter_unknown")


def missing(param: str) -> Exception:
    return fail(400, f"Missing required param: {param}.", param=param, code="parameter_missing")


def only(params: Mapping[str, Any], allowed: set[str] | frozenset[str], prefix: str = "") -> None:
    """400 for the first parameter not in `allowed` (`prefix` names the enclosing hash)."""
    for key in params:
        if key not in allowed:
            raise unknown(f"{prefix}[{key}]" if prefix else key)


def as_bool(value: object, param: str) -> bool | None:
    """A boolean as stripe-python sends it ("true"/"false"), or as JSON; None if absent."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise fail(400, f"Invalid boolean: {value}", param=param, code="parameter_invalid_boolean")


def as_int(value: object, param: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        return int(value)
    raise fail(400, f"Invalid integer: {value}", param=param, code="parameter_invalid_integer")


def as_amount(value: object, param: str) -> int | None:
    """A non-negative integer (a fee, a transfer amount), or None if absent."""
    found = as_int(value, param)
    if found is not None and found < 0:
        raise fail(
            400,
            "This value must be greater than or equal to 0.",
            param=param,
            code="parameter_invalid_integer",
        )
    return found


def as_text(value: object, param: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise fail(400, f"Invalid string: {value}", param=param, code="parameter_invalid_string")


def as_hash(value: object, param: str) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    raise fail(400, f"Invalid object: {param} must be a hash", param=param)


def as_list(value: object, param: str) -> list[str]:
    """A list of strings from `x[]=a&x[]=b` or JSON; "" (an emptied form field) is no item."""
    if value is None or value == "":
        return []
    items: list[Any] = value if isinstance(value, list) else [value]
    if not all(isinstance(item, str) for item in items):
        raise fail(400, f"Invalid array: {param}", param=param)
    return [str(item) for item in items if item]


def metadata_merged(current: Mapping[str, str], update: object) -> dict[str, str]:
    """Stripe's metadata update: keys are set, an empty value unsets one, "" unsets all."""
    if update == "":
        return {}
    changes = as_hash(update, "metadata") or {}
    merged = dict(current)
    for key, value in changes.items():
        if value in ("", None):
            merged.pop(key, None)
        else:
            merged[key] = str(value)
    return merged


def stored(kind: str) -> list[Any]:
    """Every stored object of one kind (`object` name), oldest first."""
    return [v for k, v in store.items() if k.startswith(kind + ":")]


def listing(
    kind: str, url: str, limit: object, starting_after: object, keep: Callable[[Any], bool]
) -> Any:
    """A localstripe List of the kept objects, newest first as Stripe lists them."""
    found = List(url, limit=limit, starting_after=starting_after)
    found._list = [obj for obj in reversed(stored(kind)) if keep(obj)]
    return found


class Listed:
    """Retrieval and listing for the layer's objects: Stripe's 404 text, filters by field.

    Mixed in before localstripe's StripeObject (whose direct subclasses `expand` finds).
    """

    object: str
    _noun: str = "object"
    _filters: frozenset[str] = frozenset()

    @classmethod
    def _api_retrieve(cls, id: str) -> Any:
        obj = store.get(f"{cls.object}:{id}")
        if obj is None:
            raise fail(404, f"No such {cls._noun}: '{id}'", param="id", code="resource_missing")
        return obj

    @classmethod
    def _api_list_all(
        cls, url: str, limit: Any = None, starting_after: Any = None, **filters: Any
    ) -> Any:
        only(filters, cls._filters)
        wanted = {k: as_text(v, k) for k, v in filters.items()}
        return listing(
            cls.object,
            url,
            limit,
            starting_after,
            lambda obj: all(cls._matches(obj, k, v) for k, v in wanted.items()),
        )

    @classmethod
    def _matches(cls, obj: Any, field: str, value: str | None) -> bool:
        return bool(getattr(obj, field, None) == value)


class ReadOnly:
    """Objects Stripe makes itself (transfers, fees and their reversals): no write route."""

    @classmethod
    def _api_create(cls, **data: Any) -> Any:
        raise fail(405, "Method Not Allowed")

    @classmethod
    def _api_update(cls, id: str, **data: Any) -> Any:
        raise fail(405, "Method Not Allowed")

    @classmethod
    def _api_delete(cls, id: str) -> Any:
        raise fail(405, "Method Not Allowed")
