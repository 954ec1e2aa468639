"""Use cases of static codes: print, bind, unbind, move, disable, pay, and their totals."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from core.domain.codes import (
    CodeId,
    CodeKind,
    CodeSpec,
    CodeState,
    CodeTotals,
    Collection,
    CollectionId,
    StaticCode,
    check_count,
    check_name,
    check_payment,
    normalise_short,
    short_code,
    token_shaped,
)
from core.domain.errors import Conflict, DomainError, NotAllowed, NotFound
from core.domain.events import OrderCreated
from core.domain.model import (
    Mode,
    Order,
    OrderId,
    OrderState,
    PayeeId,
    SplitKind,
    SubOrder,
    SubOrderId,
    SubOrderState,
)
from core.domain.money import Money
from core.domain.params import DEFAULT_HOLD
from core.domain.text import check_text
from core.domain.tries import Failed, TryRules, Wrong
from core.ports.store import Tx, traits_of
from core.usecases.deps import Deps, OrderView, UseCases
from core.usecases.payouts import card_account_for
from core.usecases.tries import Tries

LAST_PAYMENTS = 5
# A payee naming codes that do not exist is guessing the 40-bit short codes of printed,
# unbound ones: this many lock their code look-ups for 15 min, doubling up to a day.
CODE_GUESSES = 10
CODE_GUESS_LOCK_S = 15 * 60


def code_guess_rules(payee_id: PayeeId) -> TryRules:
    """How a payee's look-ups of codes that do not exist count."""
    return TryRules(
        f"code-guess:{payee_id}", CODE_GUESSES, CODE_GUESS_LOCK_S, "codes that do not exist"
    )


class CodeInactive(DomainError):
    """The code cannot take payments: `state` is 'unbound', 'disabled' or 'ended' (a fund
    past its deadline)."""

    code = "code_inactive"


@dataclass(frozen=True, slots=True)
class CodeCard:
    """What a payer sees after scanning: the code, who collects, and the fund's progress."""

    code: StaticCode
    spec: CodeSpec
    collection: Collection
    raised_minor: int
    payments: int

    @property
    def collector(self) -> str:
        """Who collects, as payers see it: the name chosen when the code was bound."""
        return self.code.display_name or self.collection.display_name


class Codes(UseCases):
    """Static codes: printing, binding, paying and the funds behind them."""

    def __init__(self, deps: Deps, tries: Tries) -> None:
        super().__init__(deps)
        self._tries = tries

    async def print_codes(self, count: int) -> list[StaticCode]:
        """New unbound codes with random tokens; a clash of short codes draws them again."""
        check_count(count)
        d = self._d
        for _ in range(3):
            now = d.clock.now()
            codes = []
            for _i in range(count):
                token = d.ids.new_token()
                code_id = CodeId(d.ids.new_id("sc"))
                codes.append(StaticCode(code_id, token, short_code(token), CodeState.UNBOUND, now))
            if len({c.short for c in codes}) < count:
                continue
            try:
                async with d.store.transaction() as tx:
                    await tx.codes.add_codes(codes)
            except Conflict:
                continue
            return codes
        raise Conflict("could not draw unique codes; try again")

    async def find_code(self, ref: str) -> StaticCode:
        """A code by its QR token or its printed short code."""
        async with self._d.store.transaction() as tx:
            code = await tx.codes.get_code_by_token(ref) if token_shaped(ref) else None
            if code is None and len(ref) <= 12:
                code = await tx.codes.get_code_by_short(normalise_short(ref))
        if code is None:
            raise NotFound("no such code")
        return code

    async def lookup_code(self, ref: str, payee_id: PayeeId) -> StaticCode:
        """find_code for a payee naming a code: one that does not exist counts as a wrong
        guess, CODE_GUESSES of them lock the payee's look-ups (LockedOut). Each look-up is
        counted before it is made (core.usecases.tries), so parallel guesses get no more; a code
        found gives its try back."""
        check_text(ref, "code")
        if len(ref) <= 12:
            normalise_short(ref)  # a malformed code is no guess

        async def check() -> StaticCode | Wrong:
            try:
                return await self.find_code(ref)
            except NotFound as exc:
                return Wrong(exc)

        answer = await self._tries.guarded_try(code_guess_rules(payee_id), check)
        if isinstance(answer, Failed):
            raise answer.locked or answer.error
        return answer

    async def collection_of(self, payee_id: PayeeId) -> Collection | None:
        async with self._d.store.transaction() as tx:
            return await tx.codes.collection_of_payee(payee_id)

    async def bind_code(
        self, ref: str, payee_id: PayeeId, spec: CodeSpec, display_name: str
    ) -> StaticCode:
        """Bind an unbound code to the payee's collection ID, made on first bind in the same
        transaction (a refused bind leaves nothing behind)."""
        name = check_name(display_name)
        code = await self.lookup_code(ref, payee_id)
        for _ in range(2):
            try:
                return await self._bind(code, payee_id, spec, name)
            except Conflict:
                continue  # a parallel first bind made the collection: use it
        raise Conflict("could not bind the code; try again")

    async def _bind(
        self, code: StaticCode, payee_id: PayeeId, spec: CodeSpec, name: str
    ) -> StaticCode:
        d = self._d
        now = d.clock.now()
        async with d.store.transaction() as tx:
            collection = await tx.codes.collection_of_payee(payee_id)
            if collection is None:
                if await tx.payees.get_payee(payee_id) is None:
                    raise NotFound("unknown payee")
                cur = spec.currency.code
                modes = tuple(g for g, gw in d.gateways.items() if traits_of(gw).takes(cur))
                cid = CollectionId("col_" + d.ids.new_token())
                collection = Collection(cid, payee_id, name, modes, now)
                await tx.codes.add_collection(collection)
            bound = replace(
                code,
                state=CodeState.ACTIVE,
                collection_id=collection.id,
                binding_id=d.ids.new_id("bnd"),
                spec=spec,
                bound_at=now,
                goal_reached_at=None,
                display_name=name,
            )
            if not await tx.codes.bind_code(bound):
                current = await tx.codes.get_code(code.id)
                mine = current is not None and current.collection_id == collection.id
                raise NotAllowed(
                    "this code is already bound to you" if mine else "this code is already bound"
                )
        return bound

    async def own_code(self, ref: str, payee_id: PayeeId) -> tuple[StaticCode, Collection]:
        """A code bound to the payee; another's or an unbound one is NotFound."""
        code = await self.lookup_code(ref, payee_id)
        async with self._d.store.transaction() as tx:
            collection = await tx.codes.collection_of_payee(payee_id)
        if collection is None or code.collection_id != collection.id:
            raise NotFound("no such code among yours")
        return code, collection

    async def unbind_code(self, ref: str, payee_id: PayeeId) -> StaticCode:
        code, collection = await self.own_code(ref, payee_id)
        async with self._d.store.transaction() as tx:
            if not await tx.codes.unbind_code(code.id, collection.id):
                raise NotFound("no such code among yours")
            fresh = await tx.codes.get_code(code.id)
        return fresh or code

    async def set_code_enabled(self, ref: str, payee_id: PayeeId, enabled: bool) -> StaticCode:
        code, collection = await self.own_code(ref, payee_id)
        from_, to = (
            (CodeState.DISABLED, CodeState.ACTIVE)
            if enabled
            else (CodeState.ACTIVE, CodeState.DISABLED)
        )
        async with self._d.store.transaction() as tx:
            await tx.codes.set_code_state(code.id, collection.id, from_, to)
            fresh = await tx.codes.get_code(code.id)
        return fresh or code

    async def move_code(self, ref: str, to_ref: str, payee_id: PayeeId) -> StaticCode:
        """Move a binding (what it collects, its totals) to another, unbound code."""
        code, _ = await self.own_code(ref, payee_id)
        target = await self.lookup_code(to_ref, payee_id)
        if target.id == code.id:
            raise NotAllowed("that is the same code")
        async with self._d.store.transaction() as tx:
            # The binding as it is now, locked (PostgreSQL): a payment reaching the goal or a
            # switch meanwhile moves with it, and none lands between this read and the move.
            current = await tx.codes.lock_binding(code.binding_id or "")
            if current is None or current.id != code.id:
                raise NotFound("no such code among yours")
            if not await tx.codes.move_binding(current, target.id):
                raise NotAllowed("the other code is already bound")
            moved = await tx.codes.get_code(target.id)
        if moved is None:
            raise NotFound("no such code")
        return moved

    async def code_card(self, token: str) -> CodeCard:
        """What a payer sees; CodeInactive (nothing created) for an unbound, disabled or
        ended code."""
        d = self._d
        async with d.store.transaction() as tx:
            code = await tx.codes.get_code_by_token(token)
            if code is None:
                raise NotFound("no such code")
            collection = (
                await tx.codes.get_collection(code.collection_id) if code.collection_id else None
            )
            raised, count = (
                await tx.codes.binding_raised(code.binding_id) if code.binding_id else (0, 0)
            )
        if code.state == CodeState.UNBOUND or code.spec is None or collection is None:
            raise CodeInactive("this code is not active yet", state="unbound")
        if code.state == CodeState.DISABLED:
            raise CodeInactive("the payee has switched this code off", state="disabled")
        deadline = code.spec.deadline
        if deadline is not None and deadline <= d.clock.now():
            raise CodeInactive("this fund-raiser has ended", state="ended")
        return CodeCard(code, code.spec, collection, raised, count)

    async def pay_code(self, token: str, amount: Money) -> OrderView:
        """A payment to a code: a one-part order for the amount the payer chose, made through
        the same engine path as every order (hold, checkout, settlement, refunds, ledger)."""
        d = self._d
        card = await self.code_card(token)
        spec, code = card.spec, card.code
        amount_minor = check_payment(spec, amount)
        now = d.clock.now()
        until = now + DEFAULT_HOLD
        if spec.deadline is not None:
            until = min(until, spec.deadline)
        order = Order(
            id=OrderId(d.ids.new_id("ord")),
            token=d.ids.new_token(),
            payee_id=card.collection.payee_id,
            title=spec.title,
            currency=spec.currency,
            total_minor=amount_minor,
            n=1,
            kind=SplitKind.EACH,
            mode=Mode.KEEP,
            state=OrderState.OPEN,
            password_hash=None,
            hold_s=int(DEFAULT_HOLD.total_seconds()),
            created_at=now,
            expires_at=until,
        )
        sub = SubOrder(
            SubOrderId(d.ids.new_id("sub")), order.id, 0, amount_minor, SubOrderState.AVAILABLE
        )
        async with d.store.transaction() as tx:
            current = await tx.codes.get_code(code.id)
            if (
                current is None
                or current.binding_id != code.binding_id
                or current.state != CodeState.ACTIVE
            ):
                raise CodeInactive("this code is not active now", state="changed")
            account = await card_account_for(tx, d.payouts, order.payee_id)
            order = replace(order, card_account=account)
            await tx.orders.add_order(order, [sub])
            await tx.codes.link_code_order(order.id, code.id, code.binding_id or "")
        await d.publish([OrderCreated(order.id, now)])
        return OrderView(order, (sub,))

    async def code_totals(self, payee_id: PayeeId, ref: str | None = None) -> list[CodeTotals]:
        """Each of the payee's codes (or the one named) with today's and this month's totals
        (UTC) and its last payments."""
        d = self._d
        now = d.clock.now()
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        month = day.replace(day=1)
        if ref is not None:
            codes = [(await self.own_code(ref, payee_id))[0]]
        else:
            collection = await self.collection_of(payee_id)
            if collection is None:
                return []
            async with d.store.transaction() as tx:
                codes = await tx.codes.codes_of(collection.id)
        return [await self._totals(c, day, month) for c in codes]

    async def _totals(self, code: StaticCode, day: datetime, month: datetime) -> CodeTotals:
        binding = code.binding_id or ""
        async with self._d.store.transaction() as tx:
            raised, count = await tx.codes.binding_raised(binding)
            today = await tx.codes.binding_paid_since(binding, day)
            this_month = await tx.codes.binding_paid_since(binding, month)
            last = await tx.codes.last_code_payments(binding, LAST_PAYMENTS)
        return CodeTotals(code, today, this_month, raised, count, tuple(last))

    async def code_binding_of(self, order_id: str) -> str | None:
        """The binding of a static code an order was made for (None: an ordinary order)."""
        async with self._d.store.transaction() as tx:
            return await tx.codes.binding_of_order(OrderId(order_id))

    async def code_of_order(self, order_id: str) -> StaticCode | None:
        """The code an order was paid through, as it is now (bound to anyone, or not)."""
        async with self._d.store.transaction() as tx:
            code_id = await tx.codes.code_of_order(OrderId(order_id))
            return await tx.codes.get_code(code_id) if code_id is not None else None

    async def post_fund(
        self, ref: str, payee_id: PayeeId, chat_id: int, message_id: int, lang: str | None
    ) -> None:
        """Remember a live progress message of a fund in a group."""
        code, _ = await self.own_code(ref, payee_id)
        if code.spec is None or code.spec.kind != CodeKind.FUND or code.binding_id is None:
            raise NotAllowed("only a fund-raiser's progress can be posted")
        async with self._d.store.transaction() as tx:
            await tx.codes.add_code_post(
                code.binding_id, chat_id, message_id, lang, self._d.clock.now()
            )

    async def fund_progress(
        self, binding_id: str
    ) -> tuple[CodeCard | None, list[tuple[int, int, str | None]]]:
        """A binding's fund card (None once unbound) and its live progress messages."""
        async with self._d.store.transaction() as tx:
            code = await tx.codes.lock_binding(binding_id, lock=False)
            posts = await tx.codes.code_posts(binding_id)
            collection = await _collection_of(tx, code)
            raised, count = await tx.codes.binding_raised(binding_id)
        if code is None or code.spec is None or collection is None:
            return None, posts
        return CodeCard(code, code.spec, collection, raised, count), posts


async def _collection_of(tx: Tx, code: StaticCode | None) -> Collection | None:
    if code is None or code.collection_id is None:
        return None
    return await tx.codes.get_collection(code.collection_id)
