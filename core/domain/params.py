"""Order parameters (the patent's claim 2), validated into an OrderRequest up front."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from core.domain.allocation import fixed_each, split_equal, split_weighted
from core.domain.errors import InvalidInput
from core.domain.holds import HOLDS_PER_SOURCE, check_holds_per_source
from core.domain.model import Mode, SplitKind
from core.domain.money import Currency, parse_amount
from core.domain.text import check_text

MIN_VALID = timedelta(minutes=1)
MAX_VALID = timedelta(days=30)
DEFAULT_VALID = timedelta(hours=24)
DEFAULT_HOLD = timedelta(minutes=15)
MAX_TITLE = 100
MAX_DISPLAY_NAME = 64
MIN_PASSWORD, MAX_PASSWORD = 4, 64


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """Everything needed to create an order; built only by `build_request`, so always valid."""

    title: str
    currency: Currency
    amounts_minor: tuple[int, ...]
    kind: SplitKind
    mode: Mode
    valid_s: int
    hold_s: int
    password: str | None
    holds_per_source: int | None = None  # None: core.domain.holds.HOLDS_PER_SOURCE
    # the name payers see for the payee, when the payee chose to show one
    payee_display_name: str | None = None

    @property
    def total_minor(self) -> int:
        return sum(self.amounts_minor)

    @property
    def n(self) -> int:
        return len(self.amounts_minor)

    def fingerprint(self, key: bytes) -> str:
        """HMAC-SHA-256 (hex) under `key` of what the request asks for, to tell a replay under
        an idempotency key from another request under the same key. Equal requests written
        differently ("240" or 240.00, "2h" or 7200) have one fingerprint. Keyed, so that the
        stored value confirms no guess of the sealed display name or the title offline. The
        password is left out (a fast hash of it would be guessed back): only whether there
        is one counts here, and its hash decides the rest (core.usecases.orders)."""
        asked = {
            "title": self.title,
            "currency": self.currency.code,
            "amounts_minor": list(self.amounts_minor),
            "kind": self.kind.value,
            "mode": self.mode.value,
            "valid_s": self.valid_s,
            "hold_s": self.hold_s,
            "has_password": self.password is not None,
            "holds_per_source": self.holds_per_source or HOLDS_PER_SOURCE,
            "payee_display_name": self.payee_display_name,
        }
        text = json.dumps(asked, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


_DURATION = re.compile(r"^([0-9]{1,6})\s*([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str, field: str = "expires") -> timedelta:
    """'30m', '2h', '3d' (or seconds as a bare number) into a timedelta."""
    raw = text.strip().lower()
    if raw.isascii() and raw.isdigit() and len(raw) <= 9:
        return timedelta(seconds=int(raw))
    match = _DURATION.match(raw)
    if not match:
        raise InvalidInput(
            field, "{value} is not a duration; write it like 30m, 2h or 3d", value=repr(text[:20])
        )
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def check_valid_time(valid: timedelta) -> int:
    if not MIN_VALID <= valid <= MAX_VALID:
        raise InvalidInput("expires_in", "the valid time must be between 1 minute and 30 days")
    return int(valid.total_seconds())


def parse_shares(text: str) -> list[int]:
    """'2:1:1' into [2, 1, 1]."""
    parts = text.split(":")
    if len(parts) < 2 or not all(p.isascii() and p.isdigit() and len(p) <= 6 for p in parts):
        raise InvalidInput(
            "shares", "{value} is not a list of shares; write it like 2:1:1", value=repr(text[:30])
        )
    return [int(p) for p in parts]


def check_title(title: str) -> str:
    clean = " ".join(title.split())
    if len(clean) > MAX_TITLE:
        raise InvalidInput(
            "title", "the title is longer than {max_chars} characters", max_chars=MAX_TITLE
        )
    if any(_is_control(ch) for ch in clean):
        raise InvalidInput("title", "the title contains control characters")
    return check_text(clean, "title")


# Embeddings, overrides and isolates (not the LRM/RLM marks): one left open in a title
# would reorder the amounts shown after it on the same line.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _is_control(ch: str) -> bool:
    """C0, DEL and C1 controls, and the bidi controls that reorder the text after them."""
    return unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS


def check_display_name(name: str | None) -> str | None:
    """The payee's display name, its spaces tidied; None when the payee shows none."""
    if name is None:
        return None
    clean = " ".join(name.split())
    if not clean:
        raise InvalidInput(
            "payee_display_name", "the display name is empty; leave it out to show no name"
        )
    if len(clean) > MAX_DISPLAY_NAME:
        raise InvalidInput(
            "payee_display_name",
            "the display name is longer than {max_chars} characters",
            max_chars=MAX_DISPLAY_NAME,
        )
    if any(_is_control(ch) for ch in clean):
        raise InvalidInput("payee_display_name", "the display name contains control characters")
    return check_text(clean, "payee_display_name")


def check_password(password: str | None) -> str | None:
    if password is None:
        return None
    check_text(password, "password")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(
            "password",
            "the order password must be {min_chars} to {max_chars} characters",
            min_chars=MIN_PASSWORD,
            max_chars=MAX_PASSWORD,
        )
    return password


@dataclass(frozen=True, slots=True)
class RawOrder:
    """Order parameters as the user typed them (text), before validation."""

    currency: Currency
    total: str | None = None
    each: str | None = None
    payers: int | None = None
    shares: str | None = None
    title: str = ""
    valid: timedelta = DEFAULT_VALID
    mode: str = Mode.KEEP.value
    password: str | None = None
    hold: timedelta = DEFAULT_HOLD
    holds_per_source: int | None = None
    payee_display_name: str | None = None


def build_request(raw: RawOrder, max_minor: int) -> OrderRequest:
    """Validate the parameters and allocate the sub-order amounts; InvalidInput names the field."""
    cur = raw.currency
    try:
        mode = Mode(raw.mode)
    except ValueError:
        raise InvalidInput("mode", "mode must be 'keep' or 'all'") from None
    if (raw.total is None) == (raw.each is None):
        raise InvalidInput("total", "give either a total to split or an amount for each payer")
    if (raw.payers is None) == (raw.shares is None):
        raise InvalidInput("payers", "give either a number of payers or shares like 2:1:1")
    if raw.each is not None:
        if raw.payers is None:
            raise InvalidInput("payers", "an amount for each payer needs a number of payers")
        each = parse_amount(raw.each, cur, max_minor, field="each")
        amounts, kind = fixed_each(each.amount_minor, raw.payers), SplitKind.EACH
        if sum(amounts) > max_minor:
            raise InvalidInput("each", "the total (each × payers) is above the limit")
    else:
        total = parse_amount(raw.total or "", cur, max_minor, field="total")
        if raw.shares is not None:
            weights = parse_shares(raw.shares)
            amounts, kind = split_weighted(total.amount_minor, weights), SplitKind.SHARES
        else:
            amounts = split_equal(total.amount_minor, raw.payers or 0)
            kind = SplitKind.EQUAL
    hold_s = int(raw.hold.total_seconds())
    if not 60 <= hold_s <= 3600:
        raise InvalidInput("hold", "the reservation hold must be between 1 and 60 minutes")
    return OrderRequest(
        title=check_title(raw.title),
        currency=cur,
        amounts_minor=tuple(amounts),
        kind=kind,
        mode=mode,
        valid_s=check_valid_time(raw.valid),
        hold_s=hold_s,
        password=check_password(raw.password),
        holds_per_source=check_holds_per_source(raw.holds_per_source),
        payee_display_name=check_display_name(raw.payee_display_name),
    )
