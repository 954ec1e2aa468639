"""The engine: Chipin's use cases over the ports, as one async facade."""

from __future__ import annotations

from core.usecases.codes import Coding
from core.usecases.deps import Deps
from core.usecases.holds import Holding
from core.usecases.ledger import Ledgering
from core.usecases.orders import Ordering
from core.usecases.passkeys import Passkeying
from core.usecases.payments.prechecks import Prechecking
from core.usecases.payments.refunds_owed import Owing
from core.usecases.payments.settlement import Settling
from core.usecases.payments.upkeep import Upkeep
from core.usecases.pins import Verifying
from core.usecases.posts import Posting
from core.usecases.records import Records
from core.usecases.reservations import Paying
from core.usecases.tries import Guarding


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
