"""The in-memory store: its transactions, serialised and rolled back by restoring a snapshot."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tests.support.fakes.repos.checkouts import InMemoryCheckouts
from tests.support.fakes.repos.codes import InMemoryCodes
from tests.support.fakes.repos.holds import InMemoryHolds
from tests.support.fakes.repos.ledger import InMemoryLedger
from tests.support.fakes.repos.methods import InMemoryMethods
from tests.support.fakes.repos.orders import InMemoryOrders
from tests.support.fakes.repos.outbox import InMemoryOutbox
from tests.support.fakes.repos.passkeys import InMemoryPasskeys
from tests.support.fakes.repos.payees import InMemoryPayees
from tests.support.fakes.repos.payers import InMemoryPayers
from tests.support.fakes.repos.payments import InMemoryPayments
from tests.support.fakes.repos.payouts import InMemoryPayouts
from tests.support.fakes.repos.posts import InMemoryPosts
from tests.support.fakes.repos.records import InMemoryRecords
from tests.support.fakes.repos.statements import InMemoryStatements
from tests.support.fakes.repos.sub_orders import InMemorySubOrders
from tests.support.fakes.repos.tries import InMemoryTries
from tests.support.fakes.state import MemoryState


class InMemoryTx:
    """core.ports.store.Tx over the in-memory state: one fake repository per aggregate, all on
    the same state (as SqlTx's share one connection); the store serialises transactions."""

    def __init__(self, state: MemoryState) -> None:
        self.orders = InMemoryOrders(state)
        self.sub_orders = InMemorySubOrders(state)
        self.payees = InMemoryPayees(state)
        self.payments = InMemoryPayments(state)
        self.checkouts = InMemoryCheckouts(state)
        self.payers = InMemoryPayers(state)
        self.tries = InMemoryTries(state)
        self.posts = InMemoryPosts(state)
        self.ledger = InMemoryLedger(state)
        self.records = InMemoryRecords(state)
        self.passkeys = InMemoryPasskeys(state)
        self.codes = InMemoryCodes(state)
        self.holds = InMemoryHolds(state)
        self.outbox = InMemoryOutbox(state)
        self.methods = InMemoryMethods(state)
        self.statements = InMemoryStatements(state)
        self.payouts = InMemoryPayouts(state)


class InMemoryStore:
    """Transactions are serialised by a lock and rolled back by restoring a snapshot."""

    def __init__(self) -> None:
        self.state = MemoryState()
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[InMemoryTx]:
        async with self._lock:
            snapshot = copy.deepcopy(self.state)
            try:
                tx = InMemoryTx(self.state)
                yield tx
                tx.ledger.flush_ledger()
            except BaseException:
                self.state = snapshot
                raise
