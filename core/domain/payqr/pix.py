"""The PIX BR Code (a static QR code) of Banco Central do Brasil, and the PIX key check.

Source: Banco Central do Brasil, "Manual de Padrões para Iniciação do Pix" (the static QR
code of the BR Code), itself a profile of EMVCo's "EMV® QR Code Specification for Payment
Systems: Merchant-Presented Mode" (QRCPS-MPM). The payload is a row of fields, each an ID
of 2 digits, the value's length in 2 digits, then the value:

    00 payload format indicator  "01"
    26 merchant account          00 GUI "br.gov.bcb.pix", 01 the PIX key (02 description:
                                 left out)
    52 merchant category code    "0000"
    53 transaction currency      "986" (BRL, ISO 4217)
    54 transaction amount        left out when the payer types it; else "10.00", at most
                                 13 characters with a point
    58 country code              "BR"
    59 merchant name             1 to 25 characters
    60 merchant city             1 to 15 characters
    62 additional data           05 txid: 1 to 25 letters and digits, "***" when none
    63 CRC                       CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF) of
                                 the whole payload up to and including "6304", as 4
                                 upper-case hex digits

Names and cities are plain ASCII: accents are taken off ("São Paulo" -> "Sao Paulo"), what
has no ASCII form is dropped, and the rest is cut to the limit.

A PIX key is a CPF (11 digits), a CNPJ (14 digits), an e-mail address (at most 77
characters, lower case), a phone number ("+55", the area code and the number) or a random
key (EVP, a UUID in lower case), in the forms the DICT directory holds them.
"""

from __future__ import annotations

import binascii
import re
import unicodedata
from typing import NoReturn

from core.domain.errors import InvalidInput, invariant
from core.domain.payqr.fields import two_decimals

GUI = "br.gov.bcb.pix"
MAX_NAME = 25
MAX_CITY = 15
MAX_TXID = 25
NO_TXID = "***"
MAX_EMAIL = 77
MAX_AMOUNT_MINOR = 999_999_999_999  # "9999999999.99": 13 characters
_CRC_FIELD = "6304"

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_EMAIL = re.compile(
    r"[a-z0-9.!#$&'*+/=?^_`{|}~-]+"
    r"@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
)
_CPF_PRINTED = re.compile(r"[0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}")
# Since July 2026 new CNPJs may have letters in their first 12 places (Receita Federal,
# IN RFB 2.229/2024); the two check digits stay digits.
_CNPJ_PRINTED = re.compile(r"[0-9A-Z]{2}\.[0-9A-Z]{3}\.[0-9A-Z]{3}/[0-9A-Z]{4}-[0-9]{2}")
_CNPJ_BARE = re.compile(r"[0-9A-Z]{12}[0-9]{2}")
_PHONE_MARKS = re.compile(r"[\s().-]")
# one of Brazil's 67 area codes (DDD, ANATEL's numbering plan), then 8 digits, or 9 digits
# starting with 9 (a mobile)
_NATIONAL_PHONE = re.compile(
    r"(?:1[1-9]|2[12478]|3[1-578]|4[1-9]|5[1345]|6[1-9]|7[134579]|8[1-9]|9[1-9])"
    r"(?:9[0-9]{8}|[0-9]{8})"
)
_DIGITS = re.compile(r"[0-9]+")
_TXID = re.compile(rf"[A-Za-z0-9]{{1,{MAX_TXID}}}")
_CNPJ_WEIGHTS = (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)


def check_pix_key(text: str) -> str:
    """The PIX key in `text`, in the form the directory holds it; else InvalidInput ("key").

    A CPF or CNPJ may be printed with its dots and dashes; a phone may have spaces,
    parentheses and dashes, and "+55" is added to a bare area code and number. Eleven bare
    digits that are both a valid CPF and a mobile number are refused as ambiguous.
    """
    raw = text.strip()
    if _UUID.fullmatch(raw.lower()):
        return raw.lower()
    if "@" in raw:
        return _email(raw)
    if _CPF_PRINTED.fullmatch(raw):
        return _cpf(_only_digits(raw))
    if _CNPJ_PRINTED.fullmatch(raw.upper()):
        return _cnpj(re.sub(r"[./-]", "", raw.upper()))
    if _CNPJ_BARE.fullmatch(raw.upper()) and not raw.isdigit():
        return _cnpj(raw.upper())
    unmarked = _PHONE_MARKS.sub("", raw)
    if unmarked.startswith("+"):
        if not unmarked.startswith("+55"):
            _bad_phone()
        return _phone(unmarked[3:])
    if not _DIGITS.fullmatch(unmarked):
        _bad_key()
    if unmarked != raw:  # written as a phone: "(11) 91234-5678"
        return _phone(unmarked)
    if len(unmarked) == 14:
        return _cnpj(unmarked)
    if len(unmarked) == 11:
        return _cpf_or_mobile(unmarked)
    if len(unmarked) == 10:
        return _phone(unmarked)
    _bad_key()


def pix_payload(*, key: str, name: str, city: str, amount_minor: int | None, txid: str) -> str:
    """The static BR Code of a PIX payment to `key`; no amount lets the payer type it.

    `txid` is 1 to 25 ASCII letters and digits, or "***" for none.
    """
    if txid != NO_TXID and not _TXID.fullmatch(txid):
        raise InvalidInput("txid", "a PIX transaction id is 1 to 25 letters A-Z and digits, or ***")
    account = _field("00", GUI) + _field("01", check_pix_key(key))
    payload = (
        _field("00", "01")
        + _field("26", account)
        + _field("52", "0000")
        + _field("53", "986")
        + ("" if amount_minor is None else _field("54", _amount(amount_minor)))
        + _field("58", "BR")
        + _field("59", ascii_text(name, "name", MAX_NAME))
        + _field("60", ascii_text(city, "city", MAX_CITY))
        + _field("62", _field("05", txid))
        + _CRC_FIELD
    )
    return payload + crc16(payload)


def crc16(data: str) -> str:
    """CRC-16/CCITT-FALSE of `data`'s ASCII bytes, as 4 upper-case hex digits."""
    return f"{binascii.crc_hqx(data.encode('ascii'), 0xFFFF):04X}"


def ascii_text(text: str, field: str, limit: int) -> str:
    """`text` in printable ASCII: accents off, the rest dropped, spaces collapsed, then cut
    to `limit` characters; InvalidInput naming `field` if nothing is left."""
    bare = "".join(
        ch
        for ch in unicodedata.normalize("NFKD", text)
        if " " <= ch <= "~" or (ch.isspace() and ch.isascii())
    )
    clean = " ".join(bare.split())[:limit].rstrip()
    if not clean:
        raise InvalidInput(
            field, "write this in Latin letters: a PIX code carries only A to Z, digits and signs"
        )
    return clean


def _field(tag: str, value: str) -> str:
    invariant(len(value) <= 99, "an EMV field holds at most 99 characters")
    return f"{tag}{len(value):02d}{value}"


def _amount(amount_minor: int) -> str:
    if not 0 < amount_minor <= MAX_AMOUNT_MINOR:
        raise InvalidInput("amount", "a PIX QR code takes R$ 0.01 to R$ 9,999,999,999.99")
    return two_decimals(amount_minor)


def _only_digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isascii() and ch.isdigit())


def _cpf_valid(digits: str) -> bool:
    """The two check digits of a CPF (modulo 11, weights 10..2 then 11..2) are right."""
    if len(set(digits)) == 1:  # 111.111.111-11 and the like pass the sums but are void
        return False
    numbers = [int(ch) for ch in digits]
    for size in (9, 10):
        total = sum(n * (size + 1 - i) for i, n in enumerate(numbers[:size]))
        if total * 10 % 11 % 10 != numbers[size]:
            return False
    return True


def _cnpj_valid(digits: str) -> bool:
    """The two check digits of a CNPJ (modulo 11, weights 5..2 9..2, then 6..2 9..2); a letter
    counts as its ASCII code less 48 (A = 17), as for the alphanumeric CNPJ."""
    if len(set(digits)) == 1:
        return False
    numbers = [ord(ch) - ord("0") for ch in digits]
    for size in (12, 13):
        weights = _CNPJ_WEIGHTS[13 - size :]
        rest = sum(n * w for n, w in zip(numbers[:size], weights, strict=True)) % 11
        if (0 if rest < 2 else 11 - rest) != numbers[size]:
            return False
    return True


def _cpf(digits: str) -> str:
    if not _cpf_valid(digits):
        raise InvalidInput("key", "this CPF is not valid (its check digits are wrong)")
    return digits


def _cnpj(digits: str) -> str:
    if not _cnpj_valid(digits):
        raise InvalidInput("key", "this CNPJ is not valid (its check digits are wrong)")
    return digits


def _cpf_or_mobile(digits: str) -> str:
    is_cpf, is_mobile = _cpf_valid(digits), _is_phone(digits)
    if is_cpf and is_mobile:
        raise InvalidInput(
            "key",
            "these 11 digits are both a valid CPF and a mobile number; write the CPF "
            "with its dots (123.456.789-09) or the phone with +55",
        )
    if is_cpf:
        return digits
    if is_mobile:
        return "+55" + digits
    raise InvalidInput(
        "key", "these 11 digits are neither a valid CPF nor a mobile number; look for a typo"
    )


def _is_phone(national: str) -> bool:
    return _NATIONAL_PHONE.fullmatch(national) is not None


def _phone(national: str) -> str:
    if not _is_phone(national):
        _bad_phone()
    return "+55" + national


def _email(text: str) -> str:
    address = text.lower()
    if len(address) > MAX_EMAIL:
        raise InvalidInput("key", "a PIX e-mail key is at most {limit} characters", limit=MAX_EMAIL)
    if not _EMAIL.fullmatch(address):
        raise InvalidInput("key", "this e-mail address cannot be a PIX key; look for a typo")
    return address


def _bad_phone() -> NoReturn:
    raise InvalidInput(
        "key",
        "a PIX phone key is +55, a Brazilian area code and the number "
        "(8 digits, or 9 starting with 9)",
    )


def _bad_key() -> NoReturn:
    raise InvalidInput(
        "key", "the PIX key must be a CPF, CNPJ, e-mail, phone with +55 or random key"
    )
