"""The four counted checks (a payment password, an order password, a passkey, a code look-up)
behind one face, with faults to inject into the check and into the store's calls: for the
tests of core.usecases.tries."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from core.domain.codes import CodeState, normalise_short
from core.domain.errors import DomainError, InvalidInput, NotFound, WrongPassword
from core.domain.model import OrderId
from core.domain.money import currency
from core.domain.params import MAX_VALID, RawOrder, build_request
from core.domain.passkeys import PasskeyRefused
from core.domain.tries import TRY_TTL_S, TryCounters, TryRules, Wrong
from core.ports.store import Store, Tx
from core.usecases.codes import code_guess_rules
from core.usecases.engine import Engine
from core.usecases.pins import pin_rules
from core.usecases.reservations import order_password_rules
from tests.support.fakes.ceremony import FakeCeremony, answer
from tests.support.harness import Rig

PIN, OTHER_PIN = "204913", "739155"
ORDER_PASSWORD = "open sesame"
SOURCE = "ip:203.0.113.9"
CREDENTIAL = b"cred-guarded"
KINDS = ("pin", "order password", "passkey", "code")


class StoreFault(Exception):
    """Injected: a store call failed (a lost connection, a full disk)."""


@dataclass
class Faults:
    """What goes wrong next: the check raises `check`, or waits for `release` (then goes on);
    the store's `store_call` fails at its `store_at`-th call (0: the first); the store's
    `slow_call` waits for `release` (then goes on), `started` set on entering either wait."""

    check: BaseException | None = None
    release: asyncio.Event | None = None
    started: asyncio.Event = field(default_factory=asyncio.Event)
    store_call: str | None = None
    store_at: int = 0
    slow_call: str | None = None

    def clear(self) -> None:
        self.check, self.release, self.store_call, self.store_at = None, None, None, 0
        self.slow_call, self.started = None, asyncio.Event()


class FaultyStore:
    """Any store whose transactions fail where Faults says; the failure rolls them back."""

    def __init__(self, inner: Store, faults: Faults) -> None:
        self.inner = inner
        self.faults = faults

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        async with self.inner.transaction() as tx:
            yield _FaultyTx(tx, self.faults)


class _FaultyTx:
    """The transaction, each of its repositories behind a _FaultyRepo."""

    def __init__(self, tx: Tx, faults: Faults) -> None:
        self._tx, self._faults = tx, faults

    def __getattr__(self, name: str) -> Any:
        return _FaultyRepo(getattr(self._tx, name), self._faults)


class _FaultyRepo:
    def __init__(self, repo: Any, faults: Faults) -> None:
        self._repo, self._faults = repo, faults

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._repo, name)
        faults = self._faults
        if name not in (faults.store_call, faults.slow_call):
            return found

        async def failing(*args: Any, **kwargs: Any) -> Any:
            if name == faults.slow_call and faults.release is not None:
                faults.started.set()
                await faults.release.wait()
            elif faults.store_at == 0:
                faults.store_call = None
                raise StoreFault(name)
            else:
                faults.store_at -= 1
            return await found(*args, **kwargs)

        return failing


@dataclass
class Guarded:
    """One counted check on its own subject: try it right or wrong, read its counters."""

    kind: str
    engine: Engine
    rig: Rig
    rules: TryRules
    faults: Faults
    right: Callable[[], Awaitable[object]]
    wrong: Callable[[], Awaitable[object]]
    wrong_error: type[DomainError]
    attempt: Callable[[str], Awaitable[object]]  # any text as the secret
    judge: Callable[[str], str]  # what that text is: 'right', 'wrong', or 'uncounted' (no guess)

    async def counters(self) -> TryCounters:
        """The subject's counters now (tries pending longer than TRY_TTL_S are forgotten)."""
        ceiling = self.rules.ceiling
        async with self.rig.store.transaction() as tx:
            return await tx.tries.lock_tries(
                self.rules.subject,
                self.rig.clock.now(),
                TRY_TTL_S,
                ceiling.order_id if ceiling else None,
            )


_N = itertools.count(1)


async def guarded(kind: str, rig: Rig) -> Guarded:
    """A fresh subject of `kind` on the rig's store, with its own engine (faults installed)."""
    faults = Faults()
    engine = rig.swap(store=FaultyStore(rig.store, faults), passkeys=FakeCeremony()).engine
    _break_checks(engine, faults)
    n = next(_N)
    made = await _MAKERS[kind](engine, rig, n)
    return Guarded(kind, engine, rig, made.rules, faults, *made.tries)


def _break_checks(engine: Engine, faults: Faults) -> None:
    """Every check of this engine first meets the Faults of the moment."""
    real = engine._tries.guarded_try

    async def faulty(rules: TryRules, check: Callable[[], Awaitable[Any]]) -> Any:
        async def broken() -> Any:
            if faults.check is not None:
                raise faults.check
            if faults.release is not None and faults.slow_call is None:
                faults.started.set()
                await faults.release.wait()
            return await check()

        return await real(rules, broken)

    engine._tries.guarded_try = faulty  # type: ignore[method-assign]


@dataclass
class _Made:
    rules: TryRules
    tries: tuple[
        Callable[[], Awaitable[object]],
        Callable[[], Awaitable[object]],
        type[DomainError],
        Callable[[str], Awaitable[object]],
        Callable[[str], str],
    ]


def _text(value: str) -> bool:
    """Text a secret may be: what UTF-8 encodes (no lone surrogate), without a NUL (which
    PostgreSQL cannot hold); anything else is refused before a try is counted."""
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


def _judge(right: str, value: str, *, empty_counts: bool = True) -> str:
    if not _text(value) or (not value and not empty_counts):
        return "uncounted"
    return "right" if value == right else "wrong"


async def _pin(engine: Engine, rig: Rig, n: int) -> _Made:
    payer = f"tg:{100_000 + n}"
    await engine.set_pin(payer, PIN)

    def attempt(pin: str) -> Awaitable[object]:
        return engine.verify_pin(payer, pin)

    return _Made(
        pin_rules(payer),
        (
            lambda: attempt(PIN),
            lambda: attempt(OTHER_PIN),
            WrongPassword,
            attempt,
            lambda value: _judge(PIN, value),
        ),
    )


async def _order_password(engine: Engine, rig: Rig, n: int) -> _Made:
    payee = await rig.payee(f"payee {n}")
    raw = RawOrder(currency("USD"), total="240", payers=6, valid=MAX_VALID, password=ORDER_PASSWORD)
    view = await engine.create_order(payee, build_request(raw, 10_000_000))
    token = view.order.token

    def attempt(password: str) -> Awaitable[object]:
        # a bot payer: a right password again gets the same part back, no hold secret needed
        return engine.reserve(token, "tg:7", password=password, source=SOURCE)

    return _Made(
        order_password_rules(OrderId(view.order.id), SOURCE),
        (
            lambda: attempt(ORDER_PASSWORD),
            lambda: attempt("a guess"),
            WrongPassword,
            attempt,
            lambda value: _judge(ORDER_PASSWORD, value, empty_counts=False),
        ),
    )


async def _passkey(engine: Engine, rig: Rig, n: int) -> _Made:
    payer = f"tg:{200_000 + n}"
    await engine.set_pin(payer, PIN)
    link = await engine.open_enrolment(payer, PIN)
    options = await engine.passkey_options(link)
    await engine.finish_enrolment(link, answer(options, CREDENTIAL + str(n).encode(), 0), "")
    payee = await rig.payee(f"payee {n}")
    raw = RawOrder(currency("USD"), total="240", payers=6, valid=MAX_VALID)
    token = (await engine.create_order(payee, build_request(raw, 10_000_000))).order.token
    counts = itertools.count(1)

    async def attempt(valid: bool, response: str | None = None) -> None:
        check = await engine.open_passkey_check(payer, token, [payer])
        options = await engine.passkey_options(check)
        signed = answer(options, CREDENTIAL + str(n).encode(), next(counts), valid=valid)
        await engine.finish_passkey_check(check, signed if response is None else response)

    return _Made(
        pin_rules(payer),
        (
            lambda: attempt(True),
            lambda: attempt(False),
            PasskeyRefused,
            lambda response: attempt(False, response),
            lambda _response: "wrong",  # any text but the device's own signed answer
        ),
    )


async def _code(engine: Engine, rig: Rig, n: int) -> _Made:
    payee = await rig.payee(f"payee {n}")
    [code] = await engine.print_codes(1)
    assert code.state == CodeState.UNBOUND
    missing = "0000-0000" if code.short != "00000000" else "0000-0001"

    def attempt(ref: str) -> Awaitable[object]:
        return engine.lookup_code(ref, payee)

    def judge(ref: str) -> str:
        if not _text(ref):
            return "uncounted"
        if len(ref) <= 12:
            try:
                ref = normalise_short(ref)
            except InvalidInput:
                return "uncounted"  # a malformed code is no guess
        return "right" if ref in (code.short, code.token) else "wrong"

    return _Made(
        code_guess_rules(payee),
        (lambda: attempt(code.short), lambda: attempt(missing), NotFound, attempt, judge),
    )


_MAKERS = {"pin": _pin, "order password": _order_password, "passkey": _passkey, "code": _code}

__all__ = ["KINDS", "Faults", "Guarded", "StoreFault", "Wrong", "guarded"]
