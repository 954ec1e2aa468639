"""schemathesis against the payout routes with Stripe Connect on (tests/fuzz/test_openapi.py
fuzzes every operation of a listener without it, where they answer 503): valid and invalid
requests, with and without a key, each answer documented and fitting its schema."""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.core.result import Ok

from tests.fuzz.conftest import Listener, listener
from tests.fuzz.test_openapi import _fuzz
from tests.web.conftest import BASE_URL, MAX_AMOUNT_MINOR, bearer, healthy
from tests.web.connect import SignedPayouts, with_connect
from web.app import create_app

__all__ = ["listener"]

PATH = "/api/v1/payouts"


def _payout_operations(listener: Listener) -> list[Any]:
    rig = with_connect(listener.rig, SignedPayouts())
    app = create_app(
        rig.engine,
        public_base_url=BASE_URL + "/",
        health=healthy,
        max_amount_minor=MAX_AMOUNT_MINOR,
        default_currency="USD",
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    found = [r.ok() for r in schema.get_all_operations() if isinstance(r, Ok)]
    operations = [op for op in found if op.path == PATH]
    assert sorted(op.method.upper() for op in operations) == ["DELETE", "GET", "POST"]
    return operations


def test_the_payout_routes_with_connect_on(listener: Listener) -> None:
    operations = _payout_operations(listener)
    failures = [
        _fuzz(op, headers, {}) for headers in ({}, bearer(listener.ann_key)) for op in operations
    ]
    assert [f for f in failures if f is not None] == []
