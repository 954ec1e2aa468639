"""Contract: a transaction commits on exit, rolls back on error, and reports races as Conflict."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.exc import StatementError

from core.domain.errors import Conflict
from storage.store import SqlStore
from tests.storage.helpers import T0, make_order, make_payee


class Boom(Exception):
    pass


async def test_exception_rolls_back_everything(store: SqlStore) -> None:
    payee = make_payee()
    order, subs = make_order(payee.id)

    async def write_then_fail() -> None:
        async with store.transaction() as tx:
            await tx.payees.add_payee(payee)
            await tx.orders.add_order(order, subs)
            await tx.payments.record_event("sandbox", "evt_1", "succeeded", T0)
            raise Boom

    with pytest.raises(Boom):
        await write_then_fail()
    async with store.transaction() as tx:
        assert await tx.payees.get_payee(payee.id) is None
        assert await tx.orders.get_order(order.id) is None
        assert await tx.sub_orders.get_sub_orders(order.id) == []
        assert await tx.payments.record_event("sandbox", "evt_1", "succeeded", T0)


async def test_unique_violation_is_conflict_after_rollback(store: SqlStore) -> None:
    payee = make_payee("Ana")
    async with store.transaction() as tx:
        await tx.payees.add_payee(payee)
    twin = make_payee("Ana")

    async def add_key_and_twin() -> None:
        async with store.transaction() as tx:
            await tx.payees.add_api_key("hash-1", payee.id, T0)
            await tx.payees.add_payee(twin)

    with pytest.raises(Conflict):
        await add_key_and_twin()
    async with store.transaction() as tx:
        assert await tx.payees.payee_for_key("hash-1") is None
        assert await tx.payees.get_payee(twin.id) is None


async def test_naive_datetimes_are_refused(store: SqlStore) -> None:
    naive = datetime(2025, 1, 1)  # noqa: DTZ001 - the point of the test

    async def record_naive() -> None:
        async with store.transaction() as tx:
            await tx.payments.record_event("sandbox", "evt_1", "succeeded", naive)

    with pytest.raises(StatementError, match="naive datetime"):
        await record_naive()
