"""Use cases of the payee: create, look at, list and cancel orders; API keys."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from core.domain.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    KeyReused,
    NotFound,
    OrderClosed,
    RefundNotConfirmed,
)
from core.domain.events import OrderCreated
from core.domain.model import (
    Mode,
    Order,
    OrderId,
    OrderState,
    Payee,
    PayeeId,
    PaymentStatus,
    SubOrder,
    SubOrderId,
    SubOrderState,
)
from core.domain.params import OrderRequest
from core.domain.passwords import hash_api_key
from core.ports.store import Tx, traits_of
from core.usecases.deps import CancelResult, Deps, OrderView, UseCases
from core.usecases.payments.close import Aftermath, close
from core.usecases.payments.gateway_calls import GatewayCalls
from core.usecases.payouts import card_account_for
from core.usecases.records import MAX_OFFSET

API_KEY_PREFIX = "chp_"
# a payment of a mode `all` order that is authorised and not captured (yet)
_UNCAPTURED = (PaymentStatus.AUTHORISED, PaymentStatus.CAPTURE_PENDING)


class Orders(UseCases):
    """Orders and payees: create, read, list and cancel orders; API keys."""

    def __init__(self, deps: Deps, calls: GatewayCalls) -> None:
        super().__init__(deps)
        self._calls = calls

    async def create_order(
        self,
        payee_id: PayeeId,
        req: OrderRequest,
        idempotency_key: str | None = None,
        assignees: Sequence[str] | None = None,
    ) -> OrderView:
        """Create the master order and its N sub-orders; a repeated key returns the first order.

        The first order only for the same request: under the same key, a request that asks
        for something else is refused (KeyReused) and changes nothing. `assignees` names who
        each part is for (named payers), one per part, in order.
        """
        d = self._d
        if assignees is not None and len(assignees) != req.n:
            raise InvalidInput("payers", "one name is needed for every part")
        _check_hold_lifetime(d, req)
        if idempotency_key is not None:
            async with d.store.transaction() as tx:
                first = await tx.orders.get_order_by_key(payee_id, idempotency_key)
            if first is not None:
                await self._check_replay(first, req)
                return await self.get_order(first.id, payee_id)
        pw_hash = None
        if req.password is not None:
            pw_hash = await asyncio.to_thread(d.hasher.hash, req.password)
        now = d.clock.now()
        order = Order(
            id=OrderId(d.ids.new_id("ord")),
            token=d.ids.new_token(),
            payee_id=payee_id,
            title=req.title,
            currency=req.currency,
            total_minor=req.total_minor,
            n=req.n,
            kind=req.kind,
            mode=req.mode,
            state=OrderState.OPEN,
            password_hash=pw_hash,
            hold_s=req.hold_s,
            created_at=now,
            expires_at=now + timedelta(seconds=req.valid_s),
            idempotency_key=idempotency_key,
            holds_per_source=req.holds_per_source,
            payee_display_name=req.payee_display_name,
            request_hash=req.fingerprint(d.config.request_key)
            if idempotency_key is not None
            else None,
        )
        subs = [
            SubOrder(
                SubOrderId(d.ids.new_id("sub")),
                order.id,
                i,
                amount,
                SubOrderState.AVAILABLE,
                assignee=assignees[i] if assignees else None,
            )
            for i, amount in enumerate(req.amounts_minor)
        ]
        try:
            async with d.store.transaction() as tx:
                if await tx.payees.get_payee(payee_id) is None:
                    raise NotFound("unknown payee")
                account = await card_account_for(tx, d.payouts, payee_id)
                order = replace(order, card_account=account)
                await tx.orders.add_order(order, subs)
        except Conflict:
            if idempotency_key is None:
                raise
            # The same request raced itself: the other one created the order first.
            return await self.create_order(payee_id, req, idempotency_key, assignees)
        await d.publish([OrderCreated(order.id, now)])
        return OrderView(order, tuple(subs), authorised=0)

    async def _check_replay(self, first: Order, req: OrderRequest) -> None:
        """KeyReused unless `req` asks for what the request that made `first` asked for
        (an order made before requests were fingerprinted is taken as the same)."""
        if first.request_hash is None:
            return
        same = first.request_hash == req.fingerprint(self._d.config.request_key)
        if same and req.password is not None and first.password_hash is not None:
            same = await self._d.checks.run(
                self._d.hasher.verify, req.password, first.password_hash
            )
        if not same:
            raise KeyReused(
                "this idempotency key was used for another order request: repeat that "
                "request to get its order, or use a new key for a new order"
            )

    async def get_order(self, order_id: str, payee_id: PayeeId) -> OrderView:
        """The payee's own order; another payee's order is NotFound, as if it did not exist."""
        async with self._d.store.transaction() as tx:
            order = await tx.orders.get_order(OrderId(order_id))
            if order is None or order.payee_id != payee_id:
                raise NotFound("no such order")
            return await read_view(tx, order)

    async def public_order(self, token: str) -> OrderView:
        """The order behind a public payment link."""
        async with self._d.store.transaction() as tx:
            order = await tx.orders.get_order_by_token(token)
            if order is None:
                raise NotFound("no such order")
            return await read_view(tx, order)

    async def list_orders(
        self, payee_id: PayeeId, limit: int, offset: int
    ) -> tuple[list[Order], int]:
        if not 1 <= limit <= 100:
            raise InvalidInput("limit", "limit must be between 1 and 100")
        if offset < 0:
            raise InvalidInput("offset", "offset must not be negative")
        if offset > MAX_OFFSET:  # beyond any list, and beyond a 64-bit SQL integer
            raise InvalidInput("offset", "offset must be at most {max}", max=MAX_OFFSET)
        async with self._d.store.transaction() as tx:
            return await tx.orders.list_orders(
                payee_id, limit, offset
            ), await tx.orders.count_orders(payee_id)

    async def cancel_order(
        self, order_id: str, payee_id: PayeeId, *, refund_paid: bool = True
    ) -> CancelResult:
        """Cancel an open or completed order: close what is open, refund or void what was paid.

        `refund_paid` False: an order whose every part is paid (completed) is refused with
        RefundNotConfirmed, not refunded, even one that completes while this runs; an open
        order is cancelled all the same, its paid parts refunded.
        """
        d = self._d
        now = d.clock.now()
        out = Aftermath()
        async with out.transaction(d.store, now) as tx:
            order = await tx.orders.get_order(OrderId(order_id))
            if order is None or order.payee_id != payee_id:
                raise NotFound("no such order")
            from_ = (OrderState.OPEN, OrderState.COMPLETED) if refund_paid else (OrderState.OPEN,)
            if not await close(tx, order, from_, OrderState.CANCELLED, now, out):
                raise await _not_cancelled(tx, order)
        await self._calls.after(out)
        view = await self.get_order(order_id, payee_id)
        return CancelResult(view, tuple(out.refunded))

    async def create_api_key(self, payee_name: str) -> tuple[PayeeId, str]:
        """A new API key for the payee (made if new); returned once, only its hash is kept."""
        payee_id = await self.payee_named(payee_name)
        key = API_KEY_PREFIX + secrets.token_urlsafe(32)
        async with self._d.store.transaction() as tx:
            await tx.payees.add_api_key(hash_api_key(key), payee_id, self._d.clock.now())
        return payee_id, key

    async def payee_named(self, payee_name: str) -> PayeeId:
        """The payee with this name, created on first use ('tg:<id>' for Telegram users)."""
        name = " ".join(payee_name.split())
        if not 1 <= len(name) <= 64:
            raise InvalidInput("payee", "the payee name must be 1 to 64 characters")
        d = self._d
        for _ in range(2):
            try:
                async with d.store.transaction() as tx:
                    payee = await tx.payees.get_payee_by_name(name)
                    if payee is None:
                        payee = Payee(PayeeId(d.ids.new_id("pay")), name, d.clock.now())
                        await tx.payees.add_payee(payee)
                return payee.id
            except Conflict:
                continue  # created by a parallel call: read it back
        raise Conflict("could not create the payee; try again")

    async def authenticate(self, key: str) -> PayeeId | None:
        if not key.startswith(API_KEY_PREFIX) or len(key) > 100:
            return None
        async with self._d.store.transaction() as tx:
            return await tx.payees.payee_for_key(hash_api_key(key))


async def read_view(tx: Tx, order: Order) -> OrderView:
    """The order with its parts, and how many of them are authorised and not captured (only
    a mode `all` order has such parts: its payments are read for them)."""
    subs = await tx.sub_orders.get_sub_orders(order.id)
    authorised = 0
    if order.mode == Mode.ALL:
        payments = await tx.payments.payments_of_order(order.id)
        authorised = sum(1 for p in payments if p.counted and p.status in _UNCAPTURED)
    return OrderView(order, tuple(subs), authorised)


async def _not_cancelled(tx: Tx, order: Order) -> DomainError:
    """Why the order could not be cancelled, as it is now (it may have changed meanwhile)."""
    now_is = await tx.orders.get_order(order.id) or order
    if now_is.state == OrderState.COMPLETED:
        return RefundNotConfirmed(
            "every part of this order is paid: cancelling it refunds every payer",
            state=now_is.state.value,
        )
    return OrderClosed(f"the order is already {now_is.state}", state=now_is.state.value)


def _check_hold_lifetime(d: Deps, req: OrderRequest) -> None:
    """A mode `all` order holds every payment until the last one: refused when no enabled
    gateway can hold money that long (a card authorisation lasts 7 days)."""
    if req.mode != Mode.ALL:
        return
    lifetimes = [
        traits_of(gw).hold_lifetime for gw in d.gateways.values() if traits_of(gw).authorises
    ]
    if not lifetimes or any(t is None or req.valid_s <= t.total_seconds() for t in lifetimes):
        return
    days = int(max(t.total_seconds() for t in lifetimes if t is not None) // 86400)
    raise InvalidInput(
        "expires",
        "an order that charges only when everyone has paid (mode all) must end within "
        "{days} days here: a card holds money no longer; choose a shorter deadline",
        days=days,
    )
