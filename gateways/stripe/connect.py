"""Stripe Connect for payees: Express accounts, hosted onboarding by Account Links, and the
Connect webhook endpoint (`account.updated`) with its own signing secret.

Implements core.ports.store.PayoutGateway. Checkouts into an account are made by the gateway
(gateways.stripe.gateway: `transfer_data[destination]` and `application_fee_amount`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import stripe
from stripe.params import AccountCreateParams

from core.domain.errors import GatewayFinal, WebhookRejected
from core.domain.payouts import AccountStatus
from core.domain.text import is_storable
from core.ports.store import AccountNews
from gateways.stripe.errors import translate
from gateways.stripe.links import AccountLinks
from gateways.stripe.objects import MAX_ID_CHARS, Malformed
from gateways.stripe.signing import verified_event

log = logging.getLogger(__name__)

ACCOUNT_UPDATED = "account.updated"
#: The event types to enable on the Connect webhook endpoint (README says so too).
CONNECT_TYPES = (ACCOUNT_UPDATED,)
META_PAYEE = "chipin_payee"
_MAX_DUE = 20  # requirement names kept per account


class StripeConnect:
    """Payees' Express accounts on the operator's Stripe platform account."""

    name = "stripe"

    def __init__(
        self, client: stripe.StripeClient, webhook_secret: str, public_url: str, link_key: bytes
    ) -> None:
        if not webhook_secret.startswith("whsec_"):
            raise ValueError(
                "STRIPE_CONNECT_WEBHOOK_SECRET must be the Connect endpoint's signing secret "
                "(whsec_...)"
            )
        self._client = client
        self._webhook_secret = webhook_secret
        self._public_url = public_url.rstrip("/")
        self._links = AccountLinks(link_key)

    def __repr__(self) -> str:
        return f"StripeConnect(public_url={self._public_url!r})"  # no secret

    async def create_account(
        self, payee_id: str, country: str | None, idempotency_key: str
    ) -> AccountStatus:
        params: AccountCreateParams = {
            "type": "express",
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
            "metadata": {META_PAYEE: payee_id},
        }
        if country is not None:
            params["country"] = country
        try:
            made = await self._client.v1.accounts.create_async(
                params, {"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            raise translate(exc, "create_account") from exc
        return _status(made.to_dict(), "create_account")

    async def account_status(self, account_id: str) -> AccountStatus:
        try:
            found = await self._client.v1.accounts.retrieve_async(account_id)
        except stripe.StripeError as exc:
            raise translate(exc, "retrieve_account") from exc
        return _status(found.to_dict(), "retrieve_account")

    async def onboarding_url(self, account_id: str) -> str:
        token = self._links.token(account_id)
        try:
            link = await self._client.v1.account_links.create_async(
                {
                    "account": account_id,
                    "type": "account_onboarding",
                    "return_url": f"{self._public_url}/payouts/stripe/return/{token}",
                    "refresh_url": f"{self._public_url}/payouts/stripe/refresh/{token}",
                }
            )
        except stripe.StripeError as exc:
            raise translate(exc, "account_link") from exc
        url = link.to_dict().get("url")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise GatewayFinal("stripe account_link: the answer has no link")
        return url

    def account_of_link(self, token: str) -> str | None:
        return self._links.id_of(token)

    def parse_account_webhook(
        self, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> list[AccountNews]:
        """Verify `Stripe-Signature` with the Connect endpoint's secret, then read which
        account the event is about: an `account.updated` names it (top-level `account`, and
        the object itself); every other type is acknowledged and ignored."""
        doc = verified_event(body, headers, self._webhook_secret, now)
        try:
            return [_news(doc)]
        except Malformed as exc:
            raise WebhookRejected(f"event is malformed: {exc}") from exc


def _news(doc: Mapping[str, Any]) -> AccountNews:
    event_id = doc.get("id")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 255 or not is_storable(event_id):
        raise Malformed("event has no id")
    if doc.get("type") != ACCOUNT_UPDATED:
        return AccountNews(event_id, None)
    data = doc.get("data")
    obj = data.get("object") if isinstance(data, Mapping) else None
    if not isinstance(obj, Mapping) or obj.get("object") != "account":
        raise Malformed("account.updated has no account")
    account_id = _account_id(obj.get("id"))
    named = doc.get("account")
    if named is not None and named != account_id:
        raise Malformed("the event names another account than its object")
    return AccountNews(event_id, account_id)


def _account_id(value: object) -> str:
    if (
        not isinstance(value, str)
        or not value.startswith("acct_")
        or len(value) > MAX_ID_CHARS
        or not is_storable(value)
    ):
        raise Malformed("field 'id' is not an account id")
    return value


def _status(doc: Mapping[str, Any], operation: str) -> AccountStatus:
    try:
        return read_account(doc)
    except Malformed as exc:
        raise GatewayFinal(f"stripe {operation}: unexpected account: {exc}") from exc


def read_account(doc: Mapping[str, Any]) -> AccountStatus:
    """Check and read a Stripe Account: what it can do and what Stripe still needs."""
    if doc.get("object") != "account":
        raise Malformed("not an account")
    requirements = doc.get("requirements") or {}
    if not isinstance(requirements, Mapping):
        raise Malformed("field 'requirements' is malformed")
    reason = requirements.get("disabled_reason") or ""
    if not isinstance(reason, str) or len(reason) > 64 or not is_storable(reason):
        raise Malformed("field 'requirements.disabled_reason' is malformed")
    due: list[str] = []
    for name in ("past_due", "currently_due"):
        listed = requirements.get(name) or []
        if not isinstance(listed, list):
            raise Malformed(f"field 'requirements.{name}' is malformed")
        due.extend(str(x)[:100] for x in listed if isinstance(x, str) and is_storable(x))
    deadline = requirements.get("current_deadline")
    if deadline is not None and (not isinstance(deadline, int) or isinstance(deadline, bool)):
        raise Malformed("field 'requirements.current_deadline' is malformed")
    capabilities = doc.get("capabilities") or {}
    if not isinstance(capabilities, Mapping):
        raise Malformed("field 'capabilities' is malformed")
    # a destination charge needs the account's `transfers` capability, not only charges
    transfers = capabilities.get("transfers")
    return AccountStatus(
        account_id=_account_id(doc.get("id")),
        charges_enabled=doc.get("charges_enabled") is True and transfers in (None, "active"),
        payouts_enabled=doc.get("payouts_enabled") is True,
        details_submitted=doc.get("details_submitted") is True,
        disabled_reason=reason,
        due=tuple(dict.fromkeys(due))[:_MAX_DUE],
        deadline=datetime.fromtimestamp(deadline, UTC) if deadline is not None else None,
    )
