"""The /verify page's routes over HTTP: what a browser gets for good, bad and stale requests.

The authenticator is the fake one (tests.support.fakes.ceremony); test_passkey_browser.py runs the
same page in Chromium with py_webauthn.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from core.domain.passkeys import REASONS, PayerVerified
from core.usecases.engine import Engine
from tests.support.fakes.ceremony import FakeCeremony, answer
from tests.support.harness import Rig, build_rig, request
from tests.web.conftest import client_for, healthy
from web.app import create_app
from web.pages import verify as verify_page

PAYER = "tg:42"
PIN = "204913"
CRED = b"phone"


@dataclass
class Site:
    rig: Rig
    engine: Engine
    client: httpx.AsyncClient

    async def check_link(self) -> str:
        view = await self.engine.create_order(await self.rig.payee(), request("90", 3))
        return await self.engine.open_passkey_check(PAYER, view.order.token, [PAYER])


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    rig = build_rig().swap(passkeys=FakeCeremony())
    engine = rig.engine
    app = create_app(
        engine,
        public_base_url="https://chipin.test",
        health=healthy,
        max_amount_minor=10_000_000,
        default_currency="USD",
    )
    await engine.set_pin(PAYER, PIN)
    link = await engine.open_enrolment(PAYER, PIN)
    await engine.finish_enrolment(link, answer(await engine.passkey_options(link), CRED, 0), "")
    async with client_for(app) as client:
        yield Site(rig, engine, client)


async def test_the_page_runs_only_its_own_script_and_leaks_no_referrer(site: Site) -> None:
    link = await site.check_link()
    page = await site.client.get(f"/verify/{link}")
    assert page.status_code == 200
    assert "Verify with fingerprint / face" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    policy = page.headers["content-security-policy"]
    nonce = policy.split("'nonce-", 1)[1].split("'", 1)[0]
    assert f'<script nonce="{nonce}">' in page.text
    assert "default-src 'none'" in policy
    assert "connect-src 'self'" in policy


async def test_options_then_finish_verifies_and_the_link_is_spent(site: Site) -> None:
    link = await site.check_link()
    got = await site.client.post(f"/verify/{link}/options")
    assert got.status_code == 200
    body = got.json()
    assert body["options"]["allow"] == ["cGhvbmU"]
    options = json.dumps({"challenge": body["challenge"]})
    credential = json.loads(answer(options, CRED, 1))
    done = await site.client.post(f"/verify/{link}/finish", json={"credential": credential})
    assert done.status_code == 200, done.text
    assert done.json()["message"].startswith("Verified.")
    assert len(site.rig.notifier.of(PayerVerified)) == 1
    assert (await site.client.get(f"/verify/{link}")).status_code == 404
    again = await site.client.post(f"/verify/{link}/finish", json={"credential": credential})
    assert again.status_code == 404


async def test_a_device_that_says_no_counts_as_a_wrong_password(site: Site) -> None:
    link = await site.check_link()
    challenge = (await site.client.post(f"/verify/{link}/options")).json()["challenge"]
    no = await site.client.post(f"/verify/{link}/refused", json={"challenge": challenge})
    assert no.status_code == 403
    assert no.json() == {
        "ok": False,
        "reason": "not_verified",
        "message": "Your device did not verify you. 4 tries left before payments lock.",
        "tries_left": 4,
    }
    assert site.rig.notifier.of(PayerVerified) == []


@pytest.mark.parametrize(
    ("body", "status", "counted"),
    [
        (b"", 422, 0),  # no answer at all: nothing was tried
        (b"not json", 422, 0),
        (b"[]", 422, 0),
        (b'{"credential": "x"}', 422, 0),
        (b'{"credential": {"id": 1}}', 403, 1),  # an answer that does not verify: a try
    ],
)
async def test_a_malformed_answer_is_refused_and_only_a_credential_counts(
    site: Site, body: bytes, status: int, counted: int
) -> None:
    link = await site.check_link()
    await site.client.post(f"/verify/{link}/options")
    refused = await site.client.post(f"/verify/{link}/finish", content=body)
    assert refused.status_code == status
    assert refused.json()["ok"] is False
    async with site.rig.store.transaction() as tx:
        auth = await tx.payers.get_payer_auth(PAYER)
    assert auth is not None
    assert auth.failures == counted
    assert site.rig.notifier.of(PayerVerified) == []


async def test_five_failures_lock_the_page_too(site: Site) -> None:
    early = await site.check_link()  # opened before the lock-out
    statuses = []
    for _ in range(5):
        link = await site.check_link()
        challenge = (await site.client.post(f"/verify/{link}/options")).json()["challenge"]
        no = await site.client.post(f"/verify/{link}/refused", json={"challenge": challenge})
        statuses.append(no.status_code)
    assert statuses == [403, 403, 403, 403, 429]
    locked = await site.client.post(f"/verify/{early}/options")
    assert locked.status_code == 429
    assert "locked" in locked.json()["message"]


async def test_an_unknown_link_is_a_plain_404(site: Site) -> None:
    page = await site.client.get("/verify/nothing-here")
    assert page.status_code == 404
    assert "expired or was used" in page.text
    assert (await site.client.post("/verify/nothing-here/options")).status_code == 404


def test_every_refusal_reason_has_a_message_for_the_page() -> None:
    assert set(verify_page.WHY) == set(REASONS)


@pytest.mark.parametrize("route", ["finish", "refused"])
async def test_json_nested_too_deep_is_a_bad_answer_not_an_outage(site: Site, route: str) -> None:
    link = await site.check_link()
    await site.client.post(f"/verify/{link}/options")
    deep = await site.client.post(f"/verify/{link}/{route}", content=b"[" * 50_000)
    assert deep.status_code in (403, 422), deep.text
    assert deep.json()["ok"] is False
    assert site.rig.notifier.of(PayerVerified) == []


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("finish", b'{"credential": {"id": "\\ud800", "type": "public-key"}}'),
        ("finish", b'{"credential": {"id": "cGhvbmU", "\\udfff": 1}}'),
        ("refused", b'{"challenge": "abc\\u0000"}'),
    ],
)
async def test_an_answer_holding_unstorable_text_is_refused_and_costs_no_try(
    site: Site, route: str, body: bytes
) -> None:
    link = await site.check_link()
    await site.client.post(f"/verify/{link}/options")
    refused = await site.client.post(f"/verify/{link}/{route}", content=body)
    assert refused.status_code == 422
    assert refused.json() == {
        "ok": False,
        "reason": "bad_response",
        "message": "Your device's answer holds text that cannot be read.",
    }
    async with site.rig.store.transaction() as tx:
        auth = await tx.payers.get_payer_auth(PAYER)
    assert auth is not None
    assert auth.failures == 0
