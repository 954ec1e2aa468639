"""ISO 11649 creditor references: the published example, check digits, forms, new references."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain.errors import InvalidInput, InvariantViolation
from core.domain.payqr import rf

# ISO 11649's example as quoted by Wikipedia ("Creditor Reference"); de.wikipedia's EPC-QR-Code
# article and its widely copied sample payload use it too.
PUBLISHED = "RF18 5390 0754 7034"
DIGITS = "0123456789"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
BODIES = st.text(alphabet=DIGITS + LETTERS, min_size=1, max_size=21)


def test_the_published_example_is_valid_printed_compact_and_in_lower_case() -> None:
    assert rf.is_valid_rf(PUBLISHED)
    assert rf.is_valid_rf("RF18539007547034")
    assert rf.is_valid_rf("rf18 5390 0754 7034")
    assert rf.compact(PUBLISHED) == "RF18539007547034"
    assert rf.printable("rf18539007547034") == PUBLISHED


def test_the_published_example_is_rebuilt_from_its_body() -> None:
    assert rf.rf_check_digits("539007547034") == "18"
    assert rf.make_rf("5390 0754 7034") == "RF18539007547034"


@pytest.mark.parametrize(
    "changed",
    [
        "RF18 5390 0754 7035",  # last digit
        "RF18 5390 0754 7043",  # two digits swapped
        "RF19 5390 0754 7034",  # a check digit
        "RF18 5390 0754 703",  # one digit dropped
        "RF18 5390 0754 70340",  # one digit added
    ],
)
def test_a_changed_published_example_fails(changed: str) -> None:
    assert not rf.is_valid_rf(changed)


def test_the_shortest_reference_has_one_character() -> None:
    assert rf.make_rf("4") == "RF904"
    assert rf.is_valid_rf("RF90 4")
    assert not rf.is_valid_rf("RF71 4")  # the right form, the wrong check digits
    assert rf.printable("RF904") == "RF90 4"


def test_the_longest_reference_has_25_characters() -> None:
    longest = rf.make_rf("A" * 21)
    assert len(longest) == 25
    assert rf.is_valid_rf(longest)
    assert not rf.is_valid_rf(longest + "A")


@pytest.mark.parametrize(
    "text",
    ["", "RF", "RF18", "RF1", "XX18539007547034", "RF18-5390-0754-7034", "RF1853900754703Ä"],
)
def test_malformed_references_are_invalid(text: str) -> None:
    assert not rf.is_valid_rf(text)


def test_check_digit_aliases_are_refused() -> None:
    # 01 and 98 (and 02 and 99) leave the same rest modulo 97; ISO 7064 issues 02 to 98 only.
    assert rf.make_rf("54") == "RF9854"
    assert rf.make_rf("36") == "RF0236"
    assert not rf.is_valid_rf("RF0154")
    assert not rf.is_valid_rf("RF9936")


def test_letters_that_upper_case_to_ascii_are_not_references() -> None:
    assert rf.is_valid_rf("RF84SS")
    assert not rf.is_valid_rf("RF84ß")  # "ß".upper() == "SS"
    assert rf.is_valid_rf("rf49ssi")
    assert not rf.is_valid_rf("rf49ss\u0131")  # dotless i: "\u0131".upper() == "I"


@pytest.mark.parametrize("body", ["", "A" * 22, "ABC-1", "ÄBC", "ß", "\u0131"])
def test_bad_bodies_are_refused_with_the_reason(body: str) -> None:
    with pytest.raises(InvalidInput, match="1 to 21 letters A-Z and digits") as caught:
        rf.make_rf(body)
    assert caught.value.field == "reference"


def test_a_new_reference_is_14_characters_and_fits_every_scheme() -> None:
    ref = rf.new_reference("7K3M9QXZ2H")
    assert ref == rf.make_rf("7K3M9QXZ2H")
    assert len(ref) == 14
    assert rf.is_valid_rf(ref)
    assert ref.isascii()  # a PIX txid and a UPI tr as it stands
    assert ref.isalnum()


@pytest.mark.parametrize("bad", ["7K3M9QXZ2", "7K3M9QXZ2HH", "7K3M9QXZ2I", "7k3m9qxz2h"])
def test_a_new_reference_takes_exactly_ten_crockford_characters(bad: str) -> None:
    with pytest.raises(InvariantViolation):
        rf.new_reference(bad)


@given(BODIES)
def test_every_made_reference_is_valid_in_every_form(body: str) -> None:
    ref = rf.make_rf(body)
    assert rf.is_valid_rf(ref)
    assert rf.is_valid_rf(rf.printable(ref))
    assert rf.is_valid_rf(rf.printable(ref).lower())
    assert 2 <= int(ref[2:4]) <= 98


@given(BODIES, st.data())
def test_one_changed_character_makes_it_invalid(body: str, data: st.DataObject) -> None:
    ref = rf.make_rf(body)
    at = data.draw(st.integers(min_value=2, max_value=len(ref) - 1))
    # a digit for a digit, a letter for a letter: MOD 97-10 catches every such change (the
    # number changes by less than 97 times a power of ten, and 97 is a prime other than 2, 5)
    same_kind = DIGITS if ref[at] in DIGITS else LETTERS
    other = data.draw(st.sampled_from([ch for ch in same_kind if ch != ref[at]]))
    assert not rf.is_valid_rf(ref[:at] + other + ref[at + 1 :])
