"""Figures: a measured value next to its target, printed as a table and kept as JSON."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Figure:
    bench: str  # "1 settle", "2 hot order", ...
    name: str
    value: str
    target: str = ""  # empty: reported, no target
    met: bool | None = None  # None: no target

    def line(self) -> str:
        mark = {True: "ok", False: "MISSED", None: ""}[self.met]
        return f"{self.bench:<14} {self.name:<48} {self.value:>16}  {self.target:<26} {mark}"


def ratio(a: float, b: float) -> float:
    return a / b if b else float("inf")


def print_figures(figures: list[Figure]) -> None:
    print(f"{'benchmark':<14} {'figure':<48} {'value':>16}  {'target':<26}")
    for f in figures:
        print(f.line(), flush=True)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return (
        f"{cpu}, {os.cpu_count()} cores{mem}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; load average {load:.2f} at the start"
    )


def save(path: Path, figures: list[Figure], extra: dict[str, object]) -> None:
    doc = {"machine": machine(), "figures": [asdict(f) for f in figures], **extra}
    path.write_text(json.dumps(doc, indent=2))
