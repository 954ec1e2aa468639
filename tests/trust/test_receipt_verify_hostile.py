"""`chipin receipt verify` never crashes: any JSON, at the top or in any field of a real
receipt, is either a valid receipt or NOT VALID with a reason, in one line."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app.cli import main
from tests.support.harness import Rig
from tests.trust.paid import paid_receipt
from trust.receipts import ReceiptInvalid, verify_receipt

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _paths(doc: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document (a key of an object, an index of a list)."""
    found = [at] if at else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            found += _paths(v, (*at, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            found += _paths(v, (*at, i))
    return found


def _put(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    changed = copy.deepcopy(doc)
    target = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return changed


def _verdict(doc: Any, pin: str | None) -> str:
    """'valid', or the reason it is not; anything else escapes (a crash)."""
    try:
        verify_receipt(doc, pin)
    except ReceiptInvalid as exc:
        return exc.reason
    return "valid"


@pytest.fixture
async def receipt(rig: Rig) -> tuple[dict[str, Any], str]:
    return await paid_receipt(rig)


@settings(max_examples=200, deadline=None)
@given(doc=JSON)
def test_any_json_document_is_valid_or_not_valid_never_a_crash(doc: Any) -> None:
    assert _verdict(doc, None)  # any other exception fails the test


def test_any_value_in_any_field_of_a_real_receipt_is_not_valid_never_a_crash(
    receipt: tuple[dict[str, Any], str],
) -> None:
    doc, pin = receipt
    paths = _paths(doc)

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(where=st.sampled_from(paths), value=JSON)
    def check(where: tuple[Any, ...], value: Any) -> None:
        assert _verdict(_put(doc, where, value), pin)

    assert verify_receipt(doc, pin)  # the untouched receipt is valid
    check()


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[1, 2]", "NOT VALID: a receipt is a JSON object, not list\n"),
        ('"rcpt"', "NOT VALID: a receipt is a JSON object, not str\n"),
        (
            "[" * 100_000 + "]" * 100_000,
            "NOT VALID: the document is nested too deeply to be a receipt\n",
        ),
        (
            '{"a":' * 5_000 + "1" + "}" * 5_000,
            "NOT VALID: the document is nested too deeply to be a receipt\n",
        ),
    ],
)
def test_receipt_verify_answers_a_list_or_a_deep_document_in_one_line(
    text: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "receipt.json"
    path.write_text(text, encoding="utf-8")

    code = main(["receipt", "verify", str(path)])

    out = capsys.readouterr()
    assert (code, out.out, out.err) == (1, said, "")


def test_a_receipt_file_that_is_not_json_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps({"format": 1})[:-1], encoding="utf-8")

    assert main(["receipt", "verify", str(path)]) == 2
    assert capsys.readouterr().err == f"chipin: cannot read {path}: JSONDecodeError\n"
