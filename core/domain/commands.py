"""The `/split` and `/collect` arguments, parsed into order parameters (no Telegram here)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from core.domain.errors import InvalidInput
from core.domain.model import Mode
from core.domain.money import Currency, currency
from core.domain.params import DEFAULT_VALID, OrderRequest, RawOrder, build_request, parse_duration

SPLIT_EXAMPLE = "/split 240 6 Dinner at Luigi's"
COLLECT_EXAMPLE = "/collect 15 20 Concert tickets"

_NAME = re.compile(r"^@[A-Za-z0-9_]{4,32}$")  # 4: collectible usernames
_KEYS = ("expires", "mode", "currency", "holds")
MAX_NAMES = 50


@dataclass(frozen=True, slots=True)
class SplitCommand:
    """A parsed command: the order request (without its password yet), named payers, flags."""

    request: OrderRequest
    names: tuple[str, ...]  # lower-case '@username' or 'me', one per sub-order, in order
    wants_password: bool


@dataclass(slots=True)
class _Words:
    amount: str | None = None
    count: str | None = None
    names: list[str] = field(default_factory=list)
    title: list[str] = field(default_factory=list)
    options: dict[str, str] = field(default_factory=dict)
    wants_password: bool = False


def parse_command(
    kind: str, args: list[str], default_currency: Currency, max_minor: int
) -> SplitCommand:
    """Parse `/split <total> <payers|shares|@names…> [title] [key=value…] [password]`.

    Options: expires=2h, mode=all, currency=EUR, holds=50 (parts one client may hold).

    `/collect <each> <payers> …` asks a fixed amount of each payer. InvalidInput names the
    field; its `example` shows the right form of the command.
    """
    example = COLLECT_EXAMPLE if kind == "collect" else SPLIT_EXAMPLE
    try:
        return _parse(kind, args, default_currency, max_minor)
    except InvalidInput as exc:
        exc.example = example
        raise


def _parse(kind: str, args: list[str], default_cur: Currency, max_minor: int) -> SplitCommand:
    words = _sort_words(args)
    if words.amount is None:
        raise InvalidInput("total", "give the amount first")
    opts = words.options
    cur = currency(opts["currency"]) if "currency" in opts else default_cur
    valid = parse_duration(opts["expires"]) if "expires" in opts else DEFAULT_VALID
    names = tuple(words.names)
    raw = RawOrder(
        currency=cur,
        title=" ".join(words.title),
        valid=valid,
        mode=opts.get("mode", Mode.KEEP.value).lower(),
        holds_per_source=_holds(opts["holds"]) if "holds" in opts else None,
    )
    raw = _with_amounts(kind, raw, words.amount, words.count, names)
    return SplitCommand(build_request(raw, max_minor), names, words.wants_password)


def _with_amounts(
    kind: str, raw: RawOrder, amount: str, count: str | None, names: tuple[str, ...]
) -> RawOrder:
    if names:
        if count is not None:
            raise InvalidInput("payers", "give either a number of payers or @names, not both")
        if len(set(names)) != len(names):
            raise InvalidInput("payers", "a payer is named twice")
        count = str(len(names))
    if count is None:
        raise InvalidInput("payers", "give the number of payers after the amount")
    if kind == "collect":
        return replace(raw, each=amount, payers=_count(count))
    if ":" in count:
        return replace(raw, total=amount, shares=count)
    return replace(raw, total=amount, payers=_count(count))


def _count(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        raise InvalidInput("payers", "{value} is not a number of payers", value=repr(text[:20]))
    return int(text)


def _holds(text: str) -> int:
    """`holds=50`: how many parts one client may hold at once (core.domain.holds checks the
    range)."""
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        raise InvalidInput(
            "holds_per_client", "{value} is not a number of parts", value=repr(text[:20])
        )
    return int(text)


def _sort_words(args: list[str]) -> _Words:
    """Amount first, then a count/shares or @names; key=value and `password` anywhere after."""
    words = _Words()
    for i, word in enumerate(args):
        if i == 0:
            words.amount = word
        elif "=" in word and word.split("=", 1)[0].lower() in _KEYS:
            key, value = word.split("=", 1)
            words.options[key.lower()] = value
        elif "=" in word and not words.title:
            raise InvalidInput(
                word.split("=", 1)[0][:20] or "option",
                "unknown option {option}",
                option=repr(word[:30]),
            )
        elif word.lower() == "password":
            words.wants_password = True
        elif i == 1 and not word.startswith("@") and word.lower() != "me":
            words.count = word
        elif not words.title and (word.lower() == "me" or word.startswith("@")):
            words.names.append(_name(word))
        else:
            words.title.append(word)
    if len(words.names) > MAX_NAMES:
        raise InvalidInput("payers", "at most {max_names} named payers", max_names=MAX_NAMES)
    return words


def _name(word: str) -> str:
    if word.lower() == "me":
        return "me"
    if not _NAME.match(word):
        raise InvalidInput("payers", "{value} is not a Telegram @username", value=repr(word[:34]))
    return word.lower()
