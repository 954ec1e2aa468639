"""Payees' connected accounts (core.ports.store.PayoutGateway) without Stripe: a test sets
what the gateway says of an account, and the engine looks it up as it would at Stripe."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from core.domain.errors import GatewayFinal, WebhookRejected
from core.domain.payouts import AccountStatus
from core.ports.store import AccountNews

ONBOARD_URL = "https://connect.example.test/onboard/"
SIGNATURE = "fake-connect-signature"  # the header a valid fake webhook carries
GOOD_SIGNATURE = "ok"


class FakePayouts:
    """Connected accounts: a new one is pending (nothing submitted); `account_status` says
    what the test set (`enable`, `restrict`, `set_status`); every sign-up link is new."""

    def __init__(self, name: str = "stripe") -> None:
        self.name = name
        self.statuses: dict[str, AccountStatus] = {}
        self.created: list[tuple[str, str | None]] = []  # (payee id, country)
        self.links: dict[str, str] = {}  # link token -> account id
        self._by_key: dict[str, str] = {}
        self._accounts = itertools.count(1)
        self._links = itertools.count(1)

    async def create_account(
        self, payee_id: str, country: str | None, idempotency_key: str
    ) -> AccountStatus:
        known = self._by_key.get(idempotency_key)
        if known is not None:
            return self.statuses[known]
        account_id = f"acct_fake{next(self._accounts)}"
        self._by_key[idempotency_key] = account_id
        self.created.append((payee_id, country))
        self.statuses[account_id] = AccountStatus(
            account_id, charges_enabled=False, payouts_enabled=False, details_submitted=False
        )
        return self.statuses[account_id]

    async def account_status(self, account_id: str) -> AccountStatus:
        found = self.statuses.get(account_id)
        if found is None:
            raise GatewayFinal("no such account")
        return found

    async def onboarding_url(self, account_id: str) -> str:
        token = str(next(self._links))
        self.links[token] = account_id
        return f"{ONBOARD_URL}{token}"

    def account_of_link(self, token: str) -> str | None:
        return self.links.get(token)

    def parse_account_webhook(
        self, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> list[AccountNews]:
        """`{"id": "evt_…", "account": "acct_…"}` with the SIGNATURE header set to 'ok'."""
        if headers.get(SIGNATURE) != GOOD_SIGNATURE:
            raise WebhookRejected("bad signature")
        try:
            event = json.loads(body)
            return [AccountNews(str(event["id"]), event.get("account"))]
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookRejected("not an event") from exc

    # ---- what the test makes the gateway say ----

    def set_status(self, account_id: str, **changes: object) -> AccountStatus:
        status = replace(self.statuses[account_id], **changes)  # type: ignore[arg-type]
        self.statuses[account_id] = status
        return status

    def enable(self, account_id: str, *, payouts: bool = True) -> AccountStatus:
        return self.set_status(
            account_id,
            charges_enabled=True,
            payouts_enabled=payouts,
            details_submitted=True,
            disabled_reason="",
            due=(),
            deadline=None,
        )

    def restrict(
        self,
        account_id: str,
        reason: str = "requirements.past_due",
        due: tuple[str, ...] = (),
        deadline: datetime | None = None,
    ) -> AccountStatus:
        return self.set_status(
            account_id,
            charges_enabled=False,
            payouts_enabled=False,
            details_submitted=True,
            disabled_reason=reason,
            due=due,
            deadline=deadline,
        )
