"""No block of six or more identical lines is repeated across the product modules.

Lines are compared stripped, without blank lines, comments, imports and docstrings: a
repeat that only differs in those is still a repeat. Migrations are history and exempt;
so are Protocol classes, which declare their implementations' signatures one for one.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "core", "storage", "gateways", "web", "trust")
EXEMPT = ("storage/migrations/",)
WINDOW = 6

Line = tuple[str, int]  # (normalised text, line number)


def _is_protocol(node: ast.AST) -> bool:
    return isinstance(node, ast.ClassDef) and any(
        (isinstance(b, ast.Name) and b.id == "Protocol")
        or (isinstance(b, ast.Attribute) and b.attr == "Protocol")
        for b in node.bases
    )


def _skipped(tree: ast.Module) -> set[int]:
    """Line numbers of imports, docstrings and Protocol classes."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom | ast.ClassDef) and (
            not isinstance(node, ast.ClassDef) or _is_protocol(node)
        ):
            skip.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = body[0] if body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                skip.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return skip


def normalised(source: str) -> list[Line]:
    """The lines that count, stripped, with their line numbers."""
    skip = _skipped(ast.parse(source))
    lines = []
    for number, raw in enumerate(source.splitlines(), start=1):
        text = raw.strip()
        if number in skip or not text or text.startswith("#"):
            continue
        lines.append((text, number))
    return lines


def product_modules() -> list[Path]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if not relative.startswith(EXEMPT):
                found.append(path)
    return found


def repeats(files: dict[str, str], window: int = WINDOW) -> list[list[str]]:
    """Every window of `window` lines seen in more than one place: the places, 'file:line'."""
    seen: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for name, source in files.items():
        lines = normalised(source)
        for i in range(len(lines) - window + 1):
            chunk = lines[i : i + window]
            seen[tuple(text for text, _ in chunk)].append(f"{name}:{chunk[0][1]}")
    return [places for places in seen.values() if len(places) > 1]


def _merged(found: list[list[str]]) -> list[str]:
    """One line per repeated block: overlapping windows of one block name its first line."""
    starts: dict[tuple[str, ...], list[str]] = {}
    for places in found:
        key = tuple(p.rsplit(":", 1)[0] for p in places)
        starts.setdefault(key, places)
    return [" = ".join(places) for places in starts.values()]


def test_the_detector_sees_a_repeat_through_comments_blank_lines_and_imports() -> None:
    body = "\n".join(f"x{i} = f({i})" for i in range(6))
    other = "import os\n\n" + body.replace("x2 = f(2)", "# why\nx2 = f(2)\n")
    found = repeats({"a.py": body, "b.py": other, "c.py": body.replace("f(5)", "g(5)")})
    assert found == [["a.py:1", "b.py:3"]]


def test_a_protocol_may_mirror_its_implementation() -> None:
    body = "\n".join(f"    def m{i}(self) -> int: ..." for i in range(6))
    protocol = f"class P(Protocol):\n{body}\n"
    assert repeats({"p.py": protocol, "q.py": protocol.replace("(Protocol)", "")}) == []


def test_no_block_of_six_lines_is_repeated_in_the_product() -> None:
    files = {p.relative_to(ROOT).as_posix(): p.read_text() for p in product_modules()}
    assert _merged(repeats(files)) == []
