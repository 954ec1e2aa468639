"""Each scenario's figures, printed at the end of the pytest run (the doc quotes them)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Report:
    scenario: str
    figures: dict[str, object] = field(default_factory=dict)

    def line(self) -> str:
        shown = ", ".join(f"{k}: {_fmt(v)}" for k, v in self.figures.items())
        return f"{self.scenario}: {shown}"


def _fmt(value: object) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


REPORTS: list[Report] = []


def report(scenario: str, **figures: object) -> Report:
    """A scenario's report, printed in the run's summary; add figures as they come."""
    found = Report(scenario, dict(figures))
    REPORTS.append(found)
    return found
