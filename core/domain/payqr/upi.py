"""The UPI payment deep link of India's NPCI, and the checks of UPI IDs and UTRs.

Source: National Payments Corporation of India, "UPI Linking Specifications" (common URL
specifications for deep linking and proximity integration): a QR code or a link holds

    upi://pay?pa=<UPI ID>&pn=<payee name>&am=<amount>&cu=INR&tn=<note>&tr=<reference>

with every value percent-encoded. `pa` is the payee's virtual payment address (UPI ID,
"handle@psp"), `am` the amount in rupees with two decimals, `cu` the currency (INR is the
only one), `tn` a note shown to the payer and `tr` the transaction reference the payee
reconciles with. The spec gives no length to `pn`, `tn` and `tr`: Chipin keeps names and
notes to 50 characters (what payer apps show) and references to 35 letters and digits.

A UTR (unique transaction reference) is the 12-digit number a UPI payment gets; payers
copy it from their app as proof of payment.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from core.domain.errors import InvalidInput
from core.domain.payqr.fields import bounded_line, two_decimals

MAX_NAME = 50
MAX_NOTE = 50
MAX_REFERENCE = 35

_VPA = re.compile(r"[a-zA-Z0-9.\-_]{2,256}@[a-zA-Z][a-zA-Z0-9]{1,63}")
_UTR = re.compile(r"[0-9]{12}")
_REFERENCE = re.compile(rf"[A-Za-z0-9]{{1,{MAX_REFERENCE}}}")


def check_vpa(text: str) -> str:
    """The UPI ID (virtual payment address) in `text`, in lower case; else InvalidInput."""
    vpa = text.strip()
    if not _VPA.fullmatch(vpa):
        raise InvalidInput("vpa", "a UPI ID looks like name@bank (letters, digits, . - _)")
    return vpa.lower()


def check_utr(text: str) -> str:
    """The 12 digits of the UTR in `text` (spaces allowed); else InvalidInput."""
    utr = "".join(text.split())
    if not _UTR.fullmatch(utr):
        raise InvalidInput(
            "utr", "a UTR is the 12-digit number of the payment; copy it from your UPI app"
        )
    return utr


def upi_uri(*, vpa: str, name: str, amount_minor: int, note: str, reference: str) -> str:
    """The `upi://pay` link of a payment of `amount_minor` paise to `vpa`."""
    if amount_minor <= 0:
        raise InvalidInput("amount", "the amount must be more than zero")
    if not _REFERENCE.fullmatch(reference):
        raise InvalidInput(
            "reference", "a UPI transaction reference is 1 to 35 letters A-Z and digits"
        )
    params = (
        ("pa", check_vpa(vpa)),
        ("pn", _text(name, "name", MAX_NAME)),
        ("am", two_decimals(amount_minor)),
        ("cu", "INR"),
        ("tn", _text(note, "note", MAX_NOTE)),
        ("tr", reference),
    )
    return "upi://pay?" + "&".join(f"{key}={quote(value, safe='@')}" for key, value in params)


def _text(text: str, field: str, limit: int) -> str:
    clean = bounded_line(text, field, limit)
    if not clean:
        raise InvalidInput(field, "this is empty; write a few words")
    return clean
