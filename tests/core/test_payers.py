"""Payer references: each namespace has one writer, and a Telegram id is parsed in one place."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.domain.errors import InvalidInput
from core.domain.holds import check_hold_secret, loopback_source
from core.domain.payers import (
    api_payer,
    check_payer_text,
    shown_payer,
    telegram_payer,
    telegram_user_id,
    vouched_for,
    web_payer,
)


@pytest.mark.parametrize(
    "ref",
    [
        "tg:abc",
        "tg:",
        "tg:-1",
        "tg:0",
        "tg:+5",
        "tg:007",
        "tg: 5",
        "tg:5 ",
        "tg:٣",  # an Arabic-Indic digit: isdigit() says yes, Telegram says no
        "tg:99999999999999999999",
        "tg:4503599627370496",  # 2**52
        "TG:5",
        "api:tg:5",
        "5",
        "",
    ],
)
def test_a_malformed_or_foreign_reference_names_no_telegram_user(ref: str) -> None:
    assert telegram_user_id(ref) is None
    assert not vouched_for(ref)


@pytest.mark.parametrize("user_id", [1, 42, 7_000_000_000, 2**52 - 1])
def test_a_bot_reference_names_its_telegram_user(user_id: int) -> None:
    ref = telegram_payer(user_id)
    assert telegram_user_id(ref) == user_id
    assert vouched_for(ref)


@pytest.mark.parametrize(
    "text",
    [
        "tg:42",
        "TG:42",
        "  tg:42",
        "Tg:1",
        "web:x",
        "api:bob",
        "ip:1.2.3.4",
        "order:o",
        "code-guess:p",
    ],
)
def test_a_payers_own_text_may_not_take_a_reserved_prefix(text: str) -> None:
    with pytest.raises(InvalidInput, match="reserved") as refused:
        api_payer(text)
    assert refused.value.field == "payer"


@pytest.mark.parametrize("text", ["", "   ", "x" * 65, "a\nb", "a\x00b"])
def test_a_payers_own_text_is_1_to_64_printable_characters(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_payer_text(text)
    assert refused.value.field == "payer"


@given(st.text(max_size=80))
def test_no_text_from_the_api_or_the_page_ever_reads_as_a_bot_payer(text: str) -> None:
    """Whatever a web or API payer sends, what is stored is never vouched for by Telegram."""
    try:
        ref = api_payer(text)
    except InvalidInput as refused:
        refusal = refused
        ref = None
    if ref is None:
        assert refusal.field == "payer"
        return
    assert ref.startswith("api:")
    assert ref.removeprefix("api:") == text.strip()
    assert telegram_user_id(ref) is None
    assert not vouched_for(ref)
    assert not vouched_for(web_payer(text))


def test_the_api_shows_each_payer_as_they_gave_themselves() -> None:
    assert shown_payer("api:bob@example.com") == "bob@example.com"
    assert shown_payer("web:Zq3x9", "Bob") == "Bob"
    assert shown_payer("web:Zq3x9") == "web payer"
    assert shown_payer("tg:42", "Cy") == "tg:42"
    assert shown_payer("Ann (web 1a2b3c4d)") == "Ann (web 1a2b3c4d)"  # written before 0011
    assert shown_payer(None) is None


@pytest.mark.parametrize(
    ("source", "loopback"),
    [
        ("ip:127.0.0.1", True),
        ("ip:127.255.0.9", True),
        ("ip:::/64", True),  # ::1, as web.clients gives an IPv6 client: its /64
        ("ip:2001:db8::/64", False),
        ("ip:10.0.0.1", False),
        ("ip:0.0.0.0", False),
        ("ip:not-an-address", False),
        ("tg:127", False),
        ("127.0.0.1", False),
    ],
)
def test_only_this_hosts_addresses_are_loopback_sources(source: str, loopback: bool) -> None:
    assert loopback_source(source) is loopback


@pytest.mark.parametrize("secret", ["a" * 31, "a" * 129, "a" * 40 + "=", "a b" * 20, "ä" * 40])
def test_a_hold_secret_is_32_to_128_url_safe_characters(secret: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_hold_secret(secret)
    assert refused.value.field == "Chipin-Hold"
    assert check_hold_secret("a" * 32) == "a" * 32
