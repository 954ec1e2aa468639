"""Every transition of every dialog (core.domain.dialogs), walked from the declared tables.

The transitions are written out here once more, each with the step it stands for: a table
that gains a transition without one here fails `test_each_table_is_the_one_written_here`.
Every (state, event) pair outside a table is refused (out-of-order and forged presses),
a one-shot event pressed twice is refused the second time, and of two writes read at the
same version the store keeps the first only.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from enum import StrEnum
from typing import Any

import pytest

import core.domain.dialogs as dialogs_pkg
from core.domain.dialogs import (
    amount,
    binding,
    checkout,
    confirm,
    method,
    move,
    order_password,
    passkey,
    utr,
)
from core.domain.dialogs import pin as pin_
from core.domain.dialogs.machine import DONE, Dialog, DialogKind, Machine, Refused, advance
from core.domain.model import MethodKind
from core.domain.money import currency
from core.ports.dialogs import DialogStore, begin, load, save
from storage.memory_dialogs import MemoryDialogStore

USD = currency("USD")


def _machines() -> dict[DialogKind, Machine[Any, Any]]:
    """Every module of the package but the generic one declares a MACHINE: found, not listed,
    so a new dialog is walked without being added here."""
    found: dict[DialogKind, Machine[Any, Any]] = {}
    for info in pkgutil.iter_modules(dialogs_pkg.__path__):
        if info.name == "machine":
            continue
        module = importlib.import_module(f"{dialogs_pkg.__name__}.{info.name}")
        machine = getattr(module, "MACHINE", None)
        assert isinstance(machine, Machine), f"{info.name} declares no MACHINE"
        found[machine.kind] = machine
    return found


MACHINES = _machines()

P, PE = pin_.PinState, pin_.PinEvent
B, BE = binding.BindingState, binding.BindingEvent
A, AE = amount.AmountState, amount.AmountEvent
OP, OE = order_password.OrderPasswordState, order_password.OrderPasswordEvent
K, KE = passkey.PasskeyCheckState, passkey.PasskeyCheckEvent
C, CE = confirm.ConfirmState, confirm.ConfirmEvent
U, UE = utr.UtrState, utr.UtrEvent
M, ME = method.MethodState, method.MethodEvent

SEPA = MethodKind.SEPA

# (state, event) -> next, and what it is in the chat
WRITTEN: dict[DialogKind, dict[tuple[StrEnum, StrEnum], tuple[StrEnum, str]]] = {
    DialogKind.PIN: {
        **{(s, PE.KEY): (s, "a digit or ⌫ at any step") for s in P if s != P.DONE},
        **{(s, PE.LOCKED): (P.DONE, "too many wrong tries") for s in P if s != P.DONE},
        (P.PAY, PE.VERIFIED): (P.DONE, "the payment password is right: pay"),
        (P.PAY, PE.WRONG): (P.PAY, "wrong: type it again"),
        (P.PAY, PE.BY_PASSKEY): (P.DONE, "the passkey page verified this payment"),
        (P.SET, PE.ACCEPTED): (P.SET_AGAIN, "a new password, once"),
        (P.SET, PE.TOO_EASY): (P.SET, "too easy: choose another"),
        (P.SET_AGAIN, PE.VERIFIED): (P.DONE, "typed twice the same: set"),
        (P.SET_AGAIN, PE.MISMATCH): (P.SET, "the second differs: start over"),
        (P.SET_AGAIN, PE.TOO_EASY): (P.SET, "the engine refused it: choose another"),
        (P.CHANGE_OLD, PE.VERIFIED): (P.CHANGE_NEW, "the old one is right: the new one"),
        (P.CHANGE_OLD, PE.WRONG): (P.CHANGE_OLD, "the old one is wrong"),
        (P.CHANGE_NEW, PE.ACCEPTED): (P.CHANGE_AGAIN, "the new one, once"),
        (P.CHANGE_NEW, PE.TOO_EASY): (P.CHANGE_NEW, "too easy: choose another"),
        (P.CHANGE_AGAIN, PE.VERIFIED): (P.DONE, "typed twice the same: changed"),
        (P.CHANGE_AGAIN, PE.MISMATCH): (P.CHANGE_NEW, "the second differs"),
        (P.CHANGE_AGAIN, PE.TOO_EASY): (P.CHANGE_NEW, "the engine refused it"),
        (P.CHANGE_AGAIN, PE.WRONG): (P.CHANGE_AGAIN, "the old one changed meanwhile"),
        (P.PASSKEY, PE.VERIFIED): (P.DONE, "right: the enrolment page link"),
        (P.PASSKEY, PE.WRONG): (P.PASSKEY, "wrong: type it again"),
    },
    DialogKind.CHECKOUT: {
        (checkout.CheckoutState.CHOOSING, checkout.CheckoutEvent.PICKED): (
            checkout.CheckoutState.DONE,
            "a method pressed for the order verified for",
        ),
    },
    DialogKind.ORDER_PASSWORD: {
        (OP.ASKED, OE.TYPED): (OP.CHECKING, "the password typed"),
        (OP.CHECKING, OE.WRONG): (OP.ASKED, "wrong: asked again"),
        (OP.CHECKING, OE.SETTLED): (OP.DONE, "a part held, or refused"),
    },
    DialogKind.BINDING: {
        (B.KIND, BE.FIXED): (B.PRICE, "fixed price: its amount"),
        (B.KIND, BE.FUND): (B.GOAL, "fund: its goal"),
        (B.KIND, BE.TIP_OR_DONATION): (B.TITLE, "tip or donation: a title"),
        (B.PRICE, BE.PRICE_GIVEN): (B.TITLE, "a good price"),
        (B.GOAL, BE.GOAL_GIVEN): (B.TITLE, "a good goal"),
        (B.TITLE, BE.TITLE_GIVEN): (B.NAME, "a good title"),
        (B.NAME, BE.NAME_GIVEN): (B.PIN, "a good name: the keypad"),
        (B.PIN, BE.VERIFIED): (B.DONE, "the password is right: bind"),
    },
    DialogKind.MOVE: {
        (move.MoveState.ASKED, move.MoveEvent.TYPED): (move.MoveState.DONE, "the code to move to"),
    },
    DialogKind.AMOUNT: {
        (A.TYPING, AE.KEY): (A.TYPING, "a digit, the point or ⌫"),
        (A.TYPING, AE.SUBMITTED): (A.SUBMITTING, "OK, or the amount as text"),
        (A.TYPING, AE.GONE): (A.DONE, "text too long after the scan"),
        (A.SUBMITTING, AE.BAD_AMOUNT): (A.TYPING, "refused: typed again"),
        (A.SUBMITTING, AE.MADE): (A.DONE, "the order is made: the password"),
        (A.SUBMITTING, AE.GONE): (A.DONE, "the code takes nothing, or too many starts"),
    },
    DialogKind.PASSKEY_CHECK: {
        (K.OPEN, KE.PASSWORD_VERIFIED): (K.BY_PASSWORD, "the keypad was quicker"),
        (K.OPEN, KE.PAGE_VERIFIED): (K.DONE, "the page verified: go on"),
        (K.BY_PASSWORD, KE.PAGE_VERIFIED): (K.DONE, "the page verified too late"),
    },
    DialogKind.CONFIRM: {
        (C.IDLE, CE.PRESS): (C.AWAITING, "a first press"),
        (C.AWAITING, CE.PRESS): (C.CONFIRMED, "the second press in time"),
        (C.AWAITING, CE.EXPIRE): (C.IDLE, "the window passed"),
    },
    DialogKind.UTR: {
        (U.ASKED, UE.TYPED): (U.CLAIMING, "a UTR typed"),
        (U.CLAIMING, UE.BAD): (U.ASKED, "not 12 digits: asked again"),
        (U.CLAIMING, UE.SETTLED): (U.DONE, "claimed, or refused for good"),
    },
    DialogKind.METHOD: {
        (M.ASKING, ME.ANSWERED): (M.ASKING, "a field typed or skipped: the next one"),
        (M.ASKING, ME.LAST): (M.SAVING, "the last field: the method is added"),
        (M.SAVING, ME.REFUSED): (M.ASKING, "a field refused: asked again"),
        (M.SAVING, ME.SAVED): (M.DONE, "added, or one of this kind exists"),
    },
}

# A dialog of each kind in a given state, for the walks.
MAKE: dict[DialogKind, Callable[[Any], Dialog[Any]]] = {
    DialogKind.PIN: lambda s: pin_.PinDialog(state=s, token="t"),
    DialogKind.CHECKOUT: lambda s: checkout.CheckoutDialog(state=s, token="t"),
    DialogKind.ORDER_PASSWORD: lambda s: order_password.OrderPasswordDialog(state=s, token="t"),
    DialogKind.BINDING: lambda s: binding.BindingDialog(state=s, token="t", label="K7PQ-3MXD"),
    DialogKind.MOVE: lambda s: move.MoveDialog(state=s, short="abc"),
    DialogKind.AMOUNT: lambda s: amount.AmountDialog(
        state=s, token="t", currency=USD, started_at=0.0
    ),
    DialogKind.PASSKEY_CHECK: lambda s: passkey.PasskeyCheckDialog(
        state=s, order_token="t", presser=passkey.Presser(7, "Bob")
    ),
    DialogKind.CONFIRM: lambda s: confirm.ConfirmDialog(state=s),
    DialogKind.UTR: lambda s: utr.UtrDialog(state=s, token="t"),
    DialogKind.METHOD: lambda s: method.MethodDialog(state=s, method=SEPA, field="holder"),
}

# Events whose second coming is a step of its own, not a double press
TWICE_ON_PURPOSE = {
    (DialogKind.CONFIRM, C.IDLE, CE.PRESS),  # the second press confirms
    (DialogKind.PIN, P.SET_AGAIN, PE.TOO_EASY),  # each time another six digits
    (DialogKind.PIN, P.CHANGE_AGAIN, PE.TOO_EASY),
}


def _transitions() -> list[tuple[DialogKind, StrEnum, StrEnum, StrEnum]]:
    return [(k, s, e, n) for k, m in MACHINES.items() for (s, e), n in m.table.items()]


def _outside() -> list[tuple[DialogKind, StrEnum, StrEnum]]:
    return [
        (k, s, e)
        for k, m in MACHINES.items()
        for s in m.states
        for e in m.events
        if (s, e) not in m.table
    ]


def _id(value: object) -> str:
    return str(value)


def test_every_dialog_kind_has_a_machine_and_a_maker() -> None:
    assert set(MACHINES) == set(DialogKind) == set(WRITTEN) == set(MAKE)


@pytest.mark.parametrize("kind", [k for k in DialogKind if k != DialogKind.CONFIRM], ids=_id)
def test_each_dialog_ends_in_done_and_nothing_leaves_it(kind: DialogKind) -> None:
    machine = MACHINES[kind]
    done = machine.states(DONE)
    assert MAKE[kind](done).over
    assert all(s != done for s, _e in machine.table)
    assert done in machine.table.values()


@pytest.mark.parametrize("kind", list(DialogKind), ids=_id)
def test_each_table_is_the_one_written_here(kind: DialogKind) -> None:
    table = {key: nxt for key, (nxt, _why) in WRITTEN[kind].items()}
    assert dict(MACHINES[kind].table) == table


@pytest.mark.parametrize(("kind", "state", "event", "nxt"), _transitions(), ids=_id)
def test_each_declared_transition_moves_the_dialog_and_its_version(
    kind: DialogKind, state: StrEnum, event: StrEnum, nxt: StrEnum
) -> None:
    before = MAKE[kind](state)
    after = advance(MACHINES[kind], before, event)
    assert (after.state, after.version) == (nxt, before.version + 1)
    assert type(after) is type(before)


@pytest.mark.parametrize(("kind", "state", "event"), _outside(), ids=_id)
def test_every_undeclared_event_is_refused_and_changes_nothing(
    kind: DialogKind, state: StrEnum, event: StrEnum
) -> None:
    before = MAKE[kind](state)
    with pytest.raises(Refused):
        advance(MACHINES[kind], before, event)
    assert not MACHINES[kind].allows(state, event)


@pytest.mark.parametrize(
    ("kind", "state", "event", "nxt"),
    [t for t in _transitions() if t[1] != t[3]],
    ids=_id,
)
def test_a_step_taken_twice_is_refused_the_second_time(
    kind: DialogKind, state: StrEnum, event: StrEnum, nxt: StrEnum
) -> None:
    once = advance(MACHINES[kind], MAKE[kind](state), event)
    if (kind, state, event) in TWICE_ON_PURPOSE:
        assert MACHINES[kind].allows(once.state, event)
        return
    with pytest.raises(Refused):
        advance(MACHINES[kind], once, event)


@pytest.mark.parametrize("kind", list(DialogKind), ids=_id)
async def test_of_two_writes_read_at_one_version_only_the_first_is_kept(kind: DialogKind) -> None:
    store: DialogStore = MemoryDialogStore()
    state, event = next(iter(MACHINES[kind].table))
    started = await begin(store, 7, MAKE[kind](state))
    assert started is not None
    first = advance(MACHINES[kind], started, event)
    second = advance(MACHINES[kind], started, event)  # the same press, twice, or a stale one
    assert await store.put(7, first)
    assert not await store.put(7, second)
    assert await store.get(7, kind) == first
    assert not await store.delete(7, kind, started.version)  # a stale delete, too


async def test_a_dialog_begun_over_another_replaces_it_with_the_next_version() -> None:
    store = MemoryDialogStore()
    old = await begin(
        store, 7, checkout.CheckoutDialog(state=checkout.CheckoutState.CHOOSING, token="a")
    )
    new = await begin(
        store, 7, checkout.CheckoutDialog(state=checkout.CheckoutState.CHOOSING, token="b")
    )
    assert old is not None
    assert new is not None
    assert new.version == old.version + 1
    assert await load(store, 7, checkout.CheckoutDialog) == new
    assert await load(store, 8, checkout.CheckoutDialog) is None  # another user's own


async def test_a_done_dialog_is_deleted_and_a_late_write_of_it_refused() -> None:
    store = MemoryDialogStore()
    asked = await begin(store, 7, move.MoveDialog(state=move.MoveState.ASKED, short="abc"))
    assert asked is not None
    done = advance(move.MACHINE, asked, move.MoveEvent.TYPED)
    assert await save(store, 7, done) == done
    assert await store.get(7, DialogKind.MOVE) is None
    assert await save(store, 7, done) is None  # the same text handled twice


def test_the_keypad_keeps_six_digits_at_most_and_never_shows_them() -> None:
    dialog = pin_.PinDialog(state=P.PAY)
    for key in "1234567":
        dialog = dialog.press(key, 6)
    assert dialog.digits == "123456"
    dialog = dialog.press(pin_.DELETE, 6).press("a", 6).press("12", 6)
    assert dialog.digits == "12345"
    assert "12345" not in repr(dialog)
    assert "entered=5" in repr(dialog)


def test_the_amount_keypad_takes_one_point_only_where_the_currency_has_cents() -> None:
    dialog = amount.AmountDialog(state=A.TYPING, token="t", currency=USD, started_at=0.0)
    for key in ".5.0":
        dialog = dialog.press(key)
    assert dialog.typed == "0.50"
    yen = amount.AmountDialog(state=A.TYPING, token="t", currency=currency("JPY"), started_at=0.0)
    assert yen.press(".").typed == ""
    assert dialog.stale(amount.STALE_S + 1)
    assert not dialog.stale(amount.STALE_S)


def test_a_second_press_confirms_only_within_the_window() -> None:
    first, state = confirm.press(None, "can:o1", 0.0, 30.0)
    assert state == C.AWAITING
    _, state = confirm.press(first, "can:o1", 30.0, 30.0)
    assert state == C.CONFIRMED
    late, state = confirm.press(first, "can:o1", 31.0, 30.0)
    assert state == C.AWAITING  # the first press expired: this one is a first again
    assert late.waiting == (("can:o1", 31.0),)
    other, state = confirm.press(first, "hrl:o2:0", 1.0, 30.0)
    assert state == C.AWAITING
    assert len(other.waiting) == 2
