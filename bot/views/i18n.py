"""Picks the user's language and loads its gettext catalog (English, Simplified Chinese).

Catalogs are `.po` sources in `bot/views/locales/<lang>/LC_MESSAGES/chipin.po`, compiled in
memory on first use (Babel's `read_po` then `write_mo` into a buffer) and cached per
language, so a fresh clone needs no build step and no `.mo` files are kept in git.

Conventions:

- Every user-facing string is a literal inside `t.gettext("...")` or
  `t.ngettext("one ...", "{n} ...", n)` where `t` is a `Translator`; a handler may bind
  `_ = t.gettext` and write `_("...")`. Never build the message id at run time
  (no f-strings, no concatenation): the extractor reads literals only.
- Values go in after translation with `str.format` and named fields:
  `t.gettext("Paid {paid}/{n}").format(paid=2, n=6)`; the translation keeps the same
  field names (tests/bot/test_i18n.py checks both catalogs against the source).
- Core's refusals are catalog messages too: the literal template of every
  `InvalidInput(field, "template {value}", value=...)` in core is a message id, which
  `bot.views.texts.common.bad_input` translates (tests/bot/test_core_messages.py checks them);
  so is every `StatementUnreadable("template {value}", value=...)` of core and the bank
  statement readers (gateways/statements), translated by `bot.views.texts.methods`.

Updating the catalogs after changing texts (from the repository root)::

    .venv/bin/pybabel extract -k InvalidInput:2 -k StatementUnreadable:1 -o /tmp/chipin.pot \
        bot core gateways/statements
    .venv/bin/pybabel update -i /tmp/chipin.pot -d bot/views/locales -D chipin --no-fuzzy-matching
    # translate the new empty msgstr in both chipin.po files (English: copy the msgid),
    # then run pytest tests/bot/test_i18n.py

Telegram language codes: `zh`, `zh-hans`, `zh-cn`, `zh-sg` and every other `zh-*`
(including Traditional `zh-hant`, `zh-tw`, `zh-hk`, which fall back to Simplified until
a Traditional catalog exists) get `zh_Hans`; anything else, or none, gets English.
"""

from __future__ import annotations

import functools
import io
from importlib import resources
from typing import Protocol

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

DOMAIN = "chipin"
ENGLISH = "en"
CHINESE = "zh_Hans"
LANGUAGES = (ENGLISH, CHINESE)


class Translator(Protocol):
    """What texts need of a catalog: the two gettext calls (babel's Translations has them)."""

    def gettext(self, message: str, /) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...


def language_for(language_code: str | None) -> str:
    """The catalog for a Telegram `language_code` (an IETF tag such as 'en', 'zh-hans')."""
    if not language_code:
        return ENGLISH
    primary = language_code.strip().lower().replace("_", "-").split("-", 1)[0]
    return CHINESE if primary == "zh" else ENGLISH


def translator(language_code: str | None) -> Translator:
    """The cached translator for a user's Telegram language code."""
    return load_catalog(language_for(language_code))


def catalog_path(lang: str) -> str:
    """Where the `.po` source of `lang` lives (inside the bot package)."""
    return f"locales/{lang}/LC_MESSAGES/{DOMAIN}.po"


@functools.cache
def load_catalog(lang: str) -> Translations:
    """Parse `lang`'s `.po` and compile it in memory; once per process and language."""
    if lang not in LANGUAGES:
        raise ValueError(f"no catalog for language {lang!r}")
    source = resources.files("bot.views").joinpath(catalog_path(lang))
    with source.open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)
