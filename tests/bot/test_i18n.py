"""The catalogs: language choice, and every message of the bot translated in both languages."""

from __future__ import annotations

import re
import string
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.views.i18n import CHINESE, ENGLISH, LANGUAGES, catalog_path, language_for, translator

BOT = Path(__file__).resolve().parents[2] / "bot"
CORE = BOT.parent / "core"
STATEMENT_READERS = BOT.parent / "gateways" / "statements"
# core's refusals are catalog messages too: `pybabel extract -k InvalidInput:2 ... bot core`
CORE_KEYWORDS = {"InvalidInput": (2,)}
# and so are the bank statement readers': `-k StatementUnreadable:1 ... core gateways/statements`
STATEMENT_KEYWORDS = {"StatementUnreadable": (1,)}
MessageId = str | tuple[str, ...]
# placeholders, tags, the brand and code words (commands, 'me', 30m, quoted technical names
# such as “IBAN” or “camt.053”) may stay Latin in Chinese
_BRAND_AND_MARKUP = re.compile(r"\{\w+\}|<[^>]+>|Chipin|UTC|/\w+|“[\w.:@{}+-]+”|'\w+'|\d+[smhd]")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def used_messages() -> set[MessageId]:
    """Every message id as babel sees it: gettext literals (bot), InvalidInput templates (core)
    and StatementUnreadable templates (core, the statement readers)."""
    found: set[MessageId] = set(core_templates_by_babel())
    found |= statement_templates_by_babel()
    for _file, _line, message, _comments, _context in extract_from_dir(str(BOT)):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def core_templates_by_babel() -> set[str]:
    """The second argument of every `InvalidInput(...)` in core, as `pybabel extract` reads it."""
    found = extract_from_dir(str(CORE), keywords=CORE_KEYWORDS)
    return {message for _file, _line, message, _comments, _ctx in found if isinstance(message, str)}


def statement_templates_by_babel() -> set[str]:
    """The first argument of every `StatementUnreadable(...)`, as `pybabel extract` reads it."""
    found: set[str] = set()
    for where in (CORE, STATEMENT_READERS):
        for _file, _line, message, _comments, _ctx in extract_from_dir(
            str(where), keywords=STATEMENT_KEYWORDS
        ):
            if isinstance(message, str):
                found.add(message)
    return found


def catalog(lang: str) -> Catalog:
    with (BOT / "views" / catalog_path(lang)).open("rb") as po:
        return read_po(po, locale=lang)


def translations(lang: str) -> Iterator[tuple[MessageId, list[str]]]:
    for message in catalog(lang):
        if not message.id:
            continue  # the header
        key = message.id if isinstance(message.id, str) else tuple(message.id)
        found = message.string
        strings = [found] if isinstance(found, str) else list(found or ())
        yield key, strings


def fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def tags(text: str) -> list[str]:
    return sorted(re.findall(r"</?\w+>", text))


@pytest.mark.parametrize(
    ("code", "lang"),
    [
        (None, ENGLISH),
        ("", ENGLISH),
        ("en", ENGLISH),
        ("en-GB", ENGLISH),
        ("de", ENGLISH),
        ("pt-br", ENGLISH),
        ("zh", CHINESE),
        ("zh-hans", CHINESE),
        ("zh-CN", CHINESE),
        ("zh_SG", CHINESE),
        ("zh-hant", CHINESE),  # Traditional falls back to Simplified until it has a catalog
        ("zh-TW", CHINESE),
        ("ZH-HK", CHINESE),
    ],
)
def test_telegram_language_code_picks_catalog(code: str | None, lang: str) -> None:
    assert language_for(code) == lang


def test_translators_are_cached_per_language() -> None:
    assert translator("zh") is translator("zh-cn")
    assert translator("en") is translator("fr")
    assert translator("zh") is not translator("en")


def test_chinese_translator_translates_and_unknown_ids_fall_back_to_the_id() -> None:
    assert translator("zh-hans").gettext("Pay") == "付款"
    assert translator("en").gettext("Pay") == "Pay"
    assert translator("zh").gettext("not a message id") == "not a message id"


def test_plural_forms_follow_the_language() -> None:
    en, zh = translator("en"), translator("zh")
    one, many = "{n} part is still open.", "{n} parts are still open."
    assert en.ngettext(one, many, 1) == one
    assert en.ngettext(one, many, 2) == many
    assert zh.ngettext(one, many, 1) == zh.ngettext(one, many, 5) == "还有 {n} 份未付。"


def test_extraction_finds_the_bot_texts() -> None:
    used = used_messages()
    assert "Pay" in used
    assert ("{n} part is still open.", "{n} parts are still open.") in used
    assert len(used) > 100


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_in_the_code_has_a_translation(lang: str) -> None:
    known = dict(translations(lang))
    missing = sorted(map(str, used_messages() - known.keys()))
    assert missing == []
    empty = sorted(str(k) for k, strings in known.items() if not all(strings))
    assert empty == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_holds_no_message_the_code_no_longer_uses(lang: str) -> None:
    unused = sorted(map(str, dict(translations(lang)).keys() - used_messages()))
    assert unused == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_fuzzy_entries(lang: str) -> None:
    fuzzy = [m.id for m in catalog(lang) if m.id and m.fuzzy]
    assert fuzzy == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_and_html_tags_match_the_message_id(lang: str) -> None:
    for key, strings in translations(lang):
        ids = [key] if isinstance(key, str) else list(key)
        for text in strings:
            assert fields(text) == fields(ids[-1]), (key, text)
            assert tags(text) == tags(ids[-1]), (key, text)


def test_no_english_sentence_is_left_in_the_chinese_catalog() -> None:
    for key, strings in translations(CHINESE):
        source = key if isinstance(key, str) else key[0]
        for text in strings:
            assert not re.search("[A-Za-z]", _BRAND_AND_MARKUP.sub("", text)), (key, text)
            if re.search("[A-Za-z]{3,}", _BRAND_AND_MARKUP.sub("", source)):
                assert _CJK.search(text), (key, text)


def test_english_catalog_says_what_the_code_says() -> None:
    for key, strings in translations(ENGLISH):
        assert strings == ([key] if isinstance(key, str) else list(key))


def test_gettext_calls_take_literals_only() -> None:
    """A non-literal id (f-string, variable) would silently escape extraction.

    The one exception is core's refusal template, a literal in core (test_core_messages.py).
    """
    call = re.compile(r"\b(?:gettext|ngettext)\((?=\s*[^\s\"])")
    offenders = [
        f"{path.name}:{text.count(chr(10), 0, m.start()) + 1}"
        for path in sorted(BOT.rglob("*.py"))
        for text in [path.read_text(encoding="utf-8")]
        for m in call.finditer(text)
        if not text[m.start() - 4 : m.start()].endswith("def ")
        and not text.startswith("error.template)", m.end())
    ]
    assert offenders == []


def test_presentation_modules_import_no_adapter() -> None:
    code = (
        "import sys, bot.views.i18n, bot.views.texts.common, bot.views.texts.payer, "
        "bot.views.texts.payee, bot.views.timefmt, bot.views.progress, bot.views.qr; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'storage', 'gateways', 'web'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
