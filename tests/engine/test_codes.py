"""Static codes through the engine: print, bind, unbind, move, pay, totals, funds, deadlines."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from core.domain.codes import (
    CodeKind,
    CodeSpec,
    CodeState,
    Collection,
    RawSpec,
    StaticCode,
    build_spec,
)
from core.domain.errors import InvalidInput, LockedOut, NotAllowed, NotFound, Unsupported
from core.domain.events import CodePaid, FundGoalReached
from core.domain.model import OrderState, PayeeId
from core.domain.money import Money, currency
from core.usecases.codes import CodeInactive
from core.usecases.deps import Outcome
from tests.support.fakes.gateway import FakeGateway
from tests.support.harness import Rig, build_rig, dump, open_store

USD = currency("USD")


class OtherGateway(FakeGateway):
    name = "other"


@pytest.fixture
async def rig(store_url: str | None):  # type: ignore[no-untyped-def]
    """Two payment modes enabled: 'fake' (the default) and 'other'."""
    async with open_store(store_url) as store:
        yield build_rig(store, gateways=[FakeGateway(), OtherGateway()])


def spec(rig: Rig, kind: str = "tip", **kw: object) -> CodeSpec:
    raw = RawSpec(kind=kind, currency=USD, title="Tips for the band", **kw)  # type: ignore[arg-type]
    return build_spec(raw, 10_000_000, rig.clock.now())


async def bound(
    rig: Rig, kind: str = "tip", payee: str = "Ann", **kw: object
) -> tuple[str, PayeeId]:
    [code] = await rig.engine.print_codes(1)
    who = await rig.payee(payee)
    await rig.engine.bind_code(code.short, who, spec(rig, kind, **kw), f"{payee}'s bar")
    return code.token, who


def gw(rig: Rig, name: str) -> FakeGateway:
    found = rig.engine.deps.gateways[name]
    assert isinstance(found, FakeGateway)
    return found


async def pay(rig: Rig, token: str, amount: str, payer: str, mode: str = "fake") -> str:
    view = await rig.engine.pay_code(token, Money(int(float(amount) * 100), USD))
    res = await rig.engine.reserve(view.order.token, payer, gateway=mode, source=payer)
    assert res.sub.checkout_ref is not None
    outcome = await rig.engine.apply_event(gw(rig, mode).pay(res.sub.checkout_ref))
    assert outcome == Outcome.APPLIED
    return view.order.id


async def test_printed_codes_are_unbound_with_random_tokens_and_distinct_short_codes(
    rig: Rig,
) -> None:
    codes = await rig.engine.print_codes(24)
    assert len(codes) == 24
    assert all(c.state == CodeState.UNBOUND for c in codes)
    assert len({c.token for c in codes}) == 24
    assert len({c.short for c in codes}) == 24
    found = await rig.engine.find_code(codes[3].label.lower())  # 'abcd-efgh', typed by hand
    assert found.id == codes[3].id
    assert found.state == CodeState.UNBOUND


@pytest.mark.parametrize("count", [0, -1, 501])
async def test_printing_a_bad_count_is_refused(rig: Rig, count: int) -> None:
    with pytest.raises(InvalidInput, match="1 to 500"):
        await rig.engine.print_codes(count)


async def test_bind_then_rebind_refused_then_unbind_lets_another_bind(rig: Rig) -> None:
    [code] = await rig.engine.print_codes(1)
    ann, bob = await rig.payee("Ann"), await rig.payee("Bob")
    done = await rig.engine.bind_code(code.token, ann, spec(rig), "Ann's bar")
    assert done.state == CodeState.ACTIVE
    collection = await rig.engine.collection_of(ann)
    assert collection is not None
    assert collection.id.startswith("col_")
    assert "Ann" not in collection.id
    assert collection.modes == ("fake", "other")
    with pytest.raises(NotAllowed, match=r"already bound$"):
        await rig.engine.bind_code(code.short, bob, spec(rig), "Bob")
    with pytest.raises(NotAllowed, match="already bound to you"):
        await rig.engine.bind_code(code.short, ann, spec(rig), "Ann")
    with pytest.raises(NotFound):  # Bob cannot unbind Ann's code
        await rig.engine.unbind_code(code.short, bob)
    assert (await rig.engine.find_code(code.short)).collection_id == collection.id

    freed = await rig.engine.unbind_code(code.short, ann)
    assert freed.state == CodeState.UNBOUND
    assert freed.collection_id is None
    await rig.engine.bind_code(code.short, bob, spec(rig), "Bob")
    assert (await rig.engine.code_totals(bob))[0].code.id == code.id
    assert await rig.engine.code_totals(ann) == []


async def test_an_unbound_code_takes_no_payment_and_nothing_is_created(rig: Rig) -> None:
    [code] = await rig.engine.print_codes(1)
    before = await dump(rig.store)
    with pytest.raises(CodeInactive) as refused:
        await rig.engine.pay_code(code.token, Money(500, USD))
    assert refused.value.fields["state"] == "unbound"
    assert await dump(rig.store) == before


async def test_a_disabled_code_says_so_and_nothing_is_created(rig: Rig) -> None:
    token, ann = await bound(rig)
    code = await rig.engine.find_code(token)
    await rig.engine.set_code_enabled(code.short, ann, False)
    before = await dump(rig.store)
    with pytest.raises(CodeInactive) as refused:
        await rig.engine.pay_code(token, Money(500, USD))
    assert refused.value.fields["state"] == "disabled"
    assert await dump(rig.store) == before
    await rig.engine.set_code_enabled(code.short, ann, True)
    view = await rig.engine.pay_code(token, Money(500, USD))
    assert view.order.total_minor == 500
    assert view.order.n == 1


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Money(99, USD), "below the minimum of 1.00 USD"),
        (Money(5001, USD), "above the limit of 50.00 USD"),
        (Money(500, currency("EUR")), "this code takes USD"),
    ],
)
async def test_amounts_outside_the_limits_are_refused(
    rig: Rig, amount: Money, message: str
) -> None:
    token, _ = await bound(rig, minimum="1", maximum="50")
    before = await dump(rig.store)
    with pytest.raises(InvalidInput, match=message):
        await rig.engine.pay_code(token, amount)
    assert await dump(rig.store) == before


async def test_a_fixed_code_takes_its_price_only(rig: Rig) -> None:
    token, _ = await bound(rig, "fixed", amount="25")
    with pytest.raises(InvalidInput, match=r"the price is 25\.00 USD"):
        await rig.engine.pay_code(token, Money(2400, USD))
    view = await rig.engine.pay_code(token, Money(2500, USD))
    assert view.subs[0].amount_minor == 2500


async def test_the_payer_picks_each_mode_and_settlement_is_recorded_against_it(rig: Rig) -> None:
    token, ann = await bound(rig)
    first = await pay(rig, token, "5", "payer-1", mode="fake")
    second = await pay(rig, token, "7.50", "payer-2", mode="other")
    one = await rig.engine.get_order(first, ann)
    two = await rig.engine.get_order(second, ann)
    assert (one.subs[0].gateway, one.order.state) == ("fake", OrderState.COMPLETED)
    assert (two.subs[0].gateway, two.order.paid_minor) == ("other", 750)
    paid = [p for p in [await rig.engine.payment_of("fake", "py_co1")] if p]
    assert [p.amount_minor for p in paid] == [500]
    [totals] = await rig.engine.code_totals(ann)
    assert (totals.today_minor, totals.month_minor, totals.raised_minor) == (1250, 1250, 1250)
    assert totals.payments == 2
    assert [(p.amount_minor, p.gateway) for p in totals.last] == [(750, "other"), (500, "fake")]
    assert [e.amount_minor for e in rig.notifier.of(CodePaid)] == [500, 750]  # type: ignore[attr-defined]


async def test_a_mode_the_collection_does_not_take_is_refused(rig: Rig) -> None:
    token, ann = await bound(rig)
    collection = await rig.engine.collection_of(ann)
    assert collection is not None
    async with rig.store.transaction() as tx:
        await tx.codes.set_collection_modes(collection.id, ["other"])
    view = await rig.engine.pay_code(token, Money(500, USD))
    assert await rig.engine.methods_for(view.order) == ["other"]
    with pytest.raises(Unsupported):
        await rig.engine.reserve(view.order.token, "payer-1", gateway="fake", source="payer-1")


async def test_totals_split_today_and_this_month(rig: Rig) -> None:
    rig.clock.at = rig.clock.at.replace(day=10)
    token, ann = await bound(rig)
    await pay(rig, token, "4", "payer-1")
    rig.clock.advance(days=1)
    await pay(rig, token, "6", "payer-2")
    [totals] = await rig.engine.code_totals(ann)
    assert (totals.today_minor, totals.month_minor) == (600, 1000)
    rig.clock.advance(days=30)
    [totals] = await rig.engine.code_totals(ann)
    assert (totals.today_minor, totals.month_minor, totals.raised_minor) == (0, 0, 1000)


async def test_a_fund_reaching_its_goal_is_announced_once(rig: Rig) -> None:
    token, ann = await bound(rig, "fund", goal="20")
    await pay(rig, token, "15", "payer-1")
    assert rig.notifier.of(FundGoalReached) == []
    await pay(rig, token, "5", "payer-2")
    await pay(rig, token, "5", "payer-3")
    [reached] = rig.notifier.of(FundGoalReached)
    assert (reached.raised_minor, reached.goal_minor) == (2000, 2000)  # type: ignore[attr-defined]
    code = await rig.engine.find_code(token)
    assert code.goal_reached_at is not None
    [totals] = await rig.engine.code_totals(ann)
    assert totals.raised_minor == 2500


async def test_payments_settling_at_once_announce_the_goal_once(rig: Rig) -> None:
    token, _ = await bound(rig, "fund", goal="30")
    events = []
    for i in range(4):
        view = await rig.engine.pay_code(token, Money(1000, USD))
        res = await rig.engine.reserve(view.order.token, f"payer-{i}", source=f"payer-{i}")
        assert res.sub.checkout_ref is not None
        events.append(gw(rig, "fake").pay(res.sub.checkout_ref))
    outcomes = await asyncio.gather(*(rig.engine.apply_event(e) for e in events))
    assert outcomes == [Outcome.APPLIED] * 4
    assert len(rig.notifier.of(FundGoalReached)) == 1


async def test_after_a_funds_deadline_payments_are_refused_or_refunded(rig: Rig) -> None:
    deadline = rig.clock.now() + timedelta(minutes=10)
    token, ann = await bound(rig, "fund", goal="100", deadline=deadline)
    view = await rig.engine.pay_code(token, Money(1000, USD))
    assert view.order.expires_at == deadline  # sooner than the usual 15-minute hold
    res = await rig.engine.reserve(view.order.token, "late-payer", source="late-payer")
    assert res.sub.checkout_ref is not None
    rig.clock.advance(minutes=11)
    with pytest.raises(CodeInactive) as refused:
        await rig.engine.pay_code(token, Money(1000, USD))
    assert refused.value.fields["state"] == "ended"
    outcome = await rig.engine.apply_event(gw(rig, "fake").pay(res.sub.checkout_ref))
    assert outcome == Outcome.REFUNDING
    assert gw(rig, "fake").done("refund") == [f"py_{res.sub.checkout_ref}"]
    [totals] = await rig.engine.code_totals(ann)
    assert totals.raised_minor == 0


async def test_moving_a_binding_keeps_its_totals_and_frees_the_old_code(rig: Rig) -> None:
    token, ann = await bound(rig)
    await pay(rig, token, "3", "payer-1")
    old = await rig.engine.find_code(token)
    [fresh] = await rig.engine.print_codes(1)
    moved = await rig.engine.move_code(old.short, fresh.short, ann)
    assert (moved.id, moved.state, moved.binding_id) == (fresh.id, CodeState.ACTIVE, old.binding_id)
    assert (await rig.engine.code_card(fresh.token)).collector == "Ann's bar"
    assert (await rig.engine.find_code(old.short)).state == CodeState.UNBOUND
    [totals] = await rig.engine.code_totals(ann)
    assert (totals.code.id, totals.raised_minor) == (fresh.id, 300)
    with pytest.raises(CodeInactive):
        await rig.engine.pay_code(token, Money(100, USD))
    other_token, _ = await bound(rig, payee="Bob")
    with pytest.raises(NotAllowed, match="already bound"):
        await rig.engine.move_code(fresh.short, other_token, ann)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (RawSpec("raffle", USD), "kind must be"),
        (RawSpec("fixed", USD), "needs its price"),
        (RawSpec("fund", USD), "needs its goal"),
        (RawSpec("tip", USD, minimum="10", maximum="5"), "minimum is above the maximum"),
        (RawSpec("tip", USD, minimum="0.001"), "at most 2 decimals"),
    ],
)
def test_bad_code_settings_are_refused(raw: RawSpec, message: str) -> None:
    from datetime import UTC, datetime

    with pytest.raises(InvalidInput, match=message):
        build_spec(raw, 10_000_000, datetime(2026, 1, 1, tzinfo=UTC))


def test_kinds_are_the_four_of_the_issue() -> None:
    assert [k.value for k in CodeKind] == ["tip", "donation", "fixed", "fund"]


async def test_two_payees_binding_one_code_at_once_one_wins(rig: Rig) -> None:
    [code] = await rig.engine.print_codes(1)
    payees = [await rig.payee(f"P{i}") for i in range(4)]

    async def attempt(p: PayeeId) -> bool:
        try:
            await rig.engine.bind_code(code.short, p, spec(rig), "Me")
        except NotAllowed:
            return False
        return True

    won = await asyncio.gather(*(attempt(p) for p in payees))
    assert sorted(won) == [False, False, False, True]
    winner = payees[won.index(True)]
    collection = await rig.engine.collection_of(winner)
    assert collection is not None
    assert (await rig.engine.find_code(code.short)).collection_id == collection.id
    for loser in (p for p, w in zip(payees, won, strict=True) if not w):
        assert await rig.engine.collection_of(loser) is None  # a refused bind leaves nothing


async def test_one_payee_binding_two_codes_at_once_gets_one_collection(rig: Rig) -> None:
    codes = await rig.engine.print_codes(2)
    ann = await rig.payee("Ann")
    await asyncio.gather(*(rig.engine.bind_code(c.short, ann, spec(rig), "Ann") for c in codes))
    collection = await rig.engine.collection_of(ann)
    assert collection is not None
    assert {c.collection_id for c in [await rig.engine.find_code(c.short) for c in codes]} == {
        collection.id
    }


async def test_the_gateway_sees_the_collection_id_not_the_payee(rig: Rig) -> None:
    token, ann = await bound(rig)
    view = await rig.engine.pay_code(token, Money(500, USD))
    res = await rig.engine.reserve(view.order.token, "payer-1", gateway="other", source="payer-1")
    assert res.sub.checkout_ref is not None
    sent = gw(rig, "other").checkouts[res.sub.checkout_ref].request
    collection = await rig.engine.collection_of(ann)
    assert collection is not None
    assert sent.description == f"Tips for the band · {collection.id}"
    assert "Ann" not in sent.description


async def test_an_order_of_a_code_unbound_meanwhile_takes_no_mode(rig: Rig) -> None:
    token, ann = await bound(rig)
    view = await rig.engine.pay_code(token, Money(500, USD))
    await rig.engine.unbind_code(token, ann)
    assert await rig.engine.methods_for(view.order) == []
    paid_through = await rig.engine.code_of_order(view.order.id)  # to tell its payee still
    assert paid_through is not None
    assert paid_through.token == token
    with pytest.raises(Unsupported):
        await rig.engine.reserve(view.order.token, "payer-1", source="payer-1")


def unknown_shorts(n: int, taken: set[str]) -> list[str]:
    """Short codes nobody printed (the alphabet's digits only)."""
    found = [f"{i:08d}" for i in range(n + len(taken))]
    return [s for s in found if s not in taken][:n]


async def test_guessing_short_codes_locks_the_guesser_out(rig: Rig) -> None:
    """40 bits are typed by hand: ten codes that do not exist lock a payee's code look-ups,
    so printed, still unbound codes cannot be found and bound by guessing."""
    codes = await rig.engine.print_codes(2)
    mallory, ann = await rig.payee("Mallory"), await rig.payee("Ann")
    guesses = unknown_shorts(10, {c.short for c in codes})
    for guess in guesses[:9]:
        with pytest.raises(NotFound):
            await rig.engine.bind_code(guess, mallory, spec(rig), "M")
    with pytest.raises(LockedOut) as locked:
        await rig.engine.own_code(guesses[9], mallory)
    assert 0 < int(locked.value.fields["retry_after_s"]) <= 15 * 60
    with pytest.raises(LockedOut):  # even a real, unbound code now
        await rig.engine.bind_code(codes[0].short, mallory, spec(rig), "M")
    assert (await rig.engine.find_code(codes[0].short)).state == CodeState.UNBOUND
    await rig.engine.bind_code(codes[1].short, ann, spec(rig), "Ann")  # others are not held
    rig.clock.advance(minutes=16)
    await rig.engine.bind_code(codes[0].short, mallory, spec(rig), "M")


async def test_codes_found_do_not_count_as_wrong_guesses(rig: Rig) -> None:
    codes = await rig.engine.print_codes(3)
    ann = await rig.payee("Ann")
    await rig.engine.bind_code(codes[0].short, ann, spec(rig), "Ann")
    guesses = unknown_shorts(10, {c.short for c in codes})
    for guess in guesses[:9]:
        with pytest.raises(NotFound):
            await rig.engine.move_code(codes[0].short, guess, ann)
    for code in codes[1:]:
        await rig.engine.bind_code(code.short, ann, spec(rig), "Ann")
    for code in codes:
        await rig.engine.code_totals(ann, code.short)
    with pytest.raises(LockedOut):
        await rig.engine.unbind_code(guesses[9], ann)


async def test_the_guessing_lock_holds_for_a_new_engine(rig: Rig) -> None:
    mallory = await rig.payee("Mallory")
    for guess in unknown_shorts(10, set()):
        with pytest.raises((NotFound, LockedOut)):
            await rig.engine.own_code(guess, mallory)
    restarted = build_rig(store=rig.store)  # a new engine on the same database
    restarted.clock.at = rig.clock.at
    [code] = await restarted.engine.print_codes(1)
    with pytest.raises(LockedOut):
        await restarted.engine.bind_code(code.short, mallory, spec(restarted), "M")


async def test_a_move_racing_a_payment_keeps_the_goal_reached_and_the_state(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The move reads its source, a payment reaches the goal and the payee switches the code
    off, then the move writes: the goal stays announced once and the code stays off."""
    token, ann = await bound(rig, "fund", goal="10")
    stale, collection = await rig.engine.own_code(token, ann)
    await pay(rig, token, "10", "payer-1")
    await rig.engine.set_code_enabled(token, ann, False)
    [fresh] = await rig.engine.print_codes(1)

    async def read_before(ref: str, payee_id: PayeeId) -> tuple[StaticCode, Collection]:
        return stale, collection

    monkeypatch.setattr(rig.engine._codes, "own_code", read_before)
    moved = await rig.engine.move_code(stale.short, fresh.short, ann)
    monkeypatch.undo()
    assert moved.state == CodeState.DISABLED
    assert moved.goal_reached_at is not None
    await rig.engine.set_code_enabled(fresh.short, ann, True)
    await pay(rig, fresh.token, "5", "payer-2")
    assert len(rig.notifier.of(FundGoalReached)) == 1


async def test_refunded_and_expired_payments_are_not_in_the_totals(rig: Rig) -> None:
    token, ann = await bound(rig, "fund", goal="100")
    await pay(rig, token, "5", "payer-1")
    refunded = await pay(rig, token, "7", "payer-2")
    await rig.engine.pay_code(token, Money(900, USD))  # never paid: expires
    rig.clock.advance(minutes=20)
    await rig.engine.expire_due()
    await rig.engine.cancel_order(refunded, ann)  # the payee gives the 7 back
    [totals] = await rig.engine.code_totals(ann)
    assert (totals.today_minor, totals.month_minor, totals.raised_minor) == (500, 500, 500)
    assert [p.amount_minor for p in totals.last] == [500]
    assert totals.payments == 1
    card = await rig.engine.code_card(token)
    assert (card.raised_minor, card.payments) == (500, 1)  # 'raised 5.00 from 1 payment'
