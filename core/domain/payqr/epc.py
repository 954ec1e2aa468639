"""The EPC QR code of a SEPA credit transfer, and the IBAN and BIC checks it needs.

Source: European Payments Council, EPC069-12 "Quick Response Code: Guidelines to Enable
Data Capture for the Initiation of a SEPA Credit Transfer", version 3.0. The payload is
lines of text separated by LF, in this order:

    1  service tag        "BCD"
    2  version            "002" (the BIC may be left out inside the EEA; "001" requires it)
    3  character set      "1" (UTF-8)
    4  identification     "SCT"
    5  BIC                8 or 11 characters, or empty
    6  beneficiary name   1 to 70 characters
    7  IBAN               at most 34 characters
    8  amount             "EUR" and the amount, 0.01 to 999999999.99, with a decimal point
                          and no thousands separators ("EUR12.3", "EUR12", "EUR0.05")
    9  purpose            ISO 20022 purpose code, at most 4 characters, or empty
    10 reference          structured creditor reference (ISO 11649 RF), at most 35, or empty
    11 text               unstructured remittance information, at most 140, or empty
    12 information        beneficiary to originator information, at most 70, or empty

A transfer carries either the reference or the text, never both. Trailing elements that are
not used are left out (no empty lines after the last one). The whole payload is at most 331
bytes: what a QR code of version 13 with error correction M holds, the largest the
guideline allows.
"""

from __future__ import annotations

import re

from schwifty import BIC, IBAN
from schwifty.exceptions import (
    InvalidChecksumDigits,
    InvalidCountryCode,
    InvalidLength,
    SchwiftyException,
)

from core.domain.errors import InvalidInput
from core.domain.payqr import rf
from core.domain.payqr.fields import bounded_line, one_line, two_decimals

SERVICE_TAG = "BCD"
VERSION = "002"
CHARSET_UTF8 = "1"
IDENTIFICATION = "SCT"
MAX_NAME = 70
MAX_TEXT = 140
MAX_NOTE = 70
MIN_AMOUNT_MINOR = 1  # EUR 0.01
MAX_AMOUNT_MINOR = 99_999_999_999  # EUR 999999999.99
MAX_PAYLOAD_BYTES = 331

_PURPOSE = re.compile(r"[A-Z0-9]{1,4}")


def check_iban(text: str) -> str:
    """The compact, upper-case IBAN of `text` (spaces allowed), if it is valid and its
    country takes SEPA credit transfers; else InvalidInput naming "iban"."""
    try:
        iban = IBAN(text)
    except InvalidChecksumDigits:
        raise InvalidInput("iban", "this IBAN's check digits are wrong; look for a typo") from None
    except InvalidCountryCode:
        raise InvalidInput(
            "iban", "an IBAN starts with a country code such as DE or FR, and this one does not"
        ) from None
    except InvalidLength:
        raise InvalidInput(
            "iban", "this IBAN is too short or too long for its country; look for a typo"
        ) from None
    except SchwiftyException:
        raise InvalidInput(
            "iban", "this is not an IBAN; write it like DE89 3704 0044 0532 0130 00"
        ) from None
    if not iban.in_sepa_zone:
        raise InvalidInput(
            "iban",
            "IBANs of {country} cannot receive SEPA transfers; use an account in the SEPA zone",
            country=iban.country_code,
        )
    return str(iban)


def check_bic(text: str) -> str:
    """The compact, upper-case BIC of `text`, if it is well formed; else InvalidInput."""
    try:
        return str(BIC(text))
    except InvalidLength:
        raise InvalidInput("bic", "a BIC has 8 or 11 letters and digits") from None
    except InvalidCountryCode:
        raise InvalidInput(
            "bic", "letters 5 and 6 of a BIC are its country code, and this one is unknown"
        ) from None
    except SchwiftyException:
        raise InvalidInput("bic", "this is not a BIC; write it like BHBLDEHHXXX") from None


def epc_amount(amount_minor: int) -> str:
    """'EUR' and the amount in euros without trailing zeros: 1230 -> 'EUR12.3'."""
    if not MIN_AMOUNT_MINOR <= amount_minor <= MAX_AMOUNT_MINOR:
        raise InvalidInput("amount", "a SEPA payment QR code takes EUR 0.01 to EUR 999,999,999.99")
    return "EUR" + two_decimals(amount_minor).rstrip("0").rstrip(".")


def epc_payload(
    *,
    name: str,
    iban: str,
    bic: str | None,
    amount_minor: int,
    reference: str | None = None,
    text: str | None = None,
    purpose: str | None = None,
    note: str | None = None,
) -> str:
    """The EPC QR code payload (version 002, UTF-8) of a SEPA credit transfer of
    `amount_minor` euro cents to `name`'s `iban`; InvalidInput names the first bad field.

    `reference` is an ISO 11649 RF creditor reference and `text` free remittance text: give
    one or neither, never both. `note` is the beneficiary to originator information.
    """
    lines = [
        SERVICE_TAG,
        VERSION,
        CHARSET_UTF8,
        IDENTIFICATION,
        check_bic(bic) if bic and bic.strip() else "",
        _name(name),
        check_iban(iban),
        epc_amount(amount_minor),
        _purpose(purpose),
        _reference(reference, text),
        bounded_line(text or "", "text", MAX_TEXT),
        bounded_line(note or "", "note", MAX_NOTE),
    ]
    while not lines[-1]:
        lines.pop()
    payload = "\n".join(lines)
    size = len(payload.encode("utf-8"))
    if size > MAX_PAYLOAD_BYTES:
        raise InvalidInput(
            "text",
            "the payment details take {size} bytes and a SEPA payment QR code holds {limit}; "
            "shorten the name, the text or the note",
            size=size,
            limit=MAX_PAYLOAD_BYTES,
        )
    return payload


def _name(name: str) -> str:
    clean = one_line(name, "name")
    if not clean:
        raise InvalidInput("name", "the beneficiary name is missing")
    if len(clean) > MAX_NAME:
        raise InvalidInput(
            "name", "the beneficiary name is longer than {limit} characters", limit=MAX_NAME
        )
    return clean


def _purpose(purpose: str | None) -> str:
    clean = (purpose or "").strip().upper()
    if clean and not _PURPOSE.fullmatch(clean):
        raise InvalidInput(
            "purpose", "a purpose code is at most 4 letters and digits, such as GDDS"
        )
    return clean


def _reference(reference: str | None, text: str | None) -> str:
    if not reference or not reference.strip():
        return ""
    if text and text.strip():
        raise InvalidInput(
            "reference", "give either a creditor reference or a remittance text, not both"
        )
    if not rf.is_valid_rf(reference):
        raise InvalidInput(
            "reference",
            "this is not an RF creditor reference (ISO 11649); check it for a typo",
        )
    return rf.compact(reference)
