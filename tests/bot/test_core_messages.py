"""Core's refusals in the catalogs: every InvalidInput template is a literal, translated in both."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.views.i18n import ENGLISH, LANGUAGES, translator
from bot.views.texts import common as texts
from core.domain.commands import parse_command
from core.domain.errors import InvalidInput
from core.domain.money import currency
from tests.bot.test_i18n import (
    core_templates_by_babel,
    fields,
    statement_templates_by_babel,
    translations,
)
from tests.support.ptb import GROUP, MEI, BotRig

CORE = Path(__file__).resolve().parents[2] / "core"
ZH = translator("zh-hans")
EN = translator("en")
USD = currency("USD")
# what a refusal may still show in Latin letters: the user's own words (quoted), the command
_NOT_PROSE = re.compile(r"'[^']*'|<code>.*?</code>|\b[A-Z]{3}\b")


def core_template_calls() -> list[tuple[str, ast.Call]]:
    """Every `InvalidInput(...)` call in core, with 'module.py:line'."""
    found = []
    for path in sorted(CORE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _name(node.func) == "InvalidInput":
                found.append((f"{path.name}:{node.lineno}", node))
    return found


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _template(call: ast.Call) -> str | None:
    """The literal template (second positional argument), or None if it is not a literal."""
    if len(call.args) < 2:
        return None
    arg = call.args[1]
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


def core_templates() -> set[str]:
    return {t for _where, call in core_template_calls() if (t := _template(call)) is not None}


def refusal(*args: str, kind: str = "split") -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse_command(kind, list(args), USD, 10_000_000)
    return caught.value


def test_every_template_is_a_string_literal() -> None:
    calls = core_template_calls()
    assert len(calls) > 40  # the walk does find core's refusals
    offenders = [where for where, call in calls if _template(call) is None]
    assert offenders == []


def test_every_template_gets_exactly_its_placeholders() -> None:
    for where, call in core_template_calls():
        template = _template(call)
        assert template is not None, where
        given = {k.arg for k in call.keywords}
        assert None not in given, f"{where}: no **params, so the placeholders can be checked"
        assert given == fields(template), (where, template)


def test_pybabel_extracts_the_same_templates_as_the_walk() -> None:
    assert core_templates_by_babel() == core_templates()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_template_is_translated_with_the_same_placeholders(lang: str) -> None:
    known = {k: v for k, v in translations(lang) if isinstance(k, str)}
    for template in sorted(core_templates()):
        assert template in known, (lang, template)
        (text,) = known[template]
        assert text, (lang, template)
        assert fields(text) == fields(template), (lang, template, text)
        if lang == ENGLISH:
            assert text == template


@pytest.mark.parametrize(
    ("args", "chinese"),
    [
        (("0.001", "2"), "⚠️ 金额有误：USD 最多只能有 2 位小数"),
        (("abc", "3"), "⚠️ 金额有误：'abc' 不是金额，请写成 240 或 240.50 这样的形式"),
        (("10", "0"), "⚠️ 付款人有误：付款人数必须在 1 到 1000 之间"),
        (("10", "2", "mode=most"), "⚠️ 模式有误：模式必须是 'keep' 或 'all'"),
    ],
)
def test_a_chinese_user_reads_the_reason_in_chinese(args: tuple[str, ...], chinese: str) -> None:
    text = texts.bad_input(ZH, refusal(*args))
    assert text == f"{chinese}\n示例：<code>/split 240 6 Dinner at Luigi's</code>"


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("-5", "2"),
        ("0", "2"),
        ("1", "500"),
        ("10",),
        ("10", "x"),
        ("10", "2", "expires=99y"),
        ("10", "2", "expires=31d"),
        ("10", "2", "currency=XYZ"),
        ("10", "2", "colour=red"),
        ("10", "@ann"),
        ("10", "@annie", "@annie"),
        ("10", "3", "@annie"),
        ("10", "2:0"),
        ("10", "a:b"),
        ("100000000", "2"),
        ("10", "2", "x" * 101),
    ],
)
def test_no_english_prose_reaches_a_chinese_user(args: tuple[str, ...]) -> None:
    error = refusal(*args)
    text = texts.bad_input(ZH, error)
    assert not re.search("[A-Za-z]{2,}", _NOT_PROSE.sub("", text)), text
    assert texts.bad_input(EN, error).startswith("⚠️ ")


def test_the_english_reason_and_example_read_as_before() -> None:
    text = texts.bad_input(EN, refusal("0.001", "2"))
    assert text == (
        "⚠️ Amount: USD has at most 2 decimals.\n"
        "Example: <code>/split 240 6 Dinner at Luigi's</code>"
    )
    collect = texts.bad_input(EN, refusal("5", "abc", kind="collect"))
    assert collect.endswith("\nExample: <code>/collect 15 20 Concert tickets</code>")


def test_template_values_are_escaped_and_the_message_stays_english() -> None:
    error = refusal("<b>", "2")
    assert error.message == "'<b>' is not an amount; write it like 240 or 240.50"
    assert error.fields == {"field": "total", "value": "'<b>'"}
    assert "'&lt;b&gt;' 不是金额" in texts.bad_input(ZH, error)


async def test_a_chinese_user_gets_chinese_refusals_from_the_bot(bot: BotRig) -> None:
    for command, reason in [
        ("/split 0.001 2", "最多只能有 2 位小数"),
        ("/split abc 3", "不是金额"),
    ]:
        calls = await bot.send(MEI, command, GROUP)
        (reply,) = [c for c in calls if c.method == "sendMessage" and c.chat_id == GROUP]
        assert reply.text.startswith("⚠️ 金额有误："), reply.text
        assert reason in reply.text
        assert not re.search("[A-Za-z]{2,}", _NOT_PROSE.sub("", reply.text)), reply.text


# ---- the bank statement readers' refusals (StatementUnreadable) ----

READERS = CORE.parent / "gateways" / "statements"


def statement_template_calls() -> list[tuple[str, ast.Call]]:
    """Every `StatementUnreadable(...)` call in core and the statement readers."""
    found = []
    for path in sorted([*CORE.rglob("*.py"), *READERS.rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _name(node.func) == "StatementUnreadable":
                found.append((f"{path.name}:{node.lineno}", node))
    return found


def _first_literal(call: ast.Call) -> str | None:
    arg = call.args[0] if call.args else None
    return arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None


def test_every_statement_template_is_a_literal_given_exactly_its_placeholders() -> None:
    calls = statement_template_calls()
    assert len(calls) > 20
    for where, call in calls:
        template = _first_literal(call)
        assert template is not None, where
        assert {k.arg for k in call.keywords} == fields(template), (where, template)


def test_pybabel_extracts_the_same_statement_templates_as_the_walk() -> None:
    walked = {t for _where, call in statement_template_calls() if (t := _first_literal(call))}
    assert statement_templates_by_babel() == walked


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_statement_template_is_translated_with_the_same_placeholders(lang: str) -> None:
    known = {k: v for k, v in translations(lang) if isinstance(k, str)}
    for template in sorted(statement_templates_by_babel()):
        assert template in known, (lang, template)
        (text,) = known[template]
        assert fields(text) == fields(template), (lang, template, text)
