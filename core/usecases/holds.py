"""Use cases of holds once taken: the payer's own (by its secret), and the payee's view of them."""

from __future__ import annotations

import hmac
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.domain.errors import HoldNotYours, NotFound, NotHeld, TooManyHolds
from core.domain.holds import hold_secret_hash, limits_of, receipt_key
from core.domain.model import Order, OrderId, PayeeId, SubOrder, SubOrderState
from core.ports.store import Tx
from core.usecases.deps import Deps, OrderView, Reservation, UseCases
from core.usecases.ledger import Ledger, Receipt
from core.usecases.orders import read_view
from core.usecases.payments.close import Aftermath, let_go, let_own_go
from core.usecases.payments.gateway_calls import GatewayCalls

MAX_HELD_ORDERS = 20  # the payee's view lists the newest open orders with holds
# a part with a receipt: paid, or paid and refunded since
_RECEIPTED = (SubOrderState.PAID, SubOrderState.REFUNDED)


@dataclass(frozen=True, slots=True)
class PaidReceipt:
    """A payer's paid part, with the receipt that proves it."""

    order: Order
    sub: SubOrder
    receipt: Receipt


#: How often the payer's page may ask a gateway about one checkout (own_part).
LOOKUP_EVERY = timedelta(seconds=5)
LOOKUPS_KEPT = 4096


class Holds(UseCases):
    """Holds once taken: the payer's own (by its secret), and the payee's view of them."""

    def __init__(self, deps: Deps, calls: GatewayCalls, ledger: Ledger) -> None:
        super().__init__(deps)
        self._calls = calls
        self._ledger = ledger
        # when each checkout was last looked up for its payer's page (own_part), this process
        self._looked_up: dict[str, datetime] = {}

    async def held_part(self, token: str, hold_secret: str | None) -> Reservation:
        """The part a hold secret opens (reserved, or paid, closed or refunded since), as
        reserving returned it."""
        async with self._d.store.transaction() as tx:
            order, sub = await _opened(tx, token, hold_secret)
        return Reservation(order, sub, created=False)

    async def own_part(self, token: str, hold_secret: str | None) -> Reservation:
        """held_part for its payer back from a gateway's checkout, perhaps ahead of the
        gateway's webhook: a hold whose checkout Chipin has not heard back from is first
        looked up at the gateway and the news applied. Paid, the part comes back paid;
        declined, its hold is let go (and HoldNotYours is raised, as for any ended hold)."""
        res = await self.held_part(token, hold_secret)
        checkout = res.sub.checkout() if res.sub.state == SubOrderState.RESERVED else None
        if checkout is None or not self._may_look_up(f"{checkout.gateway}:{checkout.ref}"):
            return res
        await self._calls.lookup(checkout)  # None (the gateway did not answer): as it was
        return await self.held_part(token, hold_secret)

    def _may_look_up(self, checkout_ref: str) -> bool:
        """At most one lookup per checkout every LOOKUP_EVERY: a payer reloading the page,
        or a script holding a part, does not spend the gateway's API quota."""
        now = self._d.clock.now()
        last = self._looked_up.get(checkout_ref)
        if last is not None and now - last < LOOKUP_EVERY:
            return False
        if len(self._looked_up) >= LOOKUPS_KEPT:  # the oldest half goes
            for ref, _ in sorted(self._looked_up.items(), key=lambda kv: kv[1])[
                : LOOKUPS_KEPT // 2
            ]:
                del self._looked_up[ref]
        self._looked_up[checkout_ref] = now
        return True

    async def checkout_part(self, gateway: str, checkout_ref: str) -> Reservation:
        """The order and part a gateway's checkout was opened for, as they are now; NotFound
        for a checkout no part has (any more: a part is given a new one each time it is
        reserved)."""
        async with self._d.store.transaction() as tx:
            sub = await tx.sub_orders.sub_order_for_checkout(gateway, checkout_ref)
            order = await tx.orders.get_order(sub.order_id) if sub is not None else None
        if sub is None or order is None:
            raise NotFound("no part of an order has this checkout")
        return Reservation(order, sub, created=False)

    async def payer_receipt(self, token: str, hold_secret: str | None) -> PaidReceipt:
        """The receipt of the part a hold secret opens, once paid (or refunded since), for
        the payer who holds the secret. HoldNotYours for a wrong or missing secret; NotFound
        while the part is not paid; Unavailable while the ledger cannot sign."""
        async with self._d.store.transaction() as tx:
            order, sub = await _opened(tx, token, hold_secret)
        return await self._receipt_of(order, sub)

    async def receipt_by_key(self, token: str, key: str) -> PaidReceipt:
        """payer_receipt by the key of its receipt address (core.domain.holds.receipt_key);
        NotFound for a key no paid part of the order has."""
        async with self._d.store.transaction() as tx:
            order = await tx.orders.get_order_by_token(token)
            subs = await tx.sub_orders.get_sub_orders(order.id) if order is not None else []
        found = [
            s
            for s in subs
            if s.hold_secret_hash is not None
            and hmac.compare_digest(receipt_key(s.hold_secret_hash), key)
        ]
        if order is None or not found:
            raise NotFound("there is no receipt at this address")
        return await self._receipt_of(order, found[0])

    async def _receipt_of(self, order: Order, sub: SubOrder) -> PaidReceipt:
        async with self._d.store.transaction() as tx:
            payments = await tx.payments.payments_of_order(order.id)
        paid = [p for p in payments if p.sub_order_id == sub.id and p.counted]
        if not paid or sub.payer_ref is None or sub.state not in _RECEIPTED:
            raise NotFound("this part has no receipt: it is not paid")
        receipt = await self._ledger.receipt(paid[-1].id, payer_ref=sub.payer_ref)
        return PaidReceipt(order, sub, receipt)

    async def release_own_hold(self, token: str, hold_secret: str | None) -> None:
        """The payer lets their hold go: the part is free at once and its checkout closed."""
        d = self._d
        out, now = Aftermath(), d.clock.now()
        async with out.transaction(d.store, now) as tx:
            _order, sub = await _opened(tx, token, hold_secret)
            await let_own_go(tx, sub, now, out)
        await self._calls.after(out)

    async def release_part(self, order_id: str, idx: int, payee_id: PayeeId) -> OrderView:
        """The payee frees one held part of their order at once; its checkout is closed as a
        lapsed hold's is. Another payee's order is NotFound; a part not held is NotHeld."""
        d = self._d
        out, now = Aftermath(), d.clock.now()
        async with out.transaction(d.store, now) as tx:
            order = await tx.orders.get_order(OrderId(order_id))
            if order is None or order.payee_id != payee_id:
                raise NotFound("no such order")
            sub = next(
                (s for s in await tx.sub_orders.get_sub_orders(order.id) if s.idx == idx), None
            )
            if sub is None:
                raise NotFound(f"the order has no part {idx}")
            released = sub.state == SubOrderState.RESERVED and await let_go(
                tx, sub, now, out, by_payee=True
            )
            if not released:
                raise NotHeld(f"part {idx} is not held: it is {sub.state}", state=sub.state.value)
        await self._calls.after(out)
        async with d.store.transaction() as tx:
            return await read_view(tx, await tx.orders.get_order(order.id) or order)

    async def held_orders(self, payee_id: PayeeId) -> list[OrderView]:
        """The payee's open orders of which parts are held now, newest first (at most 20)."""
        async with self._d.store.transaction() as tx:
            orders = await tx.holds.open_held_orders(payee_id, MAX_HELD_ORDERS)
            return [OrderView(o, tuple(await tx.sub_orders.get_sub_orders(o.id))) for o in orders]


async def _opened(tx: Tx, token: str, hold_secret: str | None) -> tuple[Order, SubOrder]:
    """The order behind the link and the part its hold secret opens; HoldNotYours if none."""
    order = await tx.orders.get_order_by_token(token)
    if order is None:
        raise NotFound("no such order")
    sub = None
    if hold_secret:
        sub = await tx.holds.sub_order_by_hold_secret(order.id, hold_secret_hash(hold_secret))
    if sub is None:
        raise HoldNotYours(
            "no hold of this order answers to this Chipin-Hold secret (it ran out, was "
            "released, or was never given)"
        )
    return order, sub


async def claim_slot(tx: Tx, order: Order, source: str, now: datetime) -> None:
    """Count one new hold of `source` on `order`, or refuse it (TooManyHolds, 429).

    The take is counted first, with the source's row locked until the transaction ends, so
    two parallel reservations of one source cannot both pass at the limit: the second waits
    and then sees the first's hold. A refusal rolls the count back with its transaction.
    """
    limits = limits_of(order)
    takes = await tx.holds.take_hold_slot(order.id, source, now, limits.window_s)
    if takes.count > limits.takes:
        ends = takes.window_start + timedelta(seconds=limits.window_s)
        raise TooManyHolds(
            "too many parts of this order were taken from here in a short time; "
            f"try again in {_minutes(ends, now)} min",
            reason="rate",
            limit=limits.takes,
            retry_after_s=_seconds(ends, now),
        )
    held = await tx.holds.source_holds(order.id, source)
    if len(held) >= limits.open_holds:
        raise TooManyHolds(
            f"{len(held)} parts of this order are held from here already; pay or release "
            f"one, or try again in {_minutes(held[0], now)} min",
            reason="open",
            limit=limits.open_holds,
            retry_after_s=_seconds(held[0], now),
        )


def _seconds(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def _minutes(until: datetime, now: datetime) -> int:
    return math.ceil(_seconds(until, now) / 60)
