"""Text core takes in: a lone surrogate or a NUL is refused naming the field, never stored."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain.codes import RawSpec, build_spec, check_name
from core.domain.errors import InvalidInput
from core.domain.money import currency
from core.domain.params import RawOrder, build_request, check_title
from core.domain.text import first_unstorable, is_storable
from core.usecases.records import RecordQuery, Viewer, scope_of
from core.usecases.reservations import check_payer_ref

USD = currency("USD")
HOSTILE = ["\ud800", "\udfff", "a\ud800b", "\udbff\udbff", "nul\x00here", "\x00"]
FINE = ["", "Dinner", "晚饭 🍜", "\uffff", "\U0010ffff", json.loads('"\\ud83c\\udf5c"')]

# any code point, surrogates and NUL included (st.text leaves surrogates out by default)
any_text = st.text(st.characters(codec=None, categories=None, min_codepoint=0))
json_docs = st.recursive(
    st.none() | st.booleans() | st.integers() | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=12,
)


def refused_field(call: object) -> str:
    assert callable(call)
    with pytest.raises(InvalidInput) as caught:
        call()
    return caught.value.field


@pytest.mark.parametrize("text", HOSTILE)
def test_a_lone_surrogate_or_a_nul_is_not_storable(text: str) -> None:
    assert not is_storable(text)


@pytest.mark.parametrize("text", FINE)
def test_valid_unicode_is_storable(text: str) -> None:
    assert is_storable(text)


@pytest.mark.parametrize("text", HOSTILE)
def test_every_free_text_parser_of_core_refuses_it_naming_the_field(text: str) -> None:
    raw = RawSpec(kind="tip", currency=USD, title=text)
    viewer = Viewer(payer_ref="tg:1")
    assert refused_field(lambda: check_title(f"Dinner {text}")) == "title"
    assert refused_field(lambda: check_payer_ref(f"bob {text}")) == "payer"
    assert refused_field(lambda: check_name(text)) == "name"
    assert refused_field(lambda: build_spec(raw, 10**7, datetime.now(UTC))) == "title"
    assert refused_field(lambda: scope_of(viewer, RecordQuery(order_id=f"ord{text}"))) == "order_id"
    titled = RawOrder(USD, total="100", payers=3, title=f"Din{text}ner")
    locked = RawOrder(USD, total="100", payers=3, password=f"pass{text}word")
    assert refused_field(lambda: build_request(titled, 10**7)) == "title"
    assert refused_field(lambda: build_request(locked, 10**7)) == "password"


def test_the_first_bad_string_of_a_document_is_found_by_its_path() -> None:
    doc = {"title": "ok", "items": [{"a": "fine"}, {"b": ["x", "y\ud800"]}], "later": "\x00"}
    assert first_unstorable(doc) == ("items", 1, "b", 1)
    assert first_unstorable({"ok": {"\ud800": 1}}) == ("ok",)
    assert first_unstorable({"\udfff": 1}) == ()
    assert first_unstorable("\ud800") == ()
    assert first_unstorable({"title": "晚饭", "n": [1, 2.5, None, True]}) is None


def test_a_deeply_nested_document_is_walked_without_recursion() -> None:
    deep: object = "\ud800"
    for _ in range(100_000):
        deep = [deep]
    assert first_unstorable(deep) == (0,) * 100_000


def strings_of(doc: object) -> list[str]:
    """Every string of a document, keys included (the walk's oracle: plain recursion)."""
    if isinstance(doc, str):
        return [doc]
    if isinstance(doc, dict):
        return [*doc, *(s for v in doc.values() for s in strings_of(v))]
    if isinstance(doc, list):
        return [s for v in doc for s in strings_of(v)]
    return []


def encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


@given(json_docs)
def test_a_document_is_clean_exactly_when_every_string_encodes_without_a_nul(
    doc: object,
) -> None:
    found = first_unstorable(doc)
    assert (found is None) == all(encodes(s) for s in strings_of(doc))
    if found is not None:
        at = doc
        for step in found:
            at = at[step]  # type: ignore[index]
        bad_keys = isinstance(at, dict) and any(not is_storable(k) for k in at)
        assert bad_keys or (isinstance(at, str) and not is_storable(at))
