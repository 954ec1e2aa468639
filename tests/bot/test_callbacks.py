"""Callback prefixes route every button to one handler; dialog keys never collide; one home."""

from __future__ import annotations

import ast
from itertools import permutations
from pathlib import Path

from bot.views import callbacks

ROOT = Path(__file__).resolve().parents[2]


def _constants() -> dict[str, str]:
    return {
        name: value
        for name, value in vars(callbacks).items()
        if name.isupper() and isinstance(value, str)
    }


def test_every_constant_is_listed_once_as_a_prefix_or_a_key() -> None:
    listed = list(callbacks.CALLBACK_PREFIXES) + list(callbacks.DATA_KEYS)
    assert sorted(listed) == sorted(_constants().values())


def test_callback_prefixes_are_unique() -> None:
    prefixes = callbacks.CALLBACK_PREFIXES
    assert len(set(prefixes)) == len(prefixes)


def test_no_callback_prefix_starts_another() -> None:
    clashes = [(a, b) for a, b in permutations(callbacks.CALLBACK_PREFIXES, 2) if b.startswith(a)]
    assert clashes == []


def test_callback_data_fits_telegram_with_room_for_an_id() -> None:
    assert all(0 < len(p.encode()) <= 8 for p in callbacks.CALLBACK_PREFIXES)


def test_dialog_keys_are_unique() -> None:
    keys = callbacks.DATA_KEYS
    assert len(set(keys)) == len(keys)


def test_callback_data_is_byte_identical_to_the_posted_buttons() -> None:
    """Buttons already posted in live chats carry these: they may never change."""
    assert callbacks.CALLBACK_PREFIXES == (
        "rem:",
        "can:",
        "pay:",
        "k:",
        "gw:",
        "rfd:",
        "h:",
        "rf:",
        "hrl:",
        "pwl:",
        "pka",
        "pkr:",
        "pkp:",
        "cb:",
        "ck:",
        "cn:",
        "cc:",
        "am:",
        "tp:",
        "tl:",
        "cy:",
        "cx:",
        "ma:",
        "mr:",
        "msk",
        "po:",
    )


def _string_constants_elsewhere() -> list[str]:
    """Module-level `*_PREFIX = "..."` / `*_KEY = "..."` outside bot.views.callbacks."""
    found = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        if path.name == "callbacks.py" and path.parent.name == "views":
            continue
        for node in ast.parse(path.read_text()).body:
            if not isinstance(node, ast.Assign) or not isinstance(node.value, ast.Constant):
                continue
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            if isinstance(node.value.value, str) and any(
                n.endswith(("_PREFIX", "_KEY", "_DATA")) for n in names
            ):
                found.append(f"{path.relative_to(ROOT)}: {names}")
    return found


def test_no_handler_defines_its_own_prefix_or_key() -> None:
    assert _string_constants_elsewhere() == []


def _literal_callback_data() -> list[str]:
    """`callback_data=` or `pattern=` given as a literal, or as an f-string opening with one."""
    found = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.keyword) or node.arg not in ("callback_data", "pattern"):
                continue
            value = node.value
            head = value.values[0] if isinstance(value, ast.JoinedStr) and value.values else value
            text = head.value if isinstance(head, ast.Constant) else None
            if isinstance(text, str) and text.strip("^("):  # a pattern's anchors are no prefix
                found.append(f"{path.relative_to(ROOT)}:{node.value.lineno}")
    return found


def test_buttons_and_routes_name_their_prefix_from_the_one_home() -> None:
    assert _literal_callback_data() == []
