"""docs/ARCHITECTURE.md's module map names every product module, and only modules that exist.

`python -m tests.test_architecture_doc` prints the map from each module's first docstring line.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("core", "storage", "gateways", "trust", "web", "bot")
DOC = ROOT / "docs" / "ARCHITECTURE.md"
_HEADER = "| Module | What it holds |"
_MAPPED = re.compile(r"^\| `([a-z0-9_/]+\.py)` \|", re.MULTILINE)


def product_modules() -> list[Path]:
    """Every product module but packages' empty __init__ files and the Alembic revisions."""
    found = []
    for top in PRODUCT:
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if "migrations" in rel.parts or (path.name == "__init__.py" and not _summary(path)):
                continue
            found.append(rel)
    return found


def _summary(path: Path) -> str:
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return doc.strip().split("\n\n")[0].replace("\n", " ")


def module_map() -> str:
    """The map as Markdown: a table per folder, a row per module with its summary."""
    out: list[str] = []
    folder = None
    for rel in product_modules():
        if rel.parent != folder:
            folder = rel.parent
            out += ["", f"#### `{folder.as_posix()}/`", "", _HEADER, "|---|---|"]
        summary = _summary(ROOT / rel).replace("|", "\\|")
        out.append(f"| `{rel.as_posix()}` | {summary} |")
    return "\n".join(out).strip() + "\n"


def test_every_product_module_is_in_the_module_map() -> None:
    mapped = set(_MAPPED.findall(DOC.read_text(encoding="utf-8")))
    modules = {rel.as_posix() for rel in product_modules()}
    assert sorted(modules - mapped) == [], "missing from docs/ARCHITECTURE.md's module map"
    assert sorted(mapped - modules) == [], "in the module map but not in the code"


def test_every_product_module_says_what_it_holds() -> None:
    silent = [rel.as_posix() for rel in product_modules() if not _summary(ROOT / rel)]
    assert silent == []


if __name__ == "__main__":
    sys.stdout.write(module_map())
