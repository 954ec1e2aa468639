"""The UPI deep link of NPCI's UPI Linking Specifications, and the UPI ID and UTR checks."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain.errors import InvalidInput
from core.domain.payqr.upi import MAX_NAME, MAX_NOTE, check_utr, check_vpa, upi_uri

REFERENCE = "RF18539007547034"


def uri(**changes: Any) -> str:
    args: dict[str, Any] = {"vpa": "zeeshan@npci", "name": "Zeeshan Khan", "amount_minor": 1010}
    args |= {"note": "Pay to mystar store", "reference": REFERENCE} | changes
    return upi_uri(**args)


def refusal(field: str, **changes: Any) -> str:
    with pytest.raises(InvalidInput) as caught:
        uri(**changes)
    assert caught.value.field == field
    return caught.value.message


def test_the_link_has_the_parameters_in_order_percent_encoded() -> None:
    # The payee and note of the UPI Linking Specifications' own sample link, with our amount.
    assert uri() == (
        "upi://pay?pa=zeeshan@npci&pn=Zeeshan%20Khan&am=10.10&cu=INR"
        "&tn=Pay%20to%20mystar%20store&tr=RF18539007547034"
    )


def test_values_are_percent_encoded_and_read_back_exactly() -> None:
    made = uri(name="Chai & Co / Müller+Söhne", note="50% off? yes=no #1 ₹")
    query = urlsplit(made).query
    assert "&" not in query.split("&pn=")[1].split("&am=")[0]
    for encoded in ("%26", "%2F", "%2B", "%20", "%E2%82%B9"):  # & / + space ₹
        assert encoded in made
    assert dict(parse_qsl(query)) == {
        "pa": "zeeshan@npci",
        "pn": "Chai & Co / Müller+Söhne",
        "am": "10.10",
        "cu": "INR",
        "tn": "50% off? yes=no #1 ₹",
        "tr": REFERENCE,
    }


@given(st.text(min_size=1, max_size=MAX_NOTE).filter(lambda t: t.strip() == t and t.isprintable()))
def test_any_printable_note_reads_back(note: str) -> None:
    assert dict(parse_qsl(urlsplit(uri(note=note)).query))["tn"] == note


@pytest.mark.parametrize(
    ("minor", "text"), [(1, "0.01"), (5, "0.05"), (1000, "10.00"), (123456, "1234.56")]
)
def test_amounts_have_two_decimals(minor: int, text: str) -> None:
    assert f"&am={text}&" in uri(amount_minor=minor)


@pytest.mark.parametrize("minor", [0, -100])
def test_amounts_must_be_positive(minor: int) -> None:
    assert "more than zero" in refusal("amount", amount_minor=minor)


def test_names_and_notes_are_one_line_of_at_most_50_characters() -> None:
    assert "pn=" + "N" * MAX_NAME + "&" in uri(name="N" * MAX_NAME)
    assert "longer than 50" in refusal("name", name="N" * (MAX_NAME + 1))
    assert "longer than 50" in refusal("note", note="T" * (MAX_NOTE + 1))
    assert "empty" in refusal("name", name="  ")
    assert "empty" in refusal("note", note="")
    assert "one line" in refusal("note", note="one\ntwo")


@pytest.mark.parametrize("reference", ["", "RF18 5390", "RF18-5390", "A" * 36, "Ação"])
def test_bad_references_are_refused(reference: str) -> None:
    assert "1 to 35 letters" in refusal("reference", reference=reference)


@pytest.mark.parametrize(
    ("text", "vpa"),
    [
        ("zeeshan@npci", "zeeshan@npci"),
        (" Alice.B-1_x@okSBI ", "alice.b-1_x@oksbi"),
        ("9876543210@ybl", "9876543210@ybl"),
        ("ab@p2", "ab@p2"),
    ],
)
def test_good_upi_ids_are_lower_cased(text: str, vpa: str) -> None:
    assert check_vpa(text) == vpa
    assert uri(vpa=text).startswith(f"upi://pay?pa={vpa}&")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "alice",
        "a@okaxis",
        "alice@",
        "@okaxis",
        "alice@1bank",
        "alice@o",
        "al ice@okaxis",
        "alice@ok.axis",
        "alice@okaxis@x",
        "alice+1@okaxis",
        "x" * 257 + "@okaxis",
        "ali©e@okaxis",
    ],
)
def test_bad_upi_ids_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="name@bank") as caught:
        check_vpa(text)
    assert caught.value.field == "vpa"


@pytest.mark.parametrize(
    ("text", "utr"),
    [("412345678901", "412345678901"), (" 4123 4567 8901 ", "412345678901")],
)
def test_good_utrs(text: str, utr: str) -> None:
    assert check_utr(text) == utr


@pytest.mark.parametrize(
    "text", ["", "41234567890", "4123456789012", "41234567890A", "4123-4567-8901", "٤١٢٣٤٥٦٧٨٩٠١"]
)
def test_bad_utrs_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="12-digit number") as caught:
        check_utr(text)
    assert caught.value.field == "utr"
