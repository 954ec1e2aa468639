"""The PIX BR Code against Banco Central do Brasil's published example, and the key checks."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain.errors import InvalidInput
from core.domain.payqr.pix import (
    MAX_AMOUNT_MINOR,
    ascii_text,
    check_pix_key,
    crc16,
    pix_payload,
)

# The static BR Code example of BCB's "Manual de Padrões para Iniciação do Pix" (a random
# key, no amount, no txid), byte for byte.
BCB_EXAMPLE = (
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR"
    "5913Fulano de Tal6008BRASILIA62070503***63041D3D"
)
EVP = "123e4567-e12b-12d1-a456-426655440000"
CPF = "52998224725"  # 529.982.247-25: a well-known valid test CPF
CNPJ = "11222333000181"  # 11.222.333/0001-81: a well-known valid test CNPJ


def crc_bitwise(data: bytes) -> int:
    """CRC-16/CCITT-FALSE spelled out bit by bit: polynomial 0x1021, initial 0xFFFF."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def fields(payload: str) -> dict[str, str]:
    """The top-level EMV fields of `payload`: ID -> value."""
    found: dict[str, str] = {}
    at = 0
    while at < len(payload):
        tag, size = payload[at : at + 2], int(payload[at + 2 : at + 4])
        found[tag] = payload[at + 4 : at + 4 + size]
        at += 4 + size
    assert at == len(payload)
    return found


def payload(**changes: Any) -> str:
    """The BCB example's arguments with `changes`."""
    args: dict[str, Any] = {"key": EVP, "name": "Fulano de Tal", "city": "BRASILIA"}
    args |= {"amount_minor": None, "txid": "***"} | changes
    return pix_payload(**args)


def test_the_bcb_example_is_reproduced_byte_for_byte() -> None:
    assert payload() == BCB_EXAMPLE


def test_the_crc_of_the_bcb_example_is_1d3d_and_crc16_is_ccitt_false() -> None:
    body = BCB_EXAMPLE[:-4]
    assert body.endswith("6304")
    assert crc16(body) == "1D3D"
    assert crc_bitwise(body.encode()) == 0x1D3D
    assert crc16("123456789") == "29B1"  # the check value of CRC-16/CCITT-FALSE


def test_an_amount_is_field_54_with_two_decimals() -> None:
    made = payload(amount_minor=1000, txid="RF18539007547034")
    assert "540510.00" in made
    assert fields(made)["54"] == "10.00"
    assert fields(made)["62"] == "0516RF18539007547034"
    assert made == (
        "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-42665544000052040000530398654"
        "0510.005802BR5913Fulano de Tal6008BRASILIA62200516RF18539007547034" + "6304"
    ) + crc16(made[:-4])


@pytest.mark.parametrize(
    ("minor", "text"),
    [
        (1, "0.01"),
        (5, "0.05"),
        (1230, "12.30"),
        (123456, "1234.56"),
        (MAX_AMOUNT_MINOR, "9999999999.99"),
    ],
)
def test_amounts_have_a_point_two_decimals_and_at_most_13_characters(minor: int, text: str) -> None:
    assert fields(payload(amount_minor=minor))["54"] == text
    assert len(text) <= 13


@pytest.mark.parametrize("minor", [0, -5, MAX_AMOUNT_MINOR + 1])
def test_amounts_out_of_range_are_refused(minor: int) -> None:
    with pytest.raises(InvalidInput, match=r"R\$ 0\.01 to") as caught:
        payload(amount_minor=minor)
    assert caught.value.field == "amount"


def test_no_amount_leaves_field_54_out() -> None:
    assert "54" not in fields(payload())


def test_the_fields_are_in_order_with_the_fixed_values() -> None:
    found = fields(payload(amount_minor=250, txid="ABC123"))
    assert list(found) == ["00", "26", "52", "53", "54", "58", "59", "60", "62", "63"]
    assert found["00"] == "01"
    assert found["26"] == "0014br.gov.bcb.pix0136" + EVP
    assert (found["52"], found["53"], found["58"]) == ("0000", "986", "BR")
    assert found["62"] == "0506ABC123"


def test_the_crc_is_four_upper_case_hex_digits_over_everything_before_it() -> None:
    for made in (payload(), payload(amount_minor=999, txid="abcXYZ09")):
        assert re.fullmatch(r"[0-9A-F]{4}", made[-4:])
        assert made[-8:-4] == "6304"
        assert int(made[-4:], 16) == crc_bitwise(made[:-4].encode("ascii"))


@given(
    st.text(max_size=40).map(lambda t: "N" + t),
    st.text(max_size=30).map(lambda t: "C" + t),
    st.one_of(st.none(), st.integers(min_value=1, max_value=MAX_AMOUNT_MINOR)),
)
def test_any_name_city_and_amount_make_ascii_fields_and_a_right_crc(
    name: str, city: str, amount: int | None
) -> None:
    made = payload(name=name, city=city, amount_minor=amount)
    assert made.isascii()
    found = fields(made)
    assert 1 <= len(found["59"]) <= 25
    assert 1 <= len(found["60"]) <= 15
    assert int(found["63"], 16) == crc_bitwise(made[:-4].encode("ascii"))


def test_accents_are_taken_off_names_and_cities() -> None:
    found = fields(payload(name="José Conceição", city="São Paulo"))
    assert found["59"] == "Jose Conceicao"
    assert found["60"] == "Sao Paulo"
    assert ascii_text("Ñandú Çà", "name", 25) == "Nandu Ca"


def test_names_are_cut_to_25_and_cities_to_15_characters() -> None:
    found = fields(payload(name="Maria " + "Aparecida " * 5, city="Santa Rita do Passa Quatro"))
    assert found["59"] == "Maria Aparecida Aparecida"  # 25 characters, no trailing space
    assert found["60"] == "Santa Rita do P"
    assert len(found["60"]) == 15


def test_what_has_no_ascii_form_is_dropped_and_nothing_left_is_refused() -> None:
    assert fields(payload(name="Zoë 张伟 Smith"))["59"] == "Zoe Smith"
    with pytest.raises(InvalidInput, match="Latin letters") as caught:
        payload(name="张伟")
    assert caught.value.field == "name"
    with pytest.raises(InvalidInput, match="Latin letters") as caught:
        payload(city="  \n ")
    assert caught.value.field == "city"


@pytest.mark.parametrize("txid", ["***", "A", "RF18539007547034", "abcXYZ0123456789abcXYZ012"])
def test_good_txids(txid: str) -> None:
    assert fields(payload(txid=txid))["62"] == f"05{len(txid):02d}{txid}"


@pytest.mark.parametrize("txid", ["", "**", "RF18-5390", "A" * 26, "Ação", "RF18 5390"])
def test_bad_txids_are_refused(txid: str) -> None:
    with pytest.raises(InvalidInput, match="1 to 25 letters") as caught:
        payload(txid=txid)
    assert caught.value.field == "txid"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("529.982.247-25", CPF),
        ("52998224725", CPF),
        (" 52998224725 ", CPF),
        ("11.222.333/0001-81", CNPJ),
        ("11222333000181", CNPJ),
        ("Fulano@Example.COM", "fulano@example.com"),
        ("+55 11 91234-5678", "+5511912345678"),
        ("+5511912345678", "+5511912345678"),
        ("11912345678", "+5511912345678"),
        ("(11) 91234-5678", "+5511912345678"),
        ("11 91234 5678", "+5511912345678"),
        ("+55 (61) 3333-4444", "+556133334444"),
        ("6133334444", "+556133334444"),
        (EVP, EVP),
        (EVP.upper(), EVP),
        ("f47ac10b-58cc-4372-a567-0e02b2c3d479", "f47ac10b-58cc-4372-a567-0e02b2c3d479"),
    ],
)
def test_good_keys_take_the_directory_form(text: str, key: str) -> None:
    assert check_pix_key(text) == key


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("529.982.247-24", "CPF is not valid"),
        ("111.111.111-11", "CPF is not valid"),  # the sums pass, but it is void
        ("11.222.333/0001-82", "CNPJ is not valid"),
        ("11222333000180", "CNPJ is not valid"),
        ("00000000000000", "CNPJ is not valid"),
        ("52998224724", "neither a valid CPF nor a mobile"),
        ("11912345684", "both a valid CPF and a mobile"),
        ("+1 415 555 0100", "+55"),
        ("+55 11 1234", "+55"),
        ("+55 20 91234-5678", "+55"),  # 20 is no Brazilian area code
        ("(11) 81234-5678", "+55"),  # 11 digits: a mobile starts with 9
        ("a" * 71 + "@ex.com", "at most 77"),
        ("fulano@@example.com", "cannot be a PIX key"),
        ("fulano de tal@example.com", "cannot be a PIX key"),
        ("", "CPF, CNPJ, e-mail, phone with +55 or random key"),
        ("123e4567-e12b-12d1-a456", "CPF, CNPJ, e-mail, phone with +55 or random key"),
        ("1234567", "CPF, CNPJ, e-mail, phone with +55 or random key"),
        ("١١٩١٢٣٤٥٦٧٨", "CPF, CNPJ, e-mail, phone with +55 or random key"),  # not ASCII digits
    ],
)
def test_bad_keys_are_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=re.escape(reason)) as caught:
        check_pix_key(text)
    assert caught.value.field == "key"


def test_the_payload_checks_its_key_and_writes_it_normalised() -> None:
    assert fields(payload(key="(11) 91234-5678"))["26"] == "0014br.gov.bcb.pix0114+5511912345678"
    with pytest.raises(InvalidInput) as caught:
        payload(key="529.982.247-24")
    assert caught.value.field == "key"


def test_the_longest_e_mail_key_still_fits_field_26() -> None:
    longest = "a" * 65 + "@example.com"
    assert len(longest) == 77
    assert fields(payload(key=longest))["26"] == "0014br.gov.bcb.pix0177" + longest


@pytest.mark.parametrize("given", ["12.ABC.345/01DE-35", "12abc34501de35", "12.abc.345/01de-35"])
def test_an_alphanumeric_cnpj_is_a_key(given: str) -> None:
    # Receita Federal's example of the alphanumeric CNPJ issued since July 2026 (letters count
    # as their ASCII code less 48 in the same modulo-11 check digits)
    assert check_pix_key(given) == "12ABC34501DE35"


def test_an_alphanumeric_cnpj_with_a_wrong_check_digit_is_refused() -> None:
    with pytest.raises(InvalidInput, match="CNPJ is not valid"):
        check_pix_key("12.ABC.345/01DE-36")
