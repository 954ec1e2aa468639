"""The Connect side of the Stripe adapter without a server: accounts read from Stripe's JSON,
Connect webhooks verified with their own secret, and the sign-up pages' signed, expiring
tokens."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import stripe

from core.domain.errors import WebhookRejected
from core.domain.payouts import PayoutState
from gateways.stripe.connect import StripeConnect, read_account
from gateways.stripe.links import AccountLinks
from gateways.stripe.objects import Malformed
from tests.gateways.stripe_rig import API_KEY, CONNECT_WEBHOOK_SECRET, WEBHOOK_SECRET

NOW = datetime.now(UTC)
KEY = b"account-link-key-for-tests-0123456789"


def _account(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": "acct_1Abc",
        "object": "account",
        "charges_enabled": True,
        "payouts_enabled": True,
        "details_submitted": True,
        "capabilities": {"card_payments": "active", "transfers": "active"},
        "requirements": {
            "currently_due": [],
            "past_due": [],
            "disabled_reason": None,
            "current_deadline": None,
        },
    }
    doc.update(changes)
    return doc


def test_an_enabled_account_reads_as_enabled() -> None:
    status = read_account(_account())
    assert (status.account_id, status.state, status.due, status.deadline) == (
        "acct_1Abc",
        PayoutState.ENABLED,
        (),
        None,
    )


def test_charges_without_an_active_transfers_capability_cannot_take_destination_charges() -> None:
    caps = {"card_payments": "active", "transfers": "pending"}
    status = read_account(_account(capabilities=caps))
    assert not status.charges_enabled
    assert status.state == PayoutState.RESTRICTED


def test_what_stripe_still_needs_is_read_past_due_first_and_once() -> None:
    requirements = {
        "currently_due": ["external_account", "individual.verification.document"],
        "past_due": ["individual.verification.document"],
        "disabled_reason": "requirements.past_due",
        "current_deadline": 1_900_000_000,
    }
    status = read_account(_account(charges_enabled=False, requirements=requirements))
    assert status.due == ("individual.verification.document", "external_account")
    assert status.deadline == datetime.fromtimestamp(1_900_000_000, UTC)
    assert status.state == PayoutState.RESTRICTED


@pytest.mark.parametrize(
    "bad",
    [
        {"object": "customer"},
        {"id": "cus_1"},
        {"requirements": "nope"},
        {"requirements": {"past_due": "x"}},
        {"capabilities": ["transfers"]},
        {"requirements": {"current_deadline": "soon"}},
    ],
)
def test_a_malformed_account_is_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(Malformed):
        read_account(_account(**bad))


def _connect() -> StripeConnect:
    client = stripe.StripeClient(API_KEY)
    return StripeConnect(client, CONNECT_WEBHOOK_SECRET, "https://pay.example", KEY)


def _signed(
    doc: dict[str, Any], secret: str = CONNECT_WEBHOOK_SECRET
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(doc)
    header = stripe.WebhookSignature.generate_signature_header(body, secret)
    return body.encode(), {"Stripe-Signature": header}


def _event(event_type: str = "account.updated", **changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": "evt_1",
        "object": "event",
        "type": event_type,
        "account": "acct_1Abc",
        "created": int(time.time()),
        "data": {"object": _account()},
    }
    doc.update(changes)
    return doc


def test_an_account_update_names_its_account() -> None:
    [news] = _connect().parse_account_webhook(*_signed(_event()), NOW)
    assert (news.event_id, news.account_id) == ("evt_1", "acct_1Abc")


def test_other_event_types_are_acknowledged_and_name_no_account() -> None:
    [news] = _connect().parse_account_webhook(*_signed(_event("capability.updated")), NOW)
    assert news.account_id is None


@pytest.mark.parametrize(
    ("changes", "secret", "says"),
    [
        ({}, WEBHOOK_SECRET, "bad signature"),  # signed with the account endpoint's secret
        ({}, "", "missing signature header"),
        ({"account": "acct_other"}, CONNECT_WEBHOOK_SECRET, "another account"),
        ({"data": {"object": {"object": "charge"}}}, CONNECT_WEBHOOK_SECRET, "has no account"),
    ],
)
def test_a_connect_webhook_that_is_not_valid_is_rejected(
    changes: dict[str, Any], secret: str, says: str
) -> None:
    body, headers = _signed(_event(**changes), secret or CONNECT_WEBHOOK_SECRET)
    if not secret:
        headers = {}
    with pytest.raises(WebhookRejected, match=says):  # signed now: within Stripe's tolerance
        _connect().parse_account_webhook(body, headers, NOW)


def test_a_sign_up_pages_token_names_its_account_until_it_runs_out() -> None:
    clock = [1_000_000.0]
    links = AccountLinks(KEY, clock=lambda: clock[0])
    token = links.token("acct_1Abc")
    assert links.id_of(token) == "acct_1Abc"
    forged = token.replace("acct_1Abc", "acct_1Abd")
    assert links.id_of(forged) is None
    longer = token.replace(".1086400.", ".9999999.")
    assert links.id_of(longer) is None  # the expiry is signed too
    assert AccountLinks(b"another-key-for-tests-0123456789").id_of(token) is None
    clock[0] += AccountLinks.VALID_S + 1
    assert links.id_of(token) is None
