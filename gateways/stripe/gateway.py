"""StripeGateway: one PaymentIntent per reserved sub-order, paid on Chipin's own page."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import httpx
import stripe
from stripe.params import PaymentIntentCreateParams, RefundCreateParams

from core.domain.errors import GatewayFinal, WebhookRejected
from core.domain.payouts import CARD_HOLD_LIFETIME
from core.ports.store import (
    Checkout,
    CheckoutRequest,
    CheckoutState,
    CheckoutStatus,
    GatewayEvent,
    GatewayTraits,
)
from gateways.stripe.connect import StripeConnect
from gateways.stripe.errors import translate
from gateways.stripe.events import decode_event
from gateways.stripe.http import HttpxClient
from gateways.stripe.links import PayLinks
from gateways.stripe.objects import (
    META_DESCRIPTION,
    META_ORDER,
    META_SUB_ORDER,
    Intent,
    Malformed,
    read_intent,
)
from gateways.stripe.signing import verified_event

log = logging.getLogger(__name__)

DEFAULT_JS_URL = "https://js.stripe.com/v3/"

# Statuses in which no money has moved yet, so a cancel only closes the checkout.
_UNPAID = frozenset({"requires_payment_method", "requires_confirmation", "requires_action"})
_MAX_DESCRIPTION_CHARS = 500  # Stripe's limit for one metadata value


@dataclass(frozen=True, slots=True)
class PayPage:
    """What the pay page shows and needs, and nothing more."""

    client_secret: str = field(repr=False)
    amount_minor: int
    currency: str
    status: CheckoutStatus
    description: str
    manual: bool
    to_payee: bool = False  # a destination charge: the money goes to the payee's own account
    fee_minor: int = 0  # the platform's fee out of it, shown before paying


class StripeGateway:
    """The Gateway port over Stripe PaymentIntents, with the async client of stripe-python.

    With a Connect webhook secret, `connect` (gateways.stripe.connect) makes payees' Express
    accounts, and a checkout with a `payout` is a destination charge into one.

    Every money call carries the engine's idempotency key. `parse_webhook` checks the
    `Stripe-Signature` header with `stripe.Webhook.construct_event`. The payer pays on
    `/pay/stripe/<token>` (web/pages/stripe_pay.py): `pay_page(token)` gives it what it needs.
    """

    name = "stripe"
    # A card authorisation lasts 7 days: Stripe cancels an uncaptured PaymentIntent then.
    # Orders bound to a payee's Connect account are paid into it, or not at all.
    traits = GatewayTraits(hold_lifetime=CARD_HOLD_LIFETIME, payouts=True)

    def __init__(
        self,
        api_key: str,
        publishable_key: str,
        webhook_secret: str,
        public_url: str,
        link_key: bytes,
        *,
        api_base: str = "",
        js_url: str = DEFAULT_JS_URL,
        timeout_s: float = 20.0,
        network_retries: int = 2,
        transport: httpx.AsyncBaseTransport | None = None,
        connect_webhook_secret: str = "",
    ) -> None:
        check_keys(api_key, publishable_key, webhook_secret)
        if not js_url.startswith(("https://", "http://")):
            raise ValueError("the Stripe.js URL must be an http(s) URL")
        self.publishable_key = publishable_key
        self.js_url = js_url
        self._webhook_secret = webhook_secret
        self._public_url = public_url.rstrip("/")
        self._links = PayLinks(link_key)
        _quiet_stripe_debug_logs()
        self._http = HttpxClient(timeout_s, transport)
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base.rstrip("/")} if api_base else None,
            http_client=self._http,
            max_network_retries=network_retries,
        )
        self.connect: StripeConnect | None = None
        if connect_webhook_secret:
            self.connect = StripeConnect(self._client, connect_webhook_secret, public_url, link_key)

    def __repr__(self) -> str:
        return f"StripeGateway(public_url={self._public_url!r})"  # no keys

    async def close(self) -> None:
        await self._http.close_async()

    def pay_url(self, intent_id: str) -> str:
        return f"{self._public_url}/pay/stripe/{self._links.token(intent_id)}"

    # ---- the Gateway port ----

    async def create_checkout(self, request: CheckoutRequest) -> Checkout:
        """One PaymentIntent for the sub-order's exact amount; the key makes a retry safe."""
        amount = request.amount
        if amount.amount_minor <= 0:
            raise GatewayFinal("the amount must be positive")
        params: PaymentIntentCreateParams = {
            "amount": amount.amount_minor,
            "currency": amount.currency.code.lower(),
            "metadata": {
                META_SUB_ORDER: request.sub_order_id,
                META_ORDER: request.order_id,
                META_DESCRIPTION: request.description[:_MAX_DESCRIPTION_CHARS],
            },
        }
        if request.capture_manual:
            params["capture_method"] = "manual"
        if request.payout is not None:
            # A destination charge: the money goes to the payee's account; the platform's
            # fee comes back to the operator. Without one, none of these is sent.
            params["transfer_data"] = {"destination": request.payout.account_id}
            if request.payout.fee_minor > 0:
                params["application_fee_amount"] = request.payout.fee_minor
        try:
            created = await self._client.v1.payment_intents.create_async(
                params, {"idempotency_key": request.idempotency_key}
            )
        except stripe.StripeError as exc:
            raise translate(exc, "create_checkout") from exc
        intent = _read(created, "create_checkout")
        log.info("payment intent %s created for sub-order %s", intent.id, request.sub_order_id)
        return Checkout(ref=intent.id, url=self.pay_url(intent.id))

    async def retrieve(self, checkout_ref: str) -> CheckoutState:
        return (await self._intent(checkout_ref)).state()

    async def cancel_checkout(self, checkout_ref: str, idempotency_key: str) -> None:
        """An unpaid PaymentIntent is canceled; one with money on it is left for the engine
        to find (by retrieve) and settle, refund or void with a record."""
        intent = await self._intent(checkout_ref)
        if intent.status not in _UNPAID:
            return
        try:
            await self._client.v1.payment_intents.cancel_async(
                checkout_ref, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            if (await self._intent(checkout_ref)).status not in _UNPAID:
                return  # paid or canceled meanwhile: the engine's lookup sees which
            raise translate(exc, "cancel_checkout") from exc
        log.info("payment intent %s canceled", checkout_ref)

    async def capture(self, payment_ref: str, idempotency_key: str) -> None:
        try:
            await self._client.v1.payment_intents.capture_async(
                payment_ref, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            if (await self._intent(payment_ref)).status == "succeeded":
                return  # captured before: a retry after a lost answer
            raise translate(exc, "capture") from exc
        log.info("payment intent %s captured", payment_ref)

    async def void(self, payment_ref: str, idempotency_key: str) -> None:
        """Release an authorisation: cancel its PaymentIntent (Stripe gives the hold back)."""
        try:
            await self._client.v1.payment_intents.cancel_async(
                payment_ref, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            if (await self._intent(payment_ref)).status == "canceled":
                return
            raise translate(exc, "void") from exc
        log.info("payment intent %s voided", payment_ref)

    async def refund(self, payment_ref: str, amount_minor: int, idempotency_key: str) -> None:
        if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
            raise GatewayFinal("the refund amount must be a positive integer")
        params: RefundCreateParams = {"payment_intent": payment_ref, "amount": amount_minor}
        if (await self._intent(payment_ref)).destination is not None:
            # Paid into a payee's account: the money comes back out of it, the platform's
            # fee too, so the operator's balance never pays a payee's refund.
            params["reverse_transfer"] = True
            params["refund_application_fee"] = True
        try:
            await self._client.v1.refunds.create_async(params, {"idempotency_key": idempotency_key})
        except stripe.StripeError as exc:
            if exc.code == "charge_already_refunded":
                return
            raise translate(exc, "refund") from exc
        log.info("payment intent %s refunded %d", payment_ref, amount_minor)

    def parse_webhook(
        self, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> list[GatewayEvent]:
        """Verify `Stripe-Signature` over the raw body, then read the event; WebhookRejected
        if either fails."""
        doc = verified_event(body, headers, self._webhook_secret, now)
        try:
            return decode_event(self.name, doc)
        except Malformed as exc:
            raise WebhookRejected(f"event is malformed: {exc}") from exc

    # ---- the payer's side ----

    async def pay_page(self, token: str) -> PayPage | None:
        """What the pay page behind `token` shows; None for a token that is not ours."""
        intent_id = self._links.intent_of(token)
        if intent_id is None:
            return None
        try:
            intent = await self._intent(intent_id)
        except GatewayFinal:
            return None
        if intent.client_secret is None or intent.sub_order_id is None:
            return None
        return PayPage(
            client_secret=intent.client_secret,
            amount_minor=intent.amount_minor,
            currency=intent.currency,
            status=intent.checkout_status,
            description=intent.description,
            manual=intent.manual,
            to_payee=intent.destination is not None,
            fee_minor=intent.fee_minor,
        )

    # ---- plumbing ----

    async def _intent(self, intent_id: str) -> Intent:
        try:
            found = await self._client.v1.payment_intents.retrieve_async(intent_id)
        except stripe.StripeError as exc:
            raise translate(exc, "retrieve") from exc
        return _read(found, "retrieve")


def _read(obj: stripe.PaymentIntent, operation: str) -> Intent:
    try:
        return read_intent(obj.to_dict())
    except Malformed as exc:
        raise GatewayFinal(f"stripe {operation}: unexpected payment intent: {exc}") from exc


def _quiet_stripe_debug_logs() -> None:
    """stripe-python logs whole response bodies at DEBUG, client secrets among them: its
    logger stays at INFO (method, path and status) even when Chipin logs at DEBUG."""
    library = logging.getLogger("stripe")
    if library.level < logging.INFO:  # NOTSET too: the root's level may drop later
        library.setLevel(logging.INFO)


def check_keys(api_key: str, publishable_key: str, webhook_secret: str) -> None:
    """Fail loudly at start-up on keys that cannot be right; the message quotes no key."""
    if not api_key.startswith(("sk_", "rk_")):
        raise ValueError("STRIPE_API_KEY must be a secret (sk_...) or restricted (rk_...) key")
    if not publishable_key.startswith("pk_"):
        raise ValueError("STRIPE_PUBLISHABLE_KEY must be a publishable key (pk_...)")
    if not webhook_secret.startswith("whsec_"):
        raise ValueError("STRIPE_WEBHOOK_SECRET must be an endpoint's signing secret (whsec_...)")
    if ("_live_" in api_key) != ("_live_" in publishable_key):
        raise ValueError("STRIPE_API_KEY and STRIPE_PUBLISHABLE_KEY must both be test or live")
