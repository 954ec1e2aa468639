"""Payer references: the namespace says who vouches for the payer, and only its owner writes it.

    tg:<user id>      the bot: Telegram itself says who the user is
    api:<text>        the REST API: the text the payer gave (the API shows the text alone)
    web:<browser id>  the pay page: the random id in the browser's payer cookie

References written before these namespaces (free text, such as 'Ann (web 1a2b3c4d)') stay
as they were: their ledger entries and receipts commit to that text. The other reserved
prefixes are internal subjects of failed-try counters (core.usecases.reservations,
core.usecases.codes) or client sources (web.clients), which a payer's text must never look
like either.
"""

from __future__ import annotations

from core.domain.errors import InvalidInput
from core.domain.text import check_text

TELEGRAM = "tg:"
API = "api:"
WEB = "web:"
ADDRESS = (
    "ip:"  # not a payer: a web client's address as a source (core.domain.holds, core.domain.tries)
)
# Every prefix only Chipin writes; a web or API payer's own text may start with none of them.
RESERVED_PREFIXES = (TELEGRAM, API, WEB, ADDRESS, "order:", "code-guess:")

MAX_PAYER_TEXT = 64
# Telegram user ids have at most 52 significant bits; anything longer is not one.
_MAX_TELEGRAM_ID = 2**52


def printable_ref(text: str, max_chars: int) -> str:
    """A payer reference with the spaces around it trimmed: 1 to `max_chars` printable
    characters, else InvalidInput naming the `payer` field."""
    clean = check_text(text, "payer").strip()
    if not 1 <= len(clean) <= max_chars or not clean.isprintable():
        raise InvalidInput(
            "payer", "the payer reference must be 1 to {max_chars} characters", max_chars=max_chars
        )
    return clean


def check_payer_text(text: str) -> str:
    """A web or API payer's own reference: 1 to 64 printable characters (spaces around it
    trimmed) that do not start with a reserved prefix, whatever its case."""
    clean = printable_ref(text, MAX_PAYER_TEXT)
    if clean.lower().startswith(RESERVED_PREFIXES):
        raise InvalidInput(
            "payer",
            "a payer reference may not start with {prefix}: that prefix is reserved",
            prefix=clean.split(":", 1)[0] + ":",
        )
    return clean


def api_payer(text: str) -> str:
    """The stored reference of a REST API payer: `api:` and their own checked text."""
    return API + check_payer_text(text)


def web_payer(browser_id: str) -> str:
    """The stored reference of a pay-page payer: `web:` and their browser's cookie id."""
    return WEB + browser_id


def address_source(address: str) -> str:
    """The source a web client's tries and holds count against: `ip:<address or /64>`."""
    return ADDRESS + address


def telegram_payer(user_id: int) -> str:
    return f"{TELEGRAM}{user_id}"


def telegram_user_id(ref: str | None) -> int | None:
    """The Telegram user a `tg:<id>` reference names, or None for any other reference and
    for a malformed one ('tg:abc', 'tg:', 'tg:-1', 'tg:007', an id of 20 digits)."""
    if ref is None or not ref.startswith(TELEGRAM):
        return None
    digits = ref.removeprefix(TELEGRAM)
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 16:
        return None
    user_id = int(digits)
    if not 0 < user_id < _MAX_TELEGRAM_ID or str(user_id) != digits:
        return None
    return user_id


def vouched_for(ref: str) -> bool:
    """Whether someone other than the payer vouches for who they are (Telegram, for `tg:`):
    such a payer needs no hold secret to see their own hold again."""
    return telegram_user_id(ref) is not None


def shown_payer(ref: str | None, name: str | None = None) -> str | None:
    """A stored reference as the API shows it: an API payer's own text, a pay-page payer's
    name; any other reference (the bot's, one written before namespaces) as stored."""
    if ref is None:
        return None
    if ref.startswith(API):
        return ref.removeprefix(API)
    if ref.startswith(WEB):
        return name or "web payer"
    return ref
