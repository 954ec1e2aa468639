"""Use cases of the payer: reserve a sub-order and get a checkout for it."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.domain.codes import Collection, CollectionId
from core.domain.errors import (
    AlreadyPaid,
    Conflict,
    DomainError,
    GatewayError,
    NotAllowed,
    NotFound,
    OrderClosed,
    OrderFull,
    Unsupported,
    WrongPassword,
)
from core.domain.events import DomainEvent, SubOrderReserved
from core.domain.holds import (
    check_hold_secret,
    hold_secret_hash,
    loopback_source,
    not_yours,
    opens,
)
from core.domain.methods import instructions
from core.domain.model import (
    DIRECT_KINDS,
    MethodKind,
    Mode,
    Order,
    OrderId,
    OrderState,
    SubOrder,
    SubOrderState,
)
from core.domain.money import Money
from core.domain.payers import printable_ref
from core.domain.payouts import Payout, platform_fee
from core.domain.text import check_text
from core.domain.tries import Ceiling, Failed, TryRules, Wrong
from core.ports.store import CheckoutRequest, Gateway, Tx, traits_of
from core.usecases.deps import Deps, Reservation, UseCases
from core.usecases.holds import claim_slot
from core.usecases.payments.transfers import Transfers, paying_by_transfer
from core.usecases.payouts import Payouts
from core.usecases.tries import Tries

log = logging.getLogger(__name__)

ORDER_PASSWORD_TRIES = 10  # per source (core.domain.tries): a Telegram user, or an address or /64
ORDER_PASSWORD_LOCK_S = 15 * 60

MAX_PAYER_REF = 80  # a payer's own text (core.domain.payers: 64 characters) in its namespace


def check_payer_ref(payer_ref: str) -> str:
    return printable_ref(payer_ref, MAX_PAYER_REF)


def order_password_rules(order_id: OrderId, source: str) -> TryRules:
    """How one source's tries at an order's password count, under the order's ceiling."""
    return TryRules(
        f"order:{order_id}:{source}",
        ORDER_PASSWORD_TRIES,
        ORDER_PASSWORD_LOCK_S,
        ceiling=Ceiling(order_id),
    )


def unfit(gw: Gateway, order: Order) -> Unsupported | None:
    """Why this gateway cannot take this order's payments, or None if it can."""
    traits = traits_of(gw)
    if order.mode == Mode.ALL and not traits.authorises:
        return Unsupported(
            "this order charges only when everyone has paid (mode all), and "
            f"{gw.name} cannot hold money to charge later; choose another payment method",
            gateway=gw.name,
            reason="mode_all",
        )
    lifetime = traits.hold_lifetime
    if order.mode == Mode.ALL and lifetime is not None and order.lifetime > lifetime:
        return Unsupported(
            f"{gw.name} holds money for at most {_days(lifetime)}, and this order collects for "
            f"{_days(order.lifetime)} before it charges everyone; choose another payment method",
            gateway=gw.name,
            reason="hold_lifetime",
        )
    if not traits.takes(order.currency.code):
        return Unsupported(
            f"{gw.name} does not take payments in {order.currency.code}; "
            "choose another payment method",
            gateway=gw.name,
            reason="currency",
        )
    return None


def _days(span: timedelta) -> str:
    """'7 days', '7.5 days', '36 hours': never rounded to look like the limit."""
    hours = math.ceil(span / timedelta(hours=1) * 10) / 10  # up: 7.01 days is not "7 days"
    if hours < 48:
        return f"{hours:g} hours"
    return f"{math.ceil(hours / 24 * 10) / 10:g} days"


def check_open(order: Order, now: datetime) -> None:
    if order.state != OrderState.OPEN:
        raise OrderClosed(f"this order is {order.state}", state=order.state.value)
    if order.expires_at <= now:
        raise OrderClosed("this order has expired", state=OrderState.EXPIRED.value)


class Reservations(UseCases):
    """A payer's part of an order and its checkout."""

    def __init__(self, deps: Deps, tries: Tries, transfers: Transfers, payouts: Payouts) -> None:
        super().__init__(deps)
        self._tries = tries
        self._transfers = transfers
        self._payouts = payouts

    async def reserve(
        self,
        token: str,
        payer_ref: str,
        password: str | None = None,
        gateway: str | None = None,
        *,
        method: str | None = None,
        payer_name: str | None = None,
        aliases: Sequence[str] = (),
        source: str,
        hold_secret: str | None = None,
    ) -> Reservation:
        """Hold one sub-order for the payer and open its checkout at the gateway.

        `aliases` ('@username', 'tg:<id>') match parts assigned to named payers.
        `source`: who asks, as limits count them: the Telegram user ('tg:<id>') or the web
        client's address ('ip:<address or IPv6 /64>'); required, for the payer's own
        reference is whatever a guesser likes.

        `method` is one of the payee's own methods (sepa, pix, upi: core.domain.methods) or one
        of the operator's gateways; `gateway` is the older name of the latter. A payee's
        method opens no checkout: the reservation carries a transfer reference and the
        payment's instructions (Reservation.transfer). A source holds at most its order's limit of
        parts at once, and takes new ones at a bounded rate (core.domain.holds): TooManyHolds past
        either.

        A payer who already holds a sub-order of this order gets the same one back: a payer
        Telegram vouches for ('tg:<id>') always, anyone else only with the `hold_secret`
        the first reservation returned (HoldNotYours without it). A `hold_secret` given
        when the payer holds nothing becomes the new hold's, so a client whose answer was
        lost gets the same part back on its retry.
        """
        name = check_text(payer_name or "", "payer_name")[:200] or None
        ref = check_payer_ref(payer_ref)
        if hold_secret:
            check_hold_secret(hold_secret)
        who = _Who(ref, name, tuple(a.lower() for a in aliases), source, hold_secret)
        chosen = method or gateway
        if chosen in DIRECT_KINDS:
            return await self._reserve_transfer(token, password, MethodKind(chosen), who)
        gw = self._d.gateway(chosen)
        order = await self._verified_order(token, password, source)
        refusal = unfit(gw, order)
        if refusal is not None:
            raise refusal
        collector = await self._collector(order)
        if collector is not None and gw.name not in collector.modes:
            raise Unsupported(
                f"the payee does not take {gw.name} here; choose another payment method",
                gateway=gw.name,
                reason="mode",
            )
        payout = await self._payouts.card_payout(order, gw.name, 0)  # refused while paused
        events: list[DomainEvent] = []
        sub, secret = await self._hold(order, who, events)
        if sub.transfer_ref is not None:
            raise paying_by_transfer(sub)
        if sub.checkout_ref is None:
            if payout is not None:
                fee = platform_fee(sub.amount_minor, self._d.config.payout_fee_bps)
                payout = Payout(payout.account_id, fee)
            sub = await self._open_checkout(order, sub, gw, secret is not None, collector, payout)
        await self._d.publish(events)
        return Reservation(order, sub, secret is not None, secret)

    async def _reserve_transfer(
        self, token: str, password: str | None, kind: MethodKind, who: _Who
    ) -> Reservation:
        """A part paid by bank transfer into the payee's own method: hold it, give it a
        reference (the same one on every retry), and say how to pay."""
        order = await self._verified_order(token, password, who.source)
        method = await self._transfers.method_for(order, kind)
        events: list[DomainEvent] = []
        sub, secret = await self._hold(order, who, events, claimed_ok=True)
        sub, reference = await self._transfers.open_transfer(order, sub, method)
        await self._d.publish(events)
        amount = sub_money(order, sub)
        how = instructions(method, amount, reference, order.title)
        return Reservation(order, sub, secret is not None, secret, transfer=how)

    def payment_methods(self, order: Order, *, web: bool = False) -> list[str]:
        """The enabled gateways that can take this order's payments, in the configured order;
        `web`: only those whose checkout is a web page (payers without the bot)."""
        return [
            name
            for name, gw in self._d.gateways.items()
            if unfit(gw, order) is None and (traits_of(gw).web_checkout or not web)
        ]

    async def methods_for(self, order: Order, *, web: bool = False) -> list[str]:
        """payment_methods, less those a static code's collection does not take."""
        methods = self.payment_methods(order, web=web)
        if await self._payouts.card_paused(order) is not None:
            paying = self._d.gateways
            methods = [m for m in methods if not traits_of(paying[m]).payouts]
        collector = await self._collector(order)
        if collector is None:
            return methods
        return [m for m in methods if m in collector.modes]

    async def _collector(self, order: Order) -> Collection | None:
        """For a static code's order, the collection it pays (a code unbound or moved away
        meanwhile: a collection with no mode); None for an ordinary order."""
        if order.n != 1:  # a code's payments are one-part orders: spare the others a lookup
            return None
        async with self._d.store.transaction() as tx:
            binding = await tx.codes.binding_of_order(order.id)
            if binding is None:
                return None
            code = await tx.codes.lock_binding(binding, lock=False)
            cid = code.collection_id if code is not None else None
            found = await tx.codes.get_collection(cid) if cid is not None else None
        return found or Collection(CollectionId(""), order.payee_id, "", (), order.created_at)

    async def _verified_order(self, token: str, password: str | None, source: str) -> Order:
        d = self._d
        async with d.store.transaction() as tx:
            order = await tx.orders.get_order_by_token(token)
        if order is None:
            raise NotFound("no such order")
        check_open(order, d.clock.now())
        if order.password_hash is not None:
            if not password:
                raise WrongPassword("this order needs its password")
            await self._check_order_password(order, order.password_hash, password, source)
        return order

    async def _check_order_password(
        self, order: Order, stored: str, password: str, source: str
    ) -> None:
        """Constant-time check, its tries counted per source (core.domain.tries): ten wrong ones
        lock that source out for 15 min, doubling up to a day, and nobody else; past the
        order's ceiling every source is slowed to one try a minute, a wrong one locks it at
        once, and the payee is told.
        """
        d = self._d
        check_text(password, "password")

        async def check() -> bool | Wrong:
            ok = await d.checks.run(d.hasher.verify, password, stored)
            return ok or Wrong(WrongPassword("the order password is wrong"))

        answer = await self._tries.guarded_try(order_password_rules(order.id, source), check)
        if isinstance(answer, Failed):
            raise answer.refusal

    async def _hold(
        self, order: Order, who: _Who, events: list[DomainEvent], *, claimed_ok: bool = False
    ) -> tuple[SubOrder, str | None]:
        """The payer's part, and its new hold secret (None: a hold they had already).
        `claimed_ok`: a part the payer said they paid by transfer comes back as it is."""
        for _ in range(3):
            try:
                return await self._try_hold(order, who, events, claimed_ok)
            except Conflict:
                continue  # the same payer reserved in parallel: read their hold back
        raise Conflict("too many parallel reservations; try again")

    async def _try_hold(
        self, order: Order, who: _Who, events: list[DomainEvent], claimed_ok: bool
    ) -> tuple[SubOrder, str | None]:
        d = self._d
        now = d.clock.now()
        async with d.store.transaction() as tx:
            current = await tx.orders.get_order(order.id)
            if current is None:
                raise NotFound("no such order")
            check_open(current, now)
            mine = await tx.sub_orders.find_payer_sub_order(order.id, who.ref)
            if mine is not None:
                if not opens(mine, who.ref, who.secret):
                    raise not_yours()
                if mine.state == SubOrderState.PAID:
                    raise AlreadyPaid("you have already paid your part of this order")
                if mine.state == SubOrderState.CLAIMED and not claimed_ok:
                    raise paying_by_transfer(mine)
                return mine, None
            if d.config.loopback_limits or not loopback_source(who.source):
                await claim_slot(tx, current, who.source, now)
            secret = who.secret or d.ids.new_secret()
            hold_until = now + timedelta(seconds=order.hold_s)
            sub = await tx.sub_orders.reserve_one(
                order.id,
                who.ref,
                hold_until,
                who.name,
                who.aliases,
                source=who.source,
                secret_hash=hold_secret_hash(secret),
            )
            if sub is None:
                raise await _refusal(tx, current, who)
        events.append(SubOrderReserved(order.id, now, sub.id, who.ref))
        return sub, secret

    async def _open_checkout(
        self,
        order: Order,
        sub: SubOrder,
        gw: Gateway,
        created: bool,
        collector: Collection | None = None,
        payout: Payout | None = None,
    ) -> SubOrder:
        d = self._d
        # A static code's payee travels as their pseudonymous collection ID only.
        description = order.title or "Chipin order"
        if collector is not None and collector.id:
            description = f"{description} · {collector.id}"
        request = CheckoutRequest(
            sub_order_id=sub.id,
            order_id=order.id,
            amount=sub_money(order, sub),
            idempotency_key=sub.checkout_key(),
            capture_manual=order.mode == "all",
            description=description,
            payout=payout,
        )
        try:
            checkout = await gw.create_checkout(request)
        except GatewayError:
            if created:
                async with d.store.transaction() as tx:
                    await tx.sub_orders.release_hold(sub.id, sub.hold_seq)
            raise
        async with d.store.transaction() as tx:
            ok = await tx.sub_orders.set_checkout(
                sub.id, sub.hold_seq, gw.name, checkout.ref, checkout.url
            )
            fresh = await tx.sub_orders.get_sub_order(sub.id)
        if not ok or fresh is None:
            log.warning("sub-order %s: hold lapsed while opening its checkout", sub.id)
            raise OrderClosed("your reservation ran out; please start again", state="lapsed")
        return fresh


@dataclass(frozen=True, slots=True)
class _Who:
    ref: str
    name: str | None
    aliases: tuple[str, ...]
    source: str
    secret: str | None = field(default=None, repr=False)


async def _refusal(tx: Tx, order: Order, who: _Who) -> DomainError:
    """Why no part could be taken: not for this payer (named payers), or full."""
    subs = await tx.sub_orders.get_sub_orders(order.id)
    named = [s for s in subs if s.assignee is not None]
    if named and not any(s.assignee in who.aliases for s in named):
        return NotAllowed("this order is for named payers, and you are not one of them")
    if order.paid_count >= order.n:
        return OrderFull("this order is full: every part has been paid", paid=order.paid_count)
    held = sum(1 for s in subs if s.state == SubOrderState.RESERVED)
    claimed = sum(1 for s in subs if s.state == SubOrderState.CLAIMED)
    if claimed and not held:
        return OrderFull(
            "every open part is claimed by a payer who says they paid by bank transfer; "
            "the payee is checking, and a part comes free again if they deny one",
            paid=order.paid_count,
            claimed=claimed,
        )
    return OrderFull(
        "every open part is reserved by someone paying right now; try again in a few minutes",
        paid=order.paid_count,
        held=held,
    )


def sub_money(order: Order, sub: SubOrder) -> Money:
    return Money(sub.amount_minor, order.currency)
