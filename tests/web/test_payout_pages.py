"""The payee's pages around Stripe's sign-up: back from it (the account as Stripe says it now),
and a fresh link for one that ran out; unknown tokens find nothing and change nothing."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from core.domain.errors import GatewayFinal, GatewayRetryable
from core.domain.model import PayeeId
from core.domain.payouts import PayoutState
from tests.support.harness import Rig
from tests.support.tokens import another_mac
from tests.web.conftest import client_for, make_app, snapshot
from tests.web.connect import SignedPayouts, with_connect
from web.pages.payouts import DONE, NOT_VALID

RETURN = "/payouts/stripe/return/"
REFRESH = "/payouts/stripe/refresh/"


@pytest.fixture
def payouts() -> SignedPayouts:
    return SignedPayouts()


@pytest.fixture
def connect(rig: Rig, payouts: SignedPayouts) -> Rig:
    return with_connect(rig, payouts)


@pytest.fixture
async def browser(connect: Rig) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(make_app(connect)) as client:
        yield client


async def _signed_up(rig: Rig) -> tuple[PayeeId, str]:
    """Ann started Stripe's sign-up: her id, and her link's token."""
    payee = await rig.payee("Ann")
    await rig.engine.connect_payouts(payee)
    payouts = rig.engine.deps.payouts
    assert isinstance(payouts, SignedPayouts)
    return payee, payouts.tokens[-1]


def _assert_private(page: httpx.Response, token: str) -> None:
    """No account id (but inside the page's own token, in a link to go on), no script,
    nothing cached or sent on in a Referer."""
    assert "acct_" not in page.text.replace(token, "")
    assert "<script" not in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-content-type-options"] == "nosniff"
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src" not in csp


def _server_log(caplog: pytest.LogCaptureFixture) -> str:
    """What the listener logged (the test's own HTTP client logs each URL it asks for)."""
    return "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))


async def test_back_from_a_finished_sign_up_the_account_is_enabled_at_once(
    connect: Rig, payouts: SignedPayouts, browser: httpx.AsyncClient
) -> None:
    payee, token = await _signed_up(connect)
    [account_id] = payouts.statuses
    payouts.enable(account_id)  # Stripe's webhook has not come yet
    page = await browser.get(RETURN + token)
    assert page.status_code == 200
    assert DONE.replace("'", "&#x27;") in page.text
    _assert_private(page, token)
    account = await connect.engine.payout_account(payee)
    assert account is not None
    assert account.state == PayoutState.ENABLED


@pytest.mark.parametrize(
    ("reason", "says"),
    [
        ("", "you have not finished Stripe&#x27;s sign-up yet"),
        ("requirements.past_due", "Stripe needs more information from you"),
        ("requirements.pending_verification", "Stripe is verifying the details you gave"),
    ],
)
async def test_an_unfinished_account_says_why_and_links_to_a_fresh_sign_up(
    connect: Rig, payouts: SignedPayouts, browser: httpx.AsyncClient, reason: str, says: str
) -> None:
    payee, token = await _signed_up(connect)
    [account_id] = payouts.statuses
    if reason:
        payouts.restrict(account_id, reason)
    page = await browser.get(RETURN + token)
    assert page.status_code == 200
    assert says in page.text
    assert "Stripe still needs some details from you" in page.text
    assert f'href="{REFRESH}{token}"' in page.text
    _assert_private(page, token)
    account = await connect.engine.payout_account(payee)
    assert account is not None
    assert account.state == (PayoutState.RESTRICTED if reason else PayoutState.PENDING)


async def test_an_account_stripe_closed_for_good_has_no_link_to_go_on(
    connect: Rig, payouts: SignedPayouts, browser: httpx.AsyncClient
) -> None:
    _, token = await _signed_up(connect)
    [account_id] = payouts.statuses
    payouts.restrict(account_id, "rejected.fraud")
    page = await browser.get(RETURN + token)
    assert page.status_code == 200
    assert "Stripe closed your account" in page.text
    assert REFRESH not in page.text


async def test_a_disconnected_account_says_so_and_gets_no_new_link(
    connect: Rig, payouts: SignedPayouts, browser: httpx.AsyncClient
) -> None:
    payee, token = await _signed_up(connect)
    await connect.engine.disconnect_payouts(payee)
    page = await browser.get(RETURN + token)
    assert page.status_code == 200
    assert "You disconnected this Stripe account from Chipin" in page.text
    assert REFRESH not in page.text
    before = await snapshot(connect)
    refresh = await browser.get(REFRESH + token)
    assert refresh.status_code == 404
    assert NOT_VALID in refresh.text
    assert await snapshot(connect) == before


async def test_refresh_sends_the_payee_on_to_a_fresh_sign_up_link(
    connect: Rig, payouts: SignedPayouts, browser: httpx.AsyncClient
) -> None:
    _, token = await _signed_up(connect)
    before = await snapshot(connect)
    first = await browser.get(REFRESH + token)
    assert first.status_code == 303
    assert first.headers["location"] == "https://connect.example.test/onboard/2"
    assert first.headers["cache-control"] == "no-store"
    assert first.headers["referrer-policy"] == "no-referrer"
    second = await browser.get(REFRESH + token)
    assert second.headers["location"] == "https://connect.example.test/onboard/3"
    assert await snapshot(connect) == before  # a new link changes nothing here


def _spoilers() -> list[Callable[[str], str]]:
    return [
        another_mac,  # another MAC
        lambda t: t.split(".")[0],  # the account id alone
        lambda t: "acct_other." + t.split(".")[1],  # this MAC on another id
        lambda t: "1",
        lambda t: t + "A" * 200,  # far too long
    ]


@pytest.mark.parametrize("page", [RETURN, REFRESH])
@pytest.mark.parametrize("spoil", _spoilers())
async def test_a_token_that_is_not_ours_finds_nothing_and_changes_nothing(
    connect: Rig,
    payouts: SignedPayouts,
    browser: httpx.AsyncClient,
    page: str,
    spoil: Callable[[str], str],
) -> None:
    _, token = await _signed_up(connect)
    before = await snapshot(connect)
    calls = payouts.calls
    answer = await browser.get(page + spoil(token))
    assert answer.status_code == 404
    assert NOT_VALID in answer.text
    assert "acct_" not in answer.text
    assert await snapshot(connect) == before
    assert payouts.calls == calls  # Stripe was not asked


async def test_a_signed_token_of_an_account_that_is_no_payees_here_finds_nothing(
    connect: Rig, payouts: SignedPayouts, browser: httpx.AsyncClient
) -> None:
    token = payouts.signed.token("acct_someoneelse")
    for page in (RETURN, REFRESH):
        answer = await browser.get(page + token)
        assert answer.status_code == 404
        assert NOT_VALID in answer.text


async def test_without_connect_set_up_the_pages_find_nothing(rig: Rig) -> None:
    token = SignedPayouts().signed.token("acct_fake1")
    async with client_for(make_app(rig)) as client:
        for page in (RETURN, REFRESH):
            answer = await client.get(page + token)
            assert answer.status_code == 404
            assert NOT_VALID in answer.text


@pytest.mark.parametrize("page", [RETURN, REFRESH])
@pytest.mark.parametrize("failure", [GatewayRetryable("timeout"), GatewayFinal("refused")])
async def test_stripe_failing_shows_try_again_and_changes_nothing(
    connect: Rig,
    payouts: SignedPayouts,
    browser: httpx.AsyncClient,
    page: str,
    failure: Exception,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, token = await _signed_up(connect)
    before = await snapshot(connect)
    payouts.fail_next.append(failure)
    with caplog.at_level(logging.DEBUG):
        answer = await browser.get(page + token)
    assert answer.status_code == 503
    assert "try again" in answer.text
    assert f'href="{page}{token}"' in answer.text
    assert answer.headers["retry-after"] == "10"
    assert await snapshot(connect) == before
    assert token.split(".")[1] not in _server_log(caplog)


async def test_the_token_is_never_logged(
    connect: Rig,
    payouts: SignedPayouts,
    browser: httpx.AsyncClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG):
        _, token = await _signed_up(connect)
        [account_id] = payouts.statuses
        payouts.enable(account_id)
        assert (await browser.get(RETURN + token)).status_code == 200
        assert (await browser.get(REFRESH + token)).status_code == 303
        assert (await browser.get(RETURN + another_mac(token))).status_code == 404
    logged = _server_log(caplog)
    assert "payout" in logged  # the engine did log: of the account, never of its token
    assert token.split(".")[1] not in logged
