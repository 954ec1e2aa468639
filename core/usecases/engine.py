"""The engine: Chipin's use cases over the ports, as one async facade."""

from __future__ import annotations

from core.coding import Coding
from core.deps import Deps
from core.guarding import Guarding
from core.holding import Holding
from core.ledgering import Ledgering
from core.ordering import Ordering
from core.owing import Owing
from core.passkeying import Passkeying
from core.paying import Paying
from core.posting import Posting
from core.prechecking import Prechecking
from core.records import Records
from core.settling import Settling
from core.upkeep import Upkeep
from core.verifying import Verifying


class Engine(
    Coding,
    Holding,
    Ledgering,
    Ordering,
    Owing,
    Passkeying,
    Paying,
    Posting,
    Prechecking,
    Records,
    Settling,
    Upkeep,
    Verifying,
    Guarding,
):
    """All use cases; each method is one step a user, a payee or the gateway takes."""

    def __init__(self, deps: Deps) -> None:
        self._d = deps

    @property
    def deps(self) -> Deps:
        return self._d
