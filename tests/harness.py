"""Builds an engine over fakes (or a given store) for tests: one call, every port wired."""

from __future__ import annotations

from dataclasses import dataclass

from core.deps import Deps, EngineConfig
from core.engine import Engine
from core.model import PayeeId
from core.money import currency
from core.params import OrderRequest, RawOrder, build_request
from core.passwords import FAST_FOR_TESTS, PasswordHasher
from core.ports import Gateway, Store
from tests.fakes import FakeClock, FakeGateway, InMemoryStore, RecordingNotifier, SeqIds


@dataclass
class Rig:
    engine: Engine
    store: Store
    gateway: FakeGateway
    clock: FakeClock
    notifier: RecordingNotifier

    async def payee(self, name: str = "Ann") -> PayeeId:
        payee_id, _key = await self.engine.create_api_key(name)
        return payee_id


def build_rig(store: Store | None = None, gateway: FakeGateway | None = None) -> Rig:
    gw = gateway or FakeGateway()
    clock = FakeClock()
    notifier = RecordingNotifier()
    chosen: Store = store if store is not None else InMemoryStore()
    gateways: dict[str, Gateway] = {gw.name: gw}
    deps = Deps(
        store=chosen,
        gateways=gateways,
        notifier=notifier,
        clock=clock,
        ids=SeqIds(),
        hasher=PasswordHasher(b"test-pepper", FAST_FOR_TESTS),
        config=EngineConfig(default_gateway=gw.name),
    )
    return Rig(Engine(deps), chosen, gw, clock, notifier)


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
    )
    return build_request(raw, max_minor=10_000_000)
