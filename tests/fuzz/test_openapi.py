"""schemathesis against /openapi.json: every operation, without a key, with one, on real objects.

Each operation gets CHIPIN_FUZZ_EXAMPLES generated requests per mode, valid and invalid
(schemathesis' positive and negative generation), sent in-process to the ASGI app over a
SQLite database. Every answer must be no 5xx, a documented status, the documented content
type and a body that fits the documented schema.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz.conftest import Listener, fuzz_examples
from tests.web.conftest import bearer

log = logging.getLogger(__name__)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = fuzz_examples(8)
OPERATIONS = 24  # documented operations today; a new one must not slip through untested


def _operations(listener: Listener) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", listener.app)
    results = list(schema.get_all_operations())
    found = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(results) == len(found) >= OPERATIONS, [op.label for op in found]
    return found


def _fuzz(
    operation: Any, headers: Mapping[str, str], path_parameters: Mapping[str, str]
) -> str | None:
    """Run one operation's examples; the failure (after shrinking), or None."""
    names = {p.name for p in operation.path_parameters}
    fixed = {k: v for k, v in path_parameters.items() if k in names} or None
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE, path_parameters=fixed),
        operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=fixed),
    )

    sent = 0

    @settings(
        max_examples=EXAMPLES,
        deadline=timedelta(seconds=5),  # one request; the slowest (a QR code) takes ~50 ms
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        nonlocal sent
        sent += 1
        case.call_and_validate(headers=dict(headers), checks=CHECKS)

    try:
        run()
    except Exception as exc:  # every operation runs; the test lists what failed
        return f"{operation.label}: {type(exc).__name__}: {exc}"
    finally:
        log.info("%s: %d requests", operation.label, sent)
    return None


def _fuzz_all(listener: Listener, headers: Mapping[str, str], **path: str) -> list[str]:
    failures = [_fuzz(op, headers, path) for op in _operations(listener)]
    return [f for f in failures if f is not None]


def test_every_operation_without_a_key(listener: Listener) -> None:
    assert _fuzz_all(listener, {}) == []


def test_every_operation_with_a_valid_key(listener: Listener) -> None:
    assert _fuzz_all(listener, bearer(listener.ann_key)) == []


def test_every_operation_on_real_objects_of_the_key(listener: Listener) -> None:
    failures = _fuzz_all(
        listener,
        bearer(listener.ann_key),
        order_id=listener.ann_order,
        token=listener.ann_token,
        payment_id=listener.ann_payment,
        gateway="fake",
        code=listener.ann_code,
    )
    assert failures == []


def test_every_operation_on_real_objects_of_another_payee(listener: Listener) -> None:
    failures = _fuzz_all(
        listener,
        bearer(listener.ann_key),
        order_id=listener.bob_order,
        payment_id=listener.bob_payment,
        code=listener.bob_code,
    )
    assert failures == []
