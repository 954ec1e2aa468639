"""The project's own files agree: `make run` installs what running needs and nothing of the
`dev` extra, the product imports nothing from that extra, the LICENSE is the one
pyproject.toml names, and the CHANGELOG has a section for what is not released yet."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PRODUCT = ("bot", "core", "storage", "gateways", "web", "trust")
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))

# The import names of the dev extra's distributions (where they differ from the name).
DEV_IMPORTS = {
    "pytest": "pytest",
    "pytest-asyncio": "pytest_asyncio",
    "pytest-xdist": "xdist",
    "hypothesis": "hypothesis",
    "ruff": "ruff",
    "mypy": "mypy",
    "import-linter": "importlinter",
    "zxing-cpp": "zxingcpp",
    "localstripe": "localstripe",
    "selenium": "selenium",
    "schemathesis": "schemathesis",
    "py-spy": "py_spy",
}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower()


def test_running_needs_none_of_the_dev_extra() -> None:
    runtime = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    dev = {_name(r) for r in PYPROJECT["project"]["optional-dependencies"]["dev"]}

    assert runtime.isdisjoint(dev)
    assert {n for n in dev if not n.startswith("types-")} <= set(DEV_IMPORTS)


def test_make_run_installs_the_project_alone_and_make_test_the_dev_extra() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")

    run_install = re.search(r"^\$\(STAMP\):.*\n\t(.*)$", makefile, re.M)
    dev_install = re.search(r"^\$\(DEV_STAMP\):.*\n\t(.*)$", makefile, re.M)
    assert run_install is not None
    assert dev_install is not None
    assert run_install.group(1) == "$(BIN)/pip install -q -e ."
    assert dev_install.group(1) == "$(BIN)/pip install -q -e '.[dev]'"
    assert re.search(r"^run: \$\(STAMP\)$", makefile, re.M)
    assert re.search(r"^pytest: \$\(DEV_STAMP\)", makefile, re.M)


def test_the_product_imports_nothing_from_the_dev_extra() -> None:
    dev_modules = set(DEV_IMPORTS.values())
    found = []
    for package in PRODUCT:
        for path in (REPO / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                found += [
                    f"{path.relative_to(REPO)}: {n}"
                    for n in names
                    if n.split(".")[0] in dev_modules
                ]

    assert found == []


def test_the_license_file_is_the_license_pyproject_names() -> None:
    declared = PYPROJECT["project"]["license"]["text"]
    text = (REPO / "LICENSE").read_text(encoding="utf-8")

    assert declared == "MIT"
    assert text.startswith("MIT License\n")
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text


def test_the_changelog_starts_with_what_is_not_released_yet() -> None:
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    sections = re.findall(r"^## \[([^\]]+)\]", changelog, re.M)

    assert sections[0] == "Unreleased"
    assert PYPROJECT["project"]["version"] in sections
