"""Bot API parameters from a query string, JSON, url-encoded or multipart body, typed on read."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from tests.telegram_emulator.state import JSON, bad_request


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(slots=True)
class Params:
    """Values are JSON natives (JSON body) or strings (forms; PTB JSON-encodes non-strings)."""

    values: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def str_(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def need_str(self, name: str) -> str:
        value = self.str_(name)
        if not value:
            raise bad_request(f"{name} is empty")
        return value

    def int_(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise bad_request(f"invalid {name} specified") from exc

    def need_int(self, name: str) -> int:
        value = self.int_(name)
        if value is None:
            raise bad_request(f"{name} is empty")
        return value

    def float_(self, name: str, default: float = 0.0) -> float:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise bad_request(f"invalid {name} specified") from exc

    def bool_(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("true", "1")

    def json_(self, name: str) -> Any:
        """A JSON-typed parameter (reply_markup, entities, allowed_updates, ...)."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError as exc:
            raise bad_request(f"can't parse {name} JSON object") from exc

    def upload(self, name: str) -> Upload | None:
        """The file sent for `name`: its own multipart part, or `attach://<part>`."""
        if name in self.files:
            return self.files[name]
        value = self.values.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            return self.files.get(value.removeprefix("attach://"))
        return None


async def read_params(request: Request) -> Params:
    """Merge the query string and the body, whatever its content type."""
    params = Params(values=dict(request.query_params))
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        body = await request.body()
        if body.strip():
            try:
                parsed = json.loads(body)
            except ValueError as exc:
                raise bad_request("can't parse JSON request body") from exc
            if not isinstance(parsed, dict):
                raise bad_request("request body must be a JSON object")
            params.values.update(parsed)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        await _read_form(request, params)
    return params


async def _read_form(request: Request, params: Params) -> None:
    async with request.form(max_part_size=64 * 1024 * 1024) as form:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                params.files[name] = Upload(value.filename, value.content_type, data)
            else:
                params.values[name] = value


def entities_of(params: Params, name: str) -> list[JSON] | None:
    value = params.json_(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        raise bad_request(f"can't parse {name} JSON object")
    return value
