"""The passkey rules as pure functions: which challenge counts, which counter, which URL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.domain.model import OrderId, SubOrder, SubOrderId, SubOrderState
from core.domain.passkeys import (
    Challenge,
    PasskeyRefused,
    Purpose,
    RelyingParty,
    VerifyLink,
    check_challenge,
    counter_advanced,
    device_name,
    intended_sub,
    relying_party,
)

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
LINK = VerifyLink(
    "h" * 64, "tg:1", Purpose.PAY, NOW + timedelta(minutes=10), sub_order_id=SubOrderId("s1")
)


def _challenge(**changes: object) -> Challenge:
    values: dict[str, object] = {
        "value": "abc",
        "link_hash": "h" * 64,
        "payer_ref": "tg:1",
        "sub_order_id": SubOrderId("s1"),
        "expires_at": NOW + timedelta(seconds=120),
    }
    values.update(changes)
    return Challenge(**values)  # type: ignore[arg-type]


def _reason(found: Challenge | None, now: datetime = NOW) -> str:
    with pytest.raises(PasskeyRefused) as refused:
        check_challenge(found, LINK, now)
    return str(refused.value.fields["reason"])


def test_a_live_challenge_of_the_links_payer_and_part_counts() -> None:
    assert check_challenge(_challenge(), LINK, NOW) == _challenge()
    assert check_challenge(_challenge(), LINK, NOW + timedelta(seconds=119)) == _challenge()


def test_a_used_or_never_issued_challenge_does_not_count() -> None:
    assert _reason(None) == "unknown_challenge"


def test_a_challenge_expires_at_two_minutes() -> None:
    assert _reason(_challenge(), NOW + timedelta(seconds=120)) == "expired"


def test_a_challenge_of_another_payer_does_not_count() -> None:
    assert _reason(_challenge(payer_ref="tg:2")) == "wrong_payer"


def test_a_challenge_for_another_sub_order_or_link_does_not_count() -> None:
    assert _reason(_challenge(sub_order_id=SubOrderId("s2"))) == "wrong_sub_order"
    assert _reason(_challenge(sub_order_id=None)) == "wrong_sub_order"
    assert _reason(_challenge(link_hash="x" * 64)) == "wrong_sub_order"


@pytest.mark.parametrize(
    ("stored", "new", "ok"),
    [(0, 0, True), (0, 1, True), (5, 6, True), (5, 5, False), (5, 4, False), (5, 0, False)],
)
def test_the_sign_counter_must_move_forward_unless_it_is_not_kept(
    stored: int, new: int, ok: bool
) -> None:
    assert counter_advanced(stored, new) is ok


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://pay.example.com", RelyingParty("pay.example.com", "https://pay.example.com")),
        (
            "https://Pay.Example.com:8443/",
            RelyingParty("pay.example.com", "https://pay.example.com:8443"),
        ),
        ("http://localhost:8080", RelyingParty("localhost", "http://localhost:8080")),
        # a browser leaves the scheme's default port out of the origin
        (
            "https://pay.example.com:443/chipin",
            RelyingParty("pay.example.com", "https://pay.example.com"),
        ),
        ("http://localhost:80/", RelyingParty("localhost", "http://localhost")),
        (
            "https://bücher.example",
            RelyingParty("xn--bcher-kva.example", "https://xn--bcher-kva.example"),
        ),
        ("http://chipin.localhost", RelyingParty("chipin.localhost", "http://chipin.localhost")),
        ("http://127.0.0.1:8080", "https_needed"),
        ("http://pay.example.com", "https_needed"),
        ("https://203.0.113.9", "domain_needed"),
        ("https://[2001:db8::1]", "domain_needed"),
    ],
)
def test_passkeys_need_https_or_localhost_and_a_domain(url: str, expected: object) -> None:
    assert relying_party(url) == expected


def _sub(
    idx: int, state: SubOrderState, payer: str | None = None, assignee: str | None = None
) -> SubOrder:
    return SubOrder(
        SubOrderId(f"s{idx}"), OrderId("o"), idx, 100, state, payer_ref=payer, assignee=assignee
    )


def test_a_check_is_for_the_part_the_payer_holds_or_would_get() -> None:
    paid = _sub(0, SubOrderState.PAID, "tg:9")
    named = _sub(1, SubOrderState.AVAILABLE, assignee="@ann")
    free = _sub(2, SubOrderState.AVAILABLE)
    held = _sub(3, SubOrderState.RESERVED, "tg:1")
    assert intended_sub([paid, named, free, held], "tg:1", ["tg:1"]) == held
    assert intended_sub([paid, named, free], "tg:1", ["tg:1", "@ann"]) == named
    assert intended_sub([paid, named, free], "tg:1", ["tg:1"]) == free
    assert intended_sub([paid, named], "tg:1", ["tg:1"]) is None


def test_the_device_is_named_from_its_browser() -> None:
    android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126 Mobile Safari"
    assert device_name(android) == "Chrome on Android"
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5) AppleWebKit/605.1.15 Version/17 Safari/604"
    assert device_name(iphone) == "Safari on iPhone"
    assert device_name("") == "this device"
