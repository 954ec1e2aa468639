"""Fixtures for the hostile-input tests: how hard to try, and a listener over a real database.

`CHIPIN_FUZZ_SCALE` multiplies every property's examples (Hypothesis, and schemathesis'
requests per API operation and mode): 1 in `make test`, more in `make fuzz`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy.pool import NullPool

from core.domain.codes import RawSpec, build_spec
from core.domain.model import PayeeId
from core.domain.money import Money, currency
from storage.db import make_engine
from storage.store import SqlStore
from tests.bot.conftest import bot, ptb_timedelta
from tests.support.backends import copy_sqlite
from tests.support.fakes.payouts import FakePayouts
from tests.support.harness import Rig, build_rig, request
from tests.support.sealing import sealer_for_tests
from tests.support.trust_builders import memory_ca
from tests.web.conftest import BASE_URL, MAX_AMOUNT_MINOR, api, healthy, rig
from trust import ca
from web.app import create_app


def fuzz_examples(base: int) -> int:
    """`base` examples, times CHIPIN_FUZZ_SCALE when set (make fuzz)."""
    raw = os.environ.get("CHIPIN_FUZZ_SCALE", "")
    return base * int(raw) if raw.isdigit() and int(raw) > 0 else base


@dataclass
class Listener:
    """The real app over SQLite, with two payees and objects of theirs to aim at."""

    app: FastAPI
    rig: Rig
    ann_key: str
    bob_key: str
    ann_order: str
    ann_token: str
    ann_payment: str
    bob_order: str
    bob_payment: str
    ann_code: str = ""  # a static code bound to Ann, with one payment
    bob_code: str = ""  # a fund-raiser's code bound to Bob


async def _bound_code(rig: Rig, payee: PayeeId, kind: str, pay: bool) -> str:
    """A printed code bound to `payee` (one payment to it when `pay`): its short code."""
    [code] = await rig.engine.print_codes(1)
    raw = RawSpec(kind=kind, currency=currency("USD"), title="Jar", goal="500")
    spec = build_spec(raw, MAX_AMOUNT_MINOR, rig.clock.now())
    await rig.engine.bind_code(code.short, payee, spec, "Jar keeper")
    if pay:
        view = await rig.engine.pay_code(code.token, Money(700, currency("USD")))
        held = await rig.engine.reserve(view.order.token, "a payer", source="a payer")
        assert held.sub.checkout_ref is not None
        await rig.engine.apply_event(rig.gateway.pay(held.sub.checkout_ref))
    return code.label


async def _paid_order(rig: Rig, payee: PayeeId) -> tuple[str, str, str]:
    """An order of `payee` with one part paid: (order id, token, payment id)."""
    view = await rig.engine.create_order(payee, request(total="90", payers=3))
    held = await rig.engine.reserve(
        view.order.token, f"payer of {payee}", source=f"payer of {payee}"
    )
    assert held.sub.checkout_ref is not None
    event = rig.gateway.pay(held.sub.checkout_ref)
    await rig.engine.apply_event(event)
    async with rig.store.transaction() as tx:
        payment = await tx.payments.get_payment(event.gateway, event.payment_ref)
    assert payment is not None
    return view.order.id, view.order.token, payment.id


@pytest.fixture
async def listener(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[Listener]:
    """The app on a SQLite file; NullPool, since schemathesis serves it on a loop of its own."""
    db = make_engine(copy_sqlite(sqlite_template, tmp_path), poolclass=NullPool)
    authority = memory_ca(datetime.now(UTC))
    rig = build_rig(SqlStore(db, sealer_for_tests())).swap(
        signer=authority.signer, payouts=FakePayouts()
    )
    engine = rig.engine
    chain = ca.to_pem(authority.root) + ca.to_pem(authority.signer.cert)
    ann_id, ann_key = await engine.create_api_key("Ann")
    bob_id, bob_key = await engine.create_api_key("Bob")
    ann = await _paid_order(rig, ann_id)
    bob = await _paid_order(rig, bob_id)
    app = create_app(
        engine,
        public_base_url=BASE_URL + "/",
        health=healthy,
        max_amount_minor=MAX_AMOUNT_MINOR,
        default_currency="USD",
        chain_pem=lambda: chain,
    )
    try:
        yield Listener(
            app,
            rig,
            ann_key,
            bob_key,
            *ann,
            bob[0],
            bob[2],
            ann_code=await _bound_code(rig, ann_id, "tip", pay=True),
            bob_code=await _bound_code(rig, bob_id, "fund", pay=False),
        )
    finally:
        await db.dispose()


__all__ = ["Listener", "api", "bot", "fuzz_examples", "listener", "ptb_timedelta", "rig"]
