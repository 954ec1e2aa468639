"""What tests read off the payee's figures (core.domain.ledger.figures)."""

from __future__ import annotations

from core.domain.ledger.figures import Stats


def net_by_currency(stats: Stats) -> dict[str, int]:
    """Net takings (money in less money back) per currency, in minor units."""
    return {t.currency: t.net_minor for t in stats.totals}
