"""Builds an engine over fakes (or a given store) for tests, as bootstrap does over real parts."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Unpack

import sqlalchemy as sa

from bot.app.bootstrap import EngineParts, build_engine
from core.domain.model import PayeeId
from core.domain.money import currency
from core.domain.params import DEFAULT_VALID, OrderRequest, RawOrder, build_request
from core.domain.passwords import FAST_FOR_TESTS, PasswordHasher
from core.ports.store import Gateway, Store
from core.usecases.deps import Deps, EngineConfig
from core.usecases.engine import Engine
from gateways.statements import read_statement
from storage.db import make_engine
from storage.store import SqlStore
from storage.tables import metadata
from tests.support.fakes.clock import FakeClock
from tests.support.fakes.gateway import FakeGateway
from tests.support.fakes.ids import SeqIds
from tests.support.fakes.notifier import RecordingNotifier
from tests.support.fakes.signer import FakeSigner
from tests.support.fakes.store import InMemoryStore
from tests.support.sealing import sealer_for_tests


@dataclass
class Rig:
    engine: Engine
    store: Store
    gateway: FakeGateway
    clock: FakeClock
    notifier: RecordingNotifier

    def swap(self, **overrides: Unpack[EngineParts]) -> Rig:
        """This rig's engine with some parts replaced, put together as `bootstrap` does it
        (bot.app.bootstrap.build_engine); the fakes stay the rig's handles."""
        engine = build_engine(self.engine.deps, **overrides)
        return replace(self, engine=engine, store=engine.deps.store)

    async def payee(self, name: str = "Ann") -> PayeeId:
        payee_id, _key = await self.engine.create_api_key(name)
        return payee_id


def build_rig(
    store: Store | None = None,
    gateway: FakeGateway | None = None,
    *,
    gateways: Sequence[Gateway] = (),
    loopback_limits: bool = True,
) -> Rig:
    """An engine over fakes. `gateways`, when given, are the enabled ones in their order (the
    first is the default) instead of `gateway` alone, which stays the rig's fake.
    `loopback_limits` False is CHIPIN_LOOPBACK_LIMITS=off."""
    gw = gateway or FakeGateway()
    clock = FakeClock()
    notifier = RecordingNotifier()
    chosen: Store = store if store is not None else InMemoryStore()
    enabled: dict[str, Gateway] = {g.name: g for g in gateways} or {gw.name: gw}
    built = Deps(
        store=chosen,
        gateways=enabled,
        notifier=notifier,
        clock=clock,
        ids=SeqIds(),
        hasher=PasswordHasher(b"test-pepper", FAST_FOR_TESTS),
        config=EngineConfig(default_gateway=next(iter(enabled)), loopback_limits=loopback_limits),
        signer=FakeSigner(),
        statements=read_statement,
    )
    return Rig(build_engine(built), chosen, gw, clock, notifier)


def request(
    total: str | None = "240",
    payers: int | None = 6,
    *,
    each: str | None = None,
    shares: str | None = None,
    cur: str = "USD",
    mode: str = "keep",
    password: str | None = None,
    title: str = "Dinner",
    valid: timedelta = DEFAULT_VALID,
) -> OrderRequest:
    raw = RawOrder(
        currency=currency(cur),
        total=None if each else total,
        each=each,
        payers=None if shares else payers,
        shares=shares,
        title=title,
        mode=mode,
        password=password,
        valid=valid,
    )
    return build_request(raw, max_minor=10_000_000)


@asynccontextmanager
async def open_store(url: str | None) -> AsyncIterator[Store]:
    """The in-memory store for None, else a SqlStore on `url`, disposed afterwards."""
    if url is None:
        yield InMemoryStore()
        return
    store = SqlStore(make_engine(url), sealer_for_tests())
    try:
        yield store
    finally:
        await store.dispose()


async def dump(store: Store) -> object:
    """Everything a store holds, comparable before and after a request that must change nothing."""
    inner = getattr(store, "inner", store)
    if isinstance(inner, InMemoryStore):
        return copy.deepcopy(inner.state)
    assert isinstance(inner, SqlStore)
    tables: dict[str, list[tuple[object, ...]]] = {}
    async with inner.engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = await conn.execute(sa.select(table).order_by(*table.primary_key.columns))
            tables[table.name] = [tuple(r) for r in rows]
    return tables
