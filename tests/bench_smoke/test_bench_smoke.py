"""`make bench` at tiny counts: every benchmark runs and produces its figures; counts hold.

The ratios need the full counts and a quiet machine (docs/PERFORMANCE.md); here only the
figures that are exact counts are asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.backends import in_ci

pytestmark = pytest.mark.slow

# Figures that are counts or yes/no checks: they must hold at any scale.
EXACT = {
    ("1 settle", "sub-orders paid / webhooks sent"),
    ("1 settle", "answers other than 200"),
    ("2 hot order", "payers paid (and settled)"),
    ("2 hot order", "payers told it is full"),
    ("2 hot order", "errors"),
    ("3 burst", "payments that failed"),
    ("3 burst", "429 answers"),
    ("3 burst", "shortest gap between edits in a chat (s)"),
    ("4 /split", "same card again served from the cache"),
    ("6 postgres", "answers other than 200"),
    ("6 postgres", "payers paid (and settled)"),
    ("6 postgres", "payers told it is full"),
    ("6 postgres", "errors"),
    ("8 statement", "parts confirmed by one statement"),
    ("8 statement", "lines found imported before, again"),
    ("8 statement", "parts paid by importing it again"),
}
# Every benchmark's figures that must be there, with a number (or yes/no) as value.
EXPECTED = {
    "1 settle": ["Chipin / baseline req/s", "Chipin p99 / baseline p99 at that rate"],
    "2 hot order": ["hot order time / spread time"],
    "3 burst": ["last payment to every progress final (s)", "429 answers"],
    "4 /split": [
        "/split end to end p50 (ms)",
        "/split end to end p99 (ms)",
        "QR card generation, median (ms)",
    ],
    "5 memory": ["bytes per open order"],
    "6 postgres": ["PostgreSQL / SQLite req/s", "hot order time, PostgreSQL / SQLite"],
    "8 statement": ["statement parts/s / gateway-event parts/s", "reading share of the import"],
    "7 outbox": [
        "webhook 200 to message sent, idle chat (3) p50 (ms)",
        "webhook 200 to message sent, idle chat (3) p99 (ms)",
    ],
}


def _figures(tmp_path: Path) -> tuple[list[dict[str, Any]], str]:
    out = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--scale", "smoke", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures: list[dict[str, Any]] = json.loads(out.read_text())["figures"]
    return figures, done.stdout


def test_every_benchmark_prints_its_figures_and_the_counts_hold(tmp_path: Path) -> None:
    figures, printed = _figures(tmp_path)
    by_key = {(f["bench"], f["name"]): f for f in figures}
    pg_down = ("6 postgres", "PostgreSQL at 127.0.0.1:5432") in by_key
    if pg_down:
        assert not in_ci(), "CI=true and PostgreSQL is unreachable"
    for bench, names in EXPECTED.items():
        if bench == "6 postgres" and pg_down:
            continue
        for name in names:
            figure = by_key[(bench, name)]
            float(str(figure["value"]).split()[0])  # a number, not a placeholder
            assert name in printed
    for key in EXACT:
        if key[0] == "6 postgres" and pg_down:
            continue
        assert by_key[key]["met"] is True, by_key[key]
    assert "targets missed" in printed
