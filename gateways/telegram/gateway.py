"""TelegramGateway: Telegram Payments (a provider's currency, or Stars) through the bot.

The checkout is an invoice the bot sends in the payer's private chat; its payload is the
checkout reference (gateways/telegram/payloads.py). Telegram takes the money at once
(there is no authorise and capture, so mode `all` orders cannot use it), tells the bot
with a `successful_payment` message, and has no refund API except for Stars
(`refundStarPayment`). A refund it cannot make raises RefundByHand: the payee owes it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from core.domain.errors import GatewayFinal, GatewayRetryable, RefundByHand, WebhookRejected
from core.domain.money import CURRENCIES, STARS
from core.ports.invoices import InvoiceRef, StarRefunds
from core.ports.store import (
    Checkout,
    CheckoutRequest,
    CheckoutState,
    CheckoutStatus,
    GatewayEvent,
    GatewayEventKind,
    GatewayTraits,
)
from gateways.telegram.charges import Charge, ChargeBook
from gateways.telegram.payloads import Payloads

log = logging.getLogger(__name__)

CHECKOUT_URL = "tg:invoice"  # not a web page: the bot sends the invoice in the private chat


class TelegramGateway:
    """The Gateway port over Telegram Payments, and the Invoices port the bot uses.

    `refunds` is the bot's refundStarPayment; without it (the bot is not running) a Stars
    refund waits: GatewayRetryable.
    """

    name = "telegram"

    def __init__(
        self,
        db_url: str,
        payload_key: bytes,
        *,
        provider_token: str = "",
        refunds: StarRefunds | None = None,
    ) -> None:
        self._book = ChargeBook(db_url)
        self._payloads = Payloads(payload_key)
        self._provider_token = provider_token
        self._refunds = refunds
        currencies = frozenset(CURRENCIES) if provider_token else frozenset({STARS})
        self.traits = GatewayTraits(authorises=False, currencies=currencies, web_checkout=False)

    def __repr__(self) -> str:
        return f"TelegramGateway(stars_only={not self._provider_token})"  # no token

    async def start(self) -> None:
        await self._book.start()

    async def stop(self) -> None:
        await self._book.stop()

    # ---- what the bot needs ----

    def read_payload(self, payload: str) -> InvoiceRef | None:
        """The part an invoice payload names; None if Chipin did not make the payload."""
        return self._payloads.read(payload)

    def provider_token_for(self, currency: str) -> str:
        """What sendInvoice takes as provider_token: '' for Stars, else the provider's."""
        return "" if currency == STARS else self._provider_token

    async def payment_event(
        self,
        *,
        charge_id: str,
        payload: str,
        amount_minor: int,
        currency: str,
        user_id: int,
        payer_ref: str,
        payer_name: str | None,
    ) -> GatewayEvent:
        """A `successful_payment`, written down (who paid), as the event the engine applies.

        The event id is the charge id, so the same update applied twice changes nothing.
        A payload Chipin did not sign names no sub-order: the money is then refunded.
        """
        invoice = self._payloads.read(payload)
        try:
            await self._book.record(Charge(charge_id, payload, user_id, amount_minor, currency))
        except SQLAlchemyError:  # the money came in all the same: count it, refund by hand
            log.exception("a Telegram charge could not be written down")
        return GatewayEvent(
            gateway=self.name,
            event_id=charge_id,
            kind=GatewayEventKind.SUCCEEDED,
            checkout_ref=payload,
            payment_ref=charge_id,
            amount_minor=amount_minor,
            currency=currency,
            sub_order_id=invoice.sub_order_id if invoice else None,
            payer_ref=payer_ref,
            payer_name=payer_name,
        )

    # ---- the Gateway port ----

    async def create_checkout(self, request: CheckoutRequest) -> Checkout:
        """The invoice payload for this hold; the bot sends the invoice itself."""
        money = request.amount
        if request.capture_manual:
            raise GatewayFinal("Telegram Payments cannot hold money to capture later")
        if money.amount_minor <= 0 or not self.traits.takes(money.currency.code):
            raise GatewayFinal(f"Telegram Payments cannot ask for this amount here ({money})")
        try:
            ref = self._payloads.make(
                request.sub_order_id,
                request.idempotency_key,
                money.amount_minor,
                money.currency.code,
            )
        except ValueError as exc:
            raise GatewayFinal(str(exc)) from exc
        return Checkout(ref=ref, url=CHECKOUT_URL)

    async def retrieve(self, checkout_ref: str) -> CheckoutState:
        """Open until a payment for the invoice was written down; then succeeded."""
        invoice = self._payloads.read(checkout_ref)
        if invoice is None:
            raise GatewayFinal("not an invoice payload of Chipin's")
        try:
            charge = await self._book.of_checkout(checkout_ref)
        except SQLAlchemyError as exc:
            raise GatewayRetryable("the telegram gateway's books are unreachable") from exc
        if charge is None:
            return CheckoutState(
                checkout_ref, CheckoutStatus.OPEN, None, invoice.amount_minor, invoice.currency
            )
        return CheckoutState(
            checkout_ref,
            CheckoutStatus.SUCCEEDED,
            charge.charge_id,
            charge.amount_minor,
            charge.currency,
        )

    async def cancel_checkout(self, checkout_ref: str, idempotency_key: str) -> None:
        """A sent invoice cannot be withdrawn: the pre-checkout answer refuses to let it be paid."""
        return None

    async def capture(self, payment_ref: str, idempotency_key: str) -> None:
        raise GatewayFinal("Telegram Payments have no authorisations to capture")

    async def void(self, payment_ref: str, idempotency_key: str) -> None:
        raise GatewayFinal("Telegram Payments have no authorisations to void")

    async def refund(self, payment_ref: str, amount_minor: int, idempotency_key: str) -> None:
        """Stars go back with refundStarPayment (whole); anything else is owed by the payee."""
        try:
            charge = await self._book.find(payment_ref)
        except SQLAlchemyError as exc:
            raise GatewayRetryable("the telegram gateway's books are unreachable") from exc
        if charge is None:
            raise RefundByHand("no record of who paid this Telegram charge")
        if charge.currency != STARS:
            raise RefundByHand("Telegram has no refunds for payments to a provider")
        if amount_minor != charge.amount_minor:
            raise RefundByHand("Telegram refunds Stars only in whole")
        if self._refunds is None:
            raise GatewayRetryable("the bot is not running: Stars cannot be refunded yet")
        try:
            await self._refunds(charge.user_id, charge.charge_id)
        except GatewayFinal as exc:
            raise RefundByHand(f"Telegram refused the Stars refund: {exc}") from exc
        log.info("stars refunded for charge of checkout %s", charge.checkout_ref[:40])

    def parse_webhook(
        self, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> list[GatewayEvent]:
        raise WebhookRejected("Telegram payments arrive as bot updates, not webhooks", 404)
