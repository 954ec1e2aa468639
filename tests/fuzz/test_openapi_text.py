"""Hostile text in every string field /openapi.json lists: body fields, path and query
parameters, of every operation, with a valid API key and real objects around.

A lone surrogate or a NUL is a 422 naming the field and stores nothing. Every other
hostile string (U+FFFF, 100,000 characters) is never a 5xx, and a 4xx stores nothing but
the count of wrong guesses (a code looked up that does not exist counts, by design).
U+FFFF is valid Unicode, so a field that takes any text (a title) may keep it.

Paths and queries travel as UTF-8 %-escapes: a NUL (%00) reaches the app as a NUL (a 422
naming the parameter, or `path`); a surrogate's bytes (%ED%A0%80) reach it as replacement
characters, valid text (a filter on an order id that cannot exist finds nothing), so
there only the general rule holds. CHIPIN_FUZZ_SCALE adds random strings with a surrogate.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from storage.store import SqlStore
from tests.fuzz.conftest import Listener, fuzz_examples
from tests.support.harness import dump
from tests.web.conftest import bearer

UNSTORABLE = ["\ud800", "\udfff", "a\ud800b", "\u0000", "x\u0000y"]
ODD = ["\uffff", "x" * 100_000]
RANDOM_SEED = 15
MAX_URL_CHARS = 60_000
OPERATIONS = 24  # as test_openapi.py: a new operation must not slip through untested
TRIES_TABLE = "payer_auth"  # tries at passwords, PINs and code look-ups

# A valid body for each request schema: the field under test is set on top of it.
VALID_BODIES: dict[str, dict[str, object]] = {
    "CreateOrderIn": {"total": "100", "payers": 3},
    "ReserveIn": {"payer": "fuzzer"},
    "BindCodeIn": {"kind": "tip", "name": "Jar"},
    "MoveCodeIn": {"to": "K7PQ-3MXD"},
    "SwitchCodeIn": {"on": True},
    "MethodIn": {"kind": "sepa", "holder": "Ann Example", "iban": "DE89370400440532013000"},
    "ClaimIn": {"payer": "fuzzer"},
    "ConnectPayoutsIn": {},
    "CancelIn": {"refund_paid": False},
}


@dataclass(frozen=True)
class Field:
    """One string field of one operation: where it goes (body, path, query) and its name."""

    method: str
    path: str
    where: str
    name: str
    schema: str | None  # the operation's JSON body schema, if it takes one

    @property
    def label(self) -> str:
        return f"{self.method} {self.path} {self.where}:{self.name}"


def takes_text(schema: Mapping[str, Any], components: Mapping[str, Any]) -> bool:
    """Does a value of this schema take a string (directly, in anyOf, or as array items)?"""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return takes_text(components[ref.rsplit("/", 1)[1]], components)
    if schema.get("type") == "string":
        return True
    if schema.get("type") == "array":
        return takes_text(schema.get("items", {}), components)
    return any(takes_text(s, components) for s in schema.get("anyOf", []))


def body_schema(op: Mapping[str, Any]) -> str | None:
    """The name of an operation's JSON body schema, if it takes one."""
    body = op.get("requestBody", {}).get("content", {}).get("application/json")
    return None if body is None else str(body["schema"]["$ref"].rsplit("/", 1)[1])


def string_fields(spec: Mapping[str, Any]) -> Iterator[Field]:
    components = spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            name = body_schema(op)
            for param in op.get("parameters", []):
                if param["in"] in ("path", "query") and takes_text(param["schema"], components):
                    yield Field(method.upper(), path, param["in"], param["name"], name)
            if name is None:
                continue
            for prop, schema in components[name]["properties"].items():
                assert schema.get("type") != "object", f"{name}.{prop}: teach the fuzz nesting"
                if takes_text(schema, components):
                    yield Field(method.upper(), path, "body", prop, name)


def hostile_values() -> list[str]:
    rng = random.Random(RANDOM_SEED)
    extra = []
    for _ in range(fuzz_examples(1)):
        text = "".join(chr(rng.randrange(32, 0x3000)) for _ in range(rng.randrange(0, 12)))
        at = rng.randrange(0, len(text) + 1)
        extra.append(text[:at] + chr(rng.randrange(0xD800, 0xE000)) + text[at:])
    return UNSTORABLE + ODD + extra


def url_text(value: str) -> str:
    """How a client puts `value` in a URL: its UTF-8 bytes %-escaped (a surrogate's too),
    cut to fit the longest URL httpx sends (64 KiB)."""
    return quote(value[:MAX_URL_CHARS].encode("utf-8", "surrogatepass"), safe="")


def request_for(field: Field, value: str, listener: Listener) -> tuple[str, str, bytes | None]:
    """(method, URL, JSON body) with `value` in the field and valid values everywhere else."""
    real = {
        "order_id": listener.ann_order,
        "token": listener.ann_token,
        "payment_id": listener.ann_payment,
        "code": listener.ann_code,
        "gateway": "fake",
        "method_id": "mth_none",
        "reference": "RF18539007547034",
    }
    path = field.path
    for name, good in real.items():
        text = value if field.where == "path" and field.name == name else good
        path = path.replace("{" + name + "}", url_text(text))
    if field.where == "query":
        path += f"?{quote(field.name)}={url_text(value)}"
    body = None
    if field.schema is not None:
        doc = dict(VALID_BODIES[field.schema])
        if field.where == "body":
            doc[field.name] = value
        body = json.dumps(doc).encode()  # a surrogate goes out as its \u escape
    return field.method, path, body


def is_storable(text: str) -> bool:
    """The test's own oracle: UTF-8 can encode it, and it holds no NUL."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def received(field: Field, value: str) -> str:
    """`value` as the app gets it: in a URL, a surrogate's bytes decode to U+FFFD."""
    if field.where == "body":
        return value
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def expected_field(field: Field, value: str) -> str | None:
    """The field a 422 must name for `value`, or None when any 4xx will do."""
    if field.where == "body" and not is_storable(value):
        return field.name
    if "\x00" not in value:  # a surrogate in a URL arrives as replacement characters
        return None
    return field.name if field.where == "query" else "path"


@dataclass
class Probe:
    """Sends the requests, and tells whether each one changed what the store holds.

    A full dump per request would take most of the test's time. SQLite's data_version,
    read on a connection of its own, changes whenever another connection commits; only
    then is the store dumped and compared with the dump after the last change (a commit
    can change nothing: a refused conditional UPDATE).
    """

    client: httpx.AsyncClient
    listener: Listener
    watch: sqlite3.Connection
    state: object = None
    version: int = -1

    async def changed(self) -> set[str]:
        """The tables whose rows changed since the last call."""
        version = int(self.watch.execute("PRAGMA data_version").fetchone()[0])
        if version == self.version:
            return set()
        state = await dump(self.listener.rig.store)
        assert isinstance(state, dict)
        before = self.state if isinstance(self.state, dict) else state
        self.state, self.version = state, version
        return {name for name, rows in state.items() if before.get(name) != rows}

    async def wrong_with(self, field: Field, value: str) -> list[str]:
        """What is wrong with the answer to `value` in `field`, if anything."""
        method, url, body = request_for(field, value, self.listener)
        headers = {**bearer(self.listener.ann_key), "Content-Type": "application/json"}
        response = await self.client.request(method, url, content=body, headers=headers)
        wrote = await self.changed()
        status, wrong = response.status_code, []
        what = f"{field.label} = {value[:12]!r}: {status}"
        if status >= 500:
            wrong.append(f"{what} {response.text[:200]}")
        named = expected_field(field, value)
        if named is not None and (status != 422 or response.json().get("field") != named):
            wrong.append(f"{what}: not a 422 naming {named!r}: {response.text[:200]}")
        # A wrong guess at a code or a password is counted (payer_auth) by design; text
        # that cannot be stored is refused before any guess is made.
        refused_text = not is_storable(received(field, value))
        allowed = set() if refused_text else {TRIES_TABLE}
        if (refused_text or 400 <= status < 500) and wrote - allowed:
            wrong.append(f"{what}: the store changed: {sorted(wrote)}")
        return wrong


async def test_every_string_field_in_the_openapi_refuses_text_no_store_can_hold(
    listener: Listener,
) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=listener.app), base_url="http://listener"
    ) as client:
        spec = (await client.get("/openapi.json")).json()
        operations = {(m, p) for p, ops in spec["paths"].items() for m in ops}
        assert len(operations) >= OPERATIONS
        bodies = {body_schema(op) for ops in spec["paths"].values() for op in ops.values()}
        assert bodies - {None} == set(VALID_BODIES)  # a new body needs a valid example
        fields = list(string_fields(spec))
        assert len(fields) >= 30, [f.label for f in fields]
        with closing(sqlite3.connect(database_of(listener))) as watch:
            probe = Probe(client, listener, watch)
            await probe.changed()  # the state before the first request
            wrong = [
                problem
                for field in fields
                for value in hostile_values()
                for problem in await probe.wrong_with(field, value)
            ]
    assert wrong == [], "\n".join(wrong)


def database_of(listener: Listener) -> str:
    store = listener.rig.store
    assert isinstance(store, SqlStore)
    path = store.engine.url.database
    assert path
    return path
