"""The in-memory store: its state, its transactions (serialised, rolled back by snapshot)."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from core.domain.errors import Conflict
from core.domain.ledger.entries import (
    MONEY_IN,
    EntryKind,
    LedgerDraft,
    LedgerEntry,
    PayerSecret,
    SignedHead,
    commitment,
)
from core.domain.ledger.merkle import leaf_hash
from core.domain.ledger.scope import LedgerGroup, LedgerScope
from core.domain.model import (
    PENDING_PAYMENT_STATUSES,
    CheckoutRef,
    Order,
    OrderId,
    OrderPost,
    OrderState,
    Payee,
    PayeeId,
    PayerAuth,
    Payment,
    PaymentId,
    PaymentStatus,
    SubOrder,
    SubOrderId,
    SubOrderState,
)
from tests.support.fakes.repos.codes import CodesState, InMemoryCodesTx
from tests.support.fakes.repos.holds import HoldsState, InMemoryHoldsTx
from tests.support.fakes.repos.passkeys import InMemoryPasskeys, PasskeyState
from tests.support.fakes.repos.tries import InMemoryTriesTx, TriesState


@dataclass
class _State:
    payees: dict[str, Payee] = field(default_factory=dict)
    keys: dict[str, PayeeId] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    subs: dict[str, SubOrder] = field(default_factory=dict)
    events: set[tuple[str, str]] = field(default_factory=set)
    payments: dict[str, Payment] = field(default_factory=dict)
    payers: dict[str, PayerAuth] = field(default_factory=dict)
    posts: list[OrderPost] = field(default_factory=list)
    ledger: list[tuple[LedgerEntry, PayerSecret | None]] = field(default_factory=list)
    heads: list[SignedHead] = field(default_factory=list)
    loose: dict[tuple[str, str], tuple[CheckoutRef, datetime]] = field(default_factory=dict)
    early_voids: set[tuple[str, str]] = field(default_factory=set)
    passkeys: PasskeyState = field(default_factory=PasskeyState)

    codes: CodesState = field(default_factory=CodesState)
    holds: HoldsState = field(default_factory=HoldsState)
    tries: TriesState = field(default_factory=TriesState)


class InMemoryTx(InMemoryPasskeys, InMemoryCodesTx, InMemoryHoldsTx, InMemoryTriesTx):
    """Implements core.ports.store.Tx over plain dicts; the store serialises transactions."""

    def __init__(self, state: _State) -> None:
        self.s = state
        self.pk = state.passkeys
        self._drafts: list[LedgerDraft] = []
        self.codes_state, self.all_orders, self.subs_by_id = state.codes, state.orders, state.subs
        self.holds_state = state.holds
        self.payers, self.tries_state = state.payers, state.tries

    def append_ledger(self, draft: LedgerDraft) -> None:
        self._drafts.append(draft)

    def flush_ledger(self) -> None:
        for d in self._drafts:
            secret = None
            if d.payer_ref:
                secret = PayerSecret(d.payer_ref, f"{len(self.s.ledger):032x}", d.payer_name)
            commits = commitment(secret.payer_ref, secret.salt) if secret else None
            entry = d.entry(len(self.s.ledger), commits)
            self.s.ledger.append((entry, secret))
        self._drafts = []

    async def ledger_size(self, *, lock: bool = False) -> int:
        return len(self.s.ledger)

    async def ledger_leaf_hashes(self, start: int, end: int) -> list[bytes]:
        return [leaf_hash(e.leaf()) for e, _ in self.s.ledger[start:end]]

    async def ledger_entries(self, start: int, end: int) -> list[LedgerEntry]:
        return [e for e, _ in self.s.ledger[start:end]]

    async def ledger_entries_of_payment(self, payment_id: PaymentId) -> list[LedgerEntry]:
        return [e for e, _ in self.s.ledger if e.payment_id == payment_id]

    async def payer_secret(self, index: int) -> PayerSecret | None:
        return self.s.ledger[index][1] if 0 <= index < len(self.s.ledger) else None

    async def add_head(self, head: SignedHead) -> None:
        self.s.heads.append(head)

    async def latest_head(self) -> SignedHead | None:
        return self.s.heads[-1] if self.s.heads else None

    async def signed_heads(self) -> list[SignedHead]:
        return list(self.s.heads)

    # records: the same answers as storage/repos/records.py, by scanning the list
    def _in_scope(self, scope: LedgerScope, e: LedgerEntry, secret: PayerSecret | None) -> bool:
        as_payer = scope.payer_ref is not None and secret is not None
        as_payer = as_payer and secret is not None and secret.payer_ref == scope.payer_ref
        mine = as_payer or (scope.payee_id is not None and e.payee_id == scope.payee_id)
        return (
            mine
            and (scope.since is None or e.at >= scope.since)
            and (scope.until is None or e.at < scope.until)
            and (scope.order_id is None or e.order_id == scope.order_id)
            and (not scope.kinds or e.kind in scope.kinds)
        )

    def _scoped(self, scope: LedgerScope) -> list[tuple[LedgerEntry, PayerSecret | None]]:
        return [(e, s) for e, s in self.s.ledger if self._in_scope(scope, e, s)]

    async def ledger_records(
        self, scope: LedgerScope, limit: int | None, offset: int, *, oldest_first: bool = False
    ) -> list[tuple[LedgerEntry, PayerSecret | None]]:
        found = sorted(
            self._scoped(scope), key=lambda r: (r[0].at, r[0].index), reverse=not oldest_first
        )
        return found[offset : None if limit is None else offset + limit]

    async def count_ledger_records(self, scope: LedgerScope) -> int:
        return len(self._scoped(scope))

    async def ledger_groups(self, scope: LedgerScope) -> list[LedgerGroup]:
        sums: dict[tuple[str | None, str, EntryKind, str], list[LedgerEntry]] = {}
        for e, _ in self._scoped(scope):
            month = e.at.astimezone(UTC).strftime("%Y-%m")
            sums.setdefault((e.order_id, e.currency, e.kind, month), []).append(e)
        return [
            LedgerGroup(
                order_id=key[0],
                currency=key[1],
                kind=key[2],
                month=key[3],
                amount_minor=sum(e.amount_minor for e in found),
                entries=len(found),
                first_at=min(e.at for e in found),
            )
            for key, found in sums.items()
        ]

    async def count_ledger_payers(self, scope: LedgerScope) -> int:
        scoped = self._scoped(scope)
        return len({s.payer_ref for e, s in scoped if s is not None and e.kind in MONEY_IN})

    async def orders_by_id(self, order_ids: Sequence[OrderId]) -> list[Order]:
        return [self.s.orders[i] for i in sorted(set(order_ids)) if i in self.s.orders]

    async def add_payee(self, payee: Payee) -> None:
        self.s.payees[payee.id] = payee

    async def get_payee(self, payee_id: PayeeId) -> Payee | None:
        return self.s.payees.get(payee_id)

    async def get_payee_by_name(self, name: str) -> Payee | None:
        return next((p for p in self.s.payees.values() if p.name == name), None)

    async def add_api_key(self, key_hash: str, payee_id: PayeeId, now: datetime) -> None:
        self.s.keys[key_hash] = payee_id

    async def payee_for_key(self, key_hash: str) -> PayeeId | None:
        return self.s.keys.get(key_hash)

    async def add_order(self, order: Order, subs: Sequence[SubOrder]) -> None:
        self.s.orders[order.id] = order
        for sub in subs:
            self.s.subs[sub.id] = sub

    async def get_order(self, order_id: OrderId) -> Order | None:
        return self.s.orders.get(order_id)

    async def get_order_by_token(self, token: str) -> Order | None:
        return next((o for o in self.s.orders.values() if o.token == token), None)

    async def get_order_by_key(self, payee_id: PayeeId, idempotency_key: str) -> Order | None:
        return next(
            (
                o
                for o in self.s.orders.values()
                if o.payee_id == payee_id and o.idempotency_key == idempotency_key
            ),
            None,
        )

    async def list_orders(self, payee_id: PayeeId, limit: int, offset: int) -> list[Order]:
        mine = [o for o in self.s.orders.values() if o.payee_id == payee_id]
        mine.sort(key=lambda o: (o.created_at, o.id), reverse=True)
        return mine[offset : offset + limit]

    async def count_orders(self, payee_id: PayeeId) -> int:
        return sum(1 for o in self.s.orders.values() if o.payee_id == payee_id)

    async def get_sub_orders(self, order_id: OrderId) -> list[SubOrder]:
        return sorted((s for s in self.s.subs.values() if s.order_id == order_id), key=_idx)

    async def get_sub_order(self, sub_order_id: SubOrderId) -> SubOrder | None:
        return self.s.subs.get(sub_order_id)

    async def find_payer_sub_order(self, order_id: OrderId, payer_ref: str) -> SubOrder | None:
        held = (SubOrderState.RESERVED, SubOrderState.PAID)
        return next(
            (
                s
                for s in await self.get_sub_orders(order_id)
                if s.payer_ref == payer_ref and s.state in held
            ),
            None,
        )

    async def count_paid(self, order_id: OrderId, amount_minor: int, now: datetime) -> int | None:
        o = self.s.orders[order_id]
        if o.state != OrderState.OPEN or o.expires_at <= now or o.paid_count >= o.n:
            return None
        o = replace(o, paid_count=o.paid_count + 1, paid_minor=o.paid_minor + amount_minor)
        self.s.orders[order_id] = o
        return o.paid_count

    async def uncount_paid(self, order_id: OrderId, amount_minor: int) -> None:
        o = self.s.orders[order_id]
        if o.paid_count > 0:
            o = replace(o, paid_count=o.paid_count - 1, paid_minor=o.paid_minor - amount_minor)
            self.s.orders[order_id] = o

    async def add_refunded_amount(self, order_id: OrderId, amount_minor: int) -> None:
        o = self.s.orders[order_id]
        self.s.orders[order_id] = replace(o, refunded_minor=o.refunded_minor + amount_minor)

    async def close_order(
        self, order_id: OrderId, from_: Sequence[OrderState], to: OrderState, now: datetime
    ) -> bool:
        o = self.s.orders.get(order_id)
        if o is None or o.state not in from_:
            return False
        self.s.orders[order_id] = replace(o, state=to, closed_at=now)
        return True

    async def reserve_one(
        self,
        order_id: OrderId,
        payer_ref: str,
        hold_until: datetime,
        payer_name: str | None = None,
        aliases: Sequence[str] = (),
        *,
        source: str | None = None,
        secret_hash: str | None = None,
    ) -> SubOrder | None:
        if self.s.orders[order_id].state != OrderState.OPEN:
            return None
        if await self.find_payer_sub_order(order_id, payer_ref) is not None:
            raise Conflict("payer already holds a sub-order")
        for s in await self.get_sub_orders(order_id):
            if s.state == SubOrderState.AVAILABLE and (s.assignee is None or s.assignee in aliases):
                new = replace(
                    s,
                    state=SubOrderState.RESERVED,
                    payer_ref=payer_ref,
                    payer_name=payer_name,
                    hold_until=hold_until,
                    hold_seq=s.hold_seq + 1,
                    gateway=None,
                    checkout_ref=None,
                    checkout_url=None,
                    hold_secret_hash=secret_hash,
                )
                self.s.subs[s.id] = new
                self.note_source(s.id, source)
                return new
        return None

    async def set_checkout(
        self, sub_order_id: SubOrderId, hold_seq: int, gateway: str, ref: str, url: str
    ) -> bool:
        s = self.s.subs[sub_order_id]
        if s.state != SubOrderState.RESERVED or s.hold_seq != hold_seq:
            return False
        self.s.subs[sub_order_id] = replace(s, gateway=gateway, checkout_ref=ref, checkout_url=url)
        return True

    async def release_hold(self, sub_order_id: SubOrderId, hold_seq: int) -> bool:
        s = self.s.subs[sub_order_id]
        if s.state != SubOrderState.RESERVED or s.hold_seq != hold_seq:
            return False
        self.s.subs[sub_order_id] = replace(
            s,
            state=SubOrderState.AVAILABLE,
            payer_ref=None,
            payer_name=None,
            hold_until=None,
            hold_secret_hash=None,
        )
        self.note_source(s.id, None)
        return True

    async def mark_sub_paid(
        self, sub_order_id: SubOrderId, checkout_ref: str, now: datetime
    ) -> bool:
        s = self.s.subs[sub_order_id]
        if s.state != SubOrderState.RESERVED or s.checkout_ref != checkout_ref:
            return False
        self.s.subs[sub_order_id] = replace(s, state=SubOrderState.PAID, paid_at=now)
        return True

    async def reopen_sub_order(self, sub_order_id: SubOrderId) -> bool:
        s = self.s.subs[sub_order_id]
        if s.state != SubOrderState.PAID:
            return False
        self.s.subs[sub_order_id] = replace(
            s,
            state=SubOrderState.AVAILABLE,
            payer_ref=None,
            payer_name=None,
            hold_until=None,
            paid_at=None,
            hold_secret_hash=None,
        )
        self.note_source(s.id, None)
        return True

    async def set_sub_state(
        self, sub_order_id: SubOrderId, from_: SubOrderState, to: SubOrderState
    ) -> bool:
        s = self.s.subs[sub_order_id]
        if s.state != from_:
            return False
        self.s.subs[sub_order_id] = replace(s, state=to)
        return True

    async def close_open_sub_orders(self, order_id: OrderId) -> list[SubOrder]:
        held: list[SubOrder] = []
        for s in await self.get_sub_orders(order_id):
            if s.state in (SubOrderState.AVAILABLE, SubOrderState.RESERVED):
                if s.state == SubOrderState.RESERVED:
                    held.append(s)
                self.s.subs[s.id] = replace(s, state=SubOrderState.CLOSED)
        return held

    async def sub_order_for_checkout(self, gateway: str, checkout_ref: str) -> SubOrder | None:
        return next(
            (
                s
                for s in self.s.subs.values()
                if s.gateway == gateway and s.checkout_ref == checkout_ref
            ),
            None,
        )

    async def due_orders(self, now: datetime, limit: int) -> list[Order]:
        due = [o for o in self.s.orders.values() if o.state == "open" and o.expires_at <= now]
        return due[:limit]

    async def lapsed_holds(self, now: datetime, limit: int) -> list[SubOrder]:
        return [
            s
            for s in self.s.subs.values()
            if s.state == SubOrderState.RESERVED and s.hold_until and s.hold_until <= now
        ][:limit]

    async def in_flight_checkouts(self, limit: int) -> list[SubOrder]:
        return [
            s for s in self.s.subs.values() if s.state == SubOrderState.RESERVED and s.checkout_ref
        ][:limit]

    async def add_loose_checkout(self, checkout: CheckoutRef, now: datetime) -> None:
        self.s.loose.setdefault((checkout.gateway, checkout.ref), (checkout, now))

    async def loose_checkouts(self, limit: int) -> list[CheckoutRef]:
        by_age = sorted(self.s.loose.values(), key=lambda c: (c[1], c[0].ref))
        return [c for c, _ in by_age][:limit]

    async def touch_loose_checkout(self, checkout: CheckoutRef, now: datetime) -> None:
        key = (checkout.gateway, checkout.ref)
        if key in self.s.loose:
            self.s.loose[key] = (checkout, now)

    async def drop_loose_checkout(self, checkout: CheckoutRef) -> None:
        self.s.loose.pop((checkout.gateway, checkout.ref), None)

    async def note_early_void(self, gateway: str, payment_ref: str, now: datetime) -> None:
        self.s.early_voids.add((gateway, payment_ref))

    async def take_early_void(self, gateway: str, payment_ref: str) -> bool:
        if (gateway, payment_ref) not in self.s.early_voids:
            return False
        self.s.early_voids.discard((gateway, payment_ref))
        return True

    async def record_event(self, gateway: str, event_id: str, kind: str, now: datetime) -> bool:
        if (gateway, event_id) in self.s.events:
            return False
        self.s.events.add((gateway, event_id))
        return True

    async def add_payment(self, payment: Payment) -> bool:
        if await self.get_payment(payment.gateway, payment.payment_ref) is not None:
            return False
        self.s.payments[payment.id] = payment
        return True

    async def get_payment(self, gateway: str, payment_ref: str) -> Payment | None:
        return next(
            (
                p
                for p in self.s.payments.values()
                if p.gateway == gateway and p.payment_ref == payment_ref
            ),
            None,
        )

    async def get_payment_by_id(self, payment_id: PaymentId) -> Payment | None:
        return self.s.payments.get(payment_id)

    async def payments_of_order(self, order_id: OrderId) -> list[Payment]:
        return [p for p in self.s.payments.values() if p.order_id == order_id]

    async def set_payment_status(
        self,
        payment_id: PaymentId,
        from_: Sequence[PaymentStatus],
        to: PaymentStatus,
        now: datetime,
    ) -> bool:
        p = self.s.payments[payment_id]
        if p.status not in from_:
            return False
        self.s.payments[payment_id] = replace(p, status=to, updated_at=now)
        return True

    async def note_payment_error(self, payment_id: PaymentId, error: str, now: datetime) -> None:
        p = self.s.payments[payment_id]
        self.s.payments[payment_id] = replace(
            p, attempts=p.attempts + 1, last_error=error, updated_at=now
        )

    async def pending_payments(self, limit: int) -> list[Payment]:
        pending = [p for p in self.s.payments.values() if p.status in PENDING_PAYMENT_STATUSES]
        return sorted(pending, key=lambda p: p.updated_at)[:limit]

    async def get_payer_auth(self, payer_ref: str) -> PayerAuth | None:
        return self.s.payers.get(payer_ref)

    async def set_pin(self, payer_ref: str, pin_hash: str, now: datetime) -> None:
        old = self.s.payers.get(payer_ref)
        lockouts = old.lockouts if old else 0
        until = old.locked_until if old else None
        self.s.payers[payer_ref] = PayerAuth(payer_ref, pin_hash, 0, lockouts, until)

    async def add_post(self, post: OrderPost) -> None:
        self.s.posts.append(post)

    async def get_posts(self, order_id: OrderId) -> list[OrderPost]:
        return [p for p in self.s.posts if p.order_id == order_id]

    def _open(self, post: OrderPost) -> bool:
        return self.s.orders[post.order_id].state == OrderState.OPEN

    async def open_posts_in_chat(self, chat_id: int) -> list[OrderPost]:
        found = [p for p in self.s.posts if p.chat_id == chat_id and self._open(p)]
        return sorted(found, key=lambda p: p.created_at, reverse=True)

    async def unfinished_posts(self, limit: int) -> list[OrderPost]:
        return [p for p in self.s.posts if self._open(p) or not p.final_shown][:limit]

    async def mark_final_shown(self, order_id: OrderId, chat_id: int) -> None:
        for i, p in enumerate(self.s.posts):
            if p.order_id == order_id and p.chat_id == chat_id:
                self.s.posts[i] = replace(p, final_shown=True)

    async def move_chat(self, old_chat_id: int, new_chat_id: int) -> int:
        moved = 0
        for i, p in enumerate(self.s.posts):
            if p.chat_id == old_chat_id:
                self.s.posts[i] = replace(
                    p, chat_id=new_chat_id, qr_message_id=None, progress_message_id=None
                )
                moved += 1
        return moved

    async def set_progress_message(self, order_id: OrderId, chat_id: int, message_id: int) -> None:
        for i, p in enumerate(self.s.posts):
            if p.order_id == order_id and p.chat_id == chat_id:
                self.s.posts[i] = replace(p, progress_message_id=message_id)

    async def set_reminded(self, order_id: OrderId, chat_id: int, now: datetime) -> None:
        for i, p in enumerate(self.s.posts):
            if p.order_id == order_id and p.chat_id == chat_id:
                self.s.posts[i] = replace(p, reminded_at=now)


def _idx(s: SubOrder) -> int:
    return s.idx


class InMemoryStore:
    """Transactions are serialised by a lock and rolled back by restoring a snapshot."""

    def __init__(self) -> None:
        self.state = _State()
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[InMemoryTx]:
        async with self._lock:
            snapshot = copy.deepcopy(self.state)
            try:
                tx = InMemoryTx(self.state)
                yield tx
                tx.flush_ledger()
            except BaseException:
                self.state = snapshot
                raise
