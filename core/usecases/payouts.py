"""Use cases of a payee's payout account (Stripe Connect, core.domain.payouts): connect it on
the gateway's hosted pages, follow what the gateway says of it, disconnect it; and where an
order's card parts are paid (into the payee's account, or not offered while it cannot take
them).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from core.domain.errors import InvalidInput, NotFound, Unavailable, Unsupported
from core.domain.events import PayoutAccountChanged
from core.domain.model import Order, OrderId, PayeeId
from core.domain.payouts import (
    Payout,
    PayoutAccount,
    PayoutState,
    new_account,
    platform_fee,
    reason_text,
)
from core.ports.store import PayoutGateway, Tx, traits_of
from core.usecases.deps import UseCases

log = logging.getLogger(__name__)

_COUNTRY = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True, slots=True)
class Onboarding:
    """A payee's account and the one-time link to the gateway's sign-up for it."""

    account: PayoutAccount
    url: str


def check_country(country: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 country ('DE'), or None to let the gateway use the platform's."""
    if country is None or not country.strip():
        return None
    code = country.strip().upper()
    if not _COUNTRY.fullmatch(code):
        raise InvalidInput(
            "country",
            "{value} is not a country code; write two letters, like DE or US",
            value=repr(country[:10]),
        )
    return code


def paused(gateway: str) -> Unsupported:
    """Why an order's card parts cannot be paid now, told to a payer: the payee's account
    cannot take them (the payee is told the reason itself, privately)."""
    return Unsupported(
        "card payments to this payee are paused: their Stripe account cannot take payments "
        "now; choose another payment method, or try again later",
        gateway=gateway,
        reason="payout_paused",
    )


async def card_account_for(tx: Tx, gateway: PayoutGateway | None, payee_id: PayeeId) -> str | None:
    """The account a new order of this payee binds its card parts to: the payee's once Stripe
    has had their details (enabled, or restricted since); else none, and the order's card
    money goes to the operator's account, as before Connect (never connected, sign-up not
    finished, or disconnected)."""
    if gateway is None:
        return None
    account = await tx.payouts.account_of(payee_id, gateway.name)
    if account is None or account.state not in (PayoutState.ENABLED, PayoutState.RESTRICTED):
        return None
    return account.account_id


class Payouts(UseCases):
    """A payee's payout account, and the card payouts of their orders."""

    def _gateway(self) -> PayoutGateway:
        found = self._d.payouts
        if found is None:
            raise Unavailable("card payouts into payees' own accounts are not set up here")
        return found

    async def payout_account(self, payee_id: PayeeId) -> PayoutAccount | None:
        """The payee's account, as Chipin last heard of it (None: never connected)."""
        gw = self._d.payouts
        if gw is None:
            return None
        async with self._d.store.transaction() as tx:
            return await tx.payouts.account_of(payee_id, gw.name)

    async def connect_payouts(self, payee_id: PayeeId, country: str | None = None) -> Onboarding:
        """The payee's account (made at the gateway on the first call; the same one after a
        disconnect) and a fresh link to the gateway's sign-up for it."""
        d, gw = self._d, self._gateway()
        chosen = check_country(country)
        async with d.store.transaction() as tx:
            if await tx.payees.get_payee(payee_id) is None:
                raise NotFound("no such payee")
            known = await tx.payouts.account_of(payee_id, gw.name)
        started = d.clock.now()
        if known is None:
            status = await gw.create_account(payee_id, chosen, f"chipin-account-{payee_id}")
            log.info("payee %s: payout account %s created", payee_id, status.account_id)
        else:
            status = await gw.account_status(known.account_id)
        async with d.store.transaction() as tx:
            known = await tx.payouts.account_of(payee_id, gw.name, lock=True)
            if known is None or known.account_id != status.account_id:
                account = new_account(payee_id, gw.name, status, started)
            elif known.updated_at > started and known.state != PayoutState.DISCONNECTED:
                account = known  # a later lookup was stored meanwhile: it stands
            else:  # connecting again lifts a disconnect
                account = replace(
                    new_account(payee_id, gw.name, status, started), connected_at=known.connected_at
                )
            await tx.payouts.save_account(account)
            events = await self._changed(tx, known, account)
        await d.publish(events)
        url = await gw.onboarding_url(account.account_id)
        return Onboarding(account, url)

    async def disconnect_payouts(self, payee_id: PayeeId) -> PayoutAccount:
        """New orders pay the operator's account again; the open orders bound to this one stop
        taking cards (their paid parts stay paid, and refunds still come out of it)."""
        d, gw = self._d, self._gateway()
        async with d.store.transaction() as tx:
            known = await tx.payouts.account_of(payee_id, gw.name, lock=True)
            if known is None or known.state == PayoutState.DISCONNECTED:
                raise NotFound("you have no payout account connected")
            account = replace(known, state=PayoutState.DISCONNECTED, updated_at=d.clock.now())
            await tx.payouts.save_account(account)
            events = await self._changed(tx, known, account)
        await d.publish(events)
        log.info("payee %s disconnected payout account %s", payee_id, account.account_id)
        return account

    async def payout_return(self, token: str) -> PayoutAccount | None:
        """The payee came back from the gateway's sign-up: look the account up now (the
        webhook may come later). None for a token that is not ours."""
        account_id = self._gateway().account_of_link(token)
        if account_id is None:
            return None
        return await self.sync_payout_account(account_id)

    async def payout_refresh(self, token: str) -> str | None:
        """A new sign-up link for the account of an expired or used one (None: not ours)."""
        gw = self._gateway()
        account_id = gw.account_of_link(token)
        if account_id is None:
            return None
        async with self._d.store.transaction() as tx:
            known = await tx.payouts.account_by_id(gw.name, account_id)
        if known is None or known.state == PayoutState.DISCONNECTED:
            return None
        return await gw.onboarding_url(account_id)

    async def handle_account_webhook(self, body: bytes, headers: Mapping[str, str]) -> int:
        """Verify and apply one Connect webhook: each account it names is looked up again.
        The number of accounts whose state changed; WebhookRejected if not valid."""
        gw = self._gateway()
        news = gw.parse_account_webhook(body, headers, self._d.clock.now())
        changed = 0
        for item in news:
            if item.account_id is None:
                continue
            before = await self._account_by_id(item.account_id)
            after = await self.sync_payout_account(item.account_id)
            if after is not None and (before is None or before.state != after.state):
                changed += 1
        return changed

    async def sync_payout_account(self, account_id: str) -> PayoutAccount | None:
        """What the gateway says of the account now, stored; the payee is told when its
        state changes. None for an account that is not a payee's here."""
        d, gw = self._d, self._gateway()
        if await self._account_by_id(account_id) is None:
            log.info("account %s is not a payee's here; ignored", account_id)
            return None
        started = d.clock.now()
        status = await gw.account_status(account_id)
        async with d.store.transaction() as tx:
            known = await tx.payouts.account_by_id(gw.name, account_id, lock=True)
            if known is None:
                return None
            if known.updated_at > started:
                # A lookup that began later, or the payee's own step (a disconnect), was
                # stored while this one waited for Stripe: it is the newer word, and stands.
                return known
            account = known.updated(status, started)
            await tx.payouts.save_account(account)
            events = await self._changed(tx, known, account)
        await d.publish(events)
        return account

    async def card_payout(self, order: Order, gateway: str, amount_minor: int) -> Payout | None:
        """Where a card part of this order is paid: None into the operator's account (an order
        not bound to a payee's account, or a gateway that pays no accounts), else into the
        payee's, less the platform fee; Unsupported while that account cannot take payments
        (or Connect is not set up any more): never into the operator's account instead."""
        d = self._d
        found = d.gateways.get(gateway)
        if order.card_account is None or found is None or not traits_of(found).payouts:
            return None
        if d.payouts is None or d.payouts.name != gateway:
            raise paused(gateway)
        account = await self._account_by_id(order.card_account)
        if account is None or account.payee_id != order.payee_id or not account.usable:
            raise paused(gateway)
        return Payout(account.account_id, platform_fee(amount_minor, d.config.payout_fee_bps))

    async def card_paused(self, order: Order) -> PayoutAccount | None:
        """The account of an order whose card parts cannot be paid now (cards are then not
        offered); None when they can, or the order pays the operator's account."""
        if order.card_account is None:
            return None
        gw = self._d.payouts
        account = await self._account_by_id(order.card_account) if gw is not None else None
        if account is not None and account.usable:
            return None
        return account or _gone(order, gw.name if gw is not None else "")

    async def _account_by_id(self, account_id: str) -> PayoutAccount | None:
        gw = self._d.payouts
        if gw is None:
            return None
        async with self._d.store.transaction() as tx:
            return await tx.payouts.account_by_id(gw.name, account_id)

    async def _changed(
        self, tx: Tx, before: PayoutAccount | None, after: PayoutAccount
    ) -> list[PayoutAccountChanged]:
        """Tell the payee, through the outbox, of a new state, with the open orders it touches
        (the event, to publish after commit; none when nothing they care about changed)."""
        if before is not None and before.state == after.state and before.reason == after.reason:
            return []
        if before is None and after.state == PayoutState.PENDING:
            return []  # just made: the payee is on their way to the sign-up
        orders = await tx.payouts.open_orders_paying(after.account_id)
        event = PayoutAccountChanged(
            OrderId(""),
            self._d.clock.now(),
            after.payee_id,
            after.gateway,
            after.state.value,
            reason_text(after),
            tuple(o.id for o in orders),
        )
        await tx.outbox.add_events([event], event.at)
        log.info(
            "payout account %s: %s -> %s",
            after.account_id,
            before.state if before else "-",
            after.state,
        )
        return [event]


def _gone(order: Order, gateway: str) -> PayoutAccount:
    """An order's account no longer known here: shown as disconnected."""
    return PayoutAccount(
        order.payee_id,
        gateway,
        order.card_account or "",
        PayoutState.DISCONNECTED,
        "",
        (),
        None,
        False,
        order.created_at,
        order.created_at,
    )
