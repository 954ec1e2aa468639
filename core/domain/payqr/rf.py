"""ISO 11649 structured creditor references: "RF", two check digits, 1 to 21 letters or digits.

The check digits are ISO 7064 MOD 97-10, as in an IBAN: letters count A=10 ... Z=35, the
"RF" and the check digits move to the end, and the number is 1 modulo 97. References are
printed in groups of four ("RF18 5390 0754 7034") and stored compact ("RF18539007547034").

`new_reference` builds Chipin's per-payer references: 10 random characters of Crockford's
alphabet make a 14-character reference that is at the same time an EPC structured
creditor reference (at most 35), a PIX txid (at most 25 ASCII letters and digits) and a UPI
transaction reference.
"""

from __future__ import annotations

import re

from core.domain.errors import InvalidInput, invariant

PREFIX = "RF"
MAX_BODY = 21  # so a reference is at most 25 characters: "RF", 2 check digits, 21 more
#: Crockford's base32 alphabet: no I, L, O, U, which people misread or mistype.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_LEN = 10

_BODY = re.compile(rf"[0-9A-Z]{{1,{MAX_BODY}}}")
_REFERENCE = re.compile(rf"RF([0-9]{{2}})([0-9A-Z]{{1,{MAX_BODY}}})")
_SPACES = re.compile(r"\s+")


def compact(ref: str) -> str:
    """`ref` without spaces, in upper case ("rf18 5390 0754 7034" -> "RF18539007547034").

    Only ASCII text is upper-cased: "ß" must not turn into "SS" and pass for a reference.
    """
    flat = _SPACES.sub("", ref)
    return flat.upper() if flat.isascii() else flat


def printable(ref: str) -> str:
    """`ref` in groups of four, as printed ("RF18539007547034" -> "RF18 5390 0754 7034")."""
    flat = compact(ref)
    return " ".join(flat[i : i + 4] for i in range(0, len(flat), 4))


def _mod97(text: str) -> int:
    """`text` (digits and upper-case letters, A=10 ... Z=35) as a number, modulo 97."""
    return int("".join(str(int(ch, 36)) for ch in text)) % 97


def rf_check_digits(body: str) -> str:
    """The two check digits (02 to 98) of the reference whose characters are `body`."""
    flat = compact(body)
    if not _BODY.fullmatch(flat):
        raise InvalidInput(
            "reference",
            "a creditor reference holds 1 to {limit} letters A-Z and digits",
            limit=MAX_BODY,
        )
    return f"{98 - _mod97(flat + PREFIX + '00'):02d}"


def make_rf(body: str) -> str:
    """The compact RF reference of `body`: "RF", its check digits, then `body`."""
    flat = compact(body)
    return PREFIX + rf_check_digits(flat) + flat


def is_valid_rf(ref: str) -> bool:
    """Whether `ref` is an RF reference with the right check digits.

    Spaces and lower case are accepted. Only the check digits ISO 7064 computes count:
    "RF01..." and "RF99..." also leave 1 modulo 97 but are never issued, so they are refused.
    """
    found = _REFERENCE.fullmatch(compact(ref))
    return found is not None and found.group(1) == rf_check_digits(found.group(2))


def new_reference(random_alnum: str) -> str:
    """A new 14-character reference from 10 random characters of `ALPHABET`."""
    invariant(
        len(random_alnum) == RANDOM_LEN and all(ch in ALPHABET for ch in random_alnum),
        "a new reference takes 10 random characters of the Crockford alphabet",
    )
    return make_rf(random_alnum)
