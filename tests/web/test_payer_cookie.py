"""The pay page's payer cookie: a browser id and its holds' secrets; anything odd is dropped."""

from __future__ import annotations

import pytest

from web.pages.payer_cookie import MAX_HOLDS, PayerCookie

BROWSER = "Zq3x9Zq3x9Zq3x9Z"


def test_a_cookie_of_the_earlier_kind_keeps_its_browser_id() -> None:
    assert PayerCookie.read(BROWSER) == PayerCookie(BROWSER)


@pytest.mark.parametrize("value", [None, "", "short", "bad id with spaces!!", "x" * 65, "é" * 20])
def test_a_missing_or_unfit_cookie_gets_a_new_random_browser_id(value: str | None) -> None:
    first, second = PayerCookie.read(value), PayerCookie.read(value)
    assert first.browser_id != second.browser_id
    assert len(first.browser_id) >= 16
    assert first.holds == ()


def test_holds_round_trip_and_a_new_one_replaces_the_old_of_its_order() -> None:
    cookie = PayerCookie(BROWSER).with_hold("tokA", "s" * 43).with_hold("tokB", "t" * 43)
    again = PayerCookie.read(cookie.value()).with_hold("tokA", "u" * 43)
    assert again.secret_for("tokA") == "u" * 43
    assert again.secret_for("tokB") == "t" * 43
    assert again.secret_for("tokC") is None
    assert [t for t, _ in again.holds] == ["tokB", "tokA"]


def test_only_the_newest_holds_are_kept_and_odd_ones_are_dropped() -> None:
    cookie = PayerCookie(BROWSER)
    for i in range(MAX_HOLDS + 3):
        cookie = cookie.with_hold(f"tok{i}", "s" * 43)
    assert len(cookie.holds) == MAX_HOLDS
    assert cookie.secret_for("tok0") is None
    tampered = PayerCookie.read(f"{BROWSER}.tokA~{'s' * 43}.tokB~.~x.tok<C>~{'s' * 43}")
    assert tampered.holds == (("tokA", "s" * 43),)
