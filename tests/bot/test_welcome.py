"""What Chipin says once it is up (printed, and at GET /): the URL, the bot, the API key
command, what the gateways do with money, and whether phones can reach the links."""

from __future__ import annotations

import os

import pytest

from bot.app.settings import Settings
from bot.app.welcome import banner, local_only, welcome
from web.pages.home import Fact


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: os.PathLike[str]) -> None:
    for name in list(os.environ):
        if name.startswith(("CHIPIN_", "TELEGRAM_", "STRIPE_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def _facts(monkeypatch: pytest.MonkeyPatch, *, with_bot: bool = True, **env: str) -> list[Fact]:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    return list(welcome(settings, None, with_bot=with_bot, command="chipin").facts())


def _said(facts: list[Fact], label: str) -> Fact:
    return next(f for f in facts if f.label == label)


def test_the_defaults_say_the_url_the_sandbox_the_key_command_and_warn_about_phones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    facts = _facts(monkeypatch)

    assert _said(facts, "Open").text == "http://127.0.0.1:8080 (listening on 127.0.0.1:8080)"
    assert _said(facts, "Bot").text.startswith("off: no `TELEGRAM_BOT_TOKEN`")
    assert "no real money moves" in _said(facts, "Payments").text
    assert _said(facts, "API key").text.startswith('`chipin apikey create --payee "Your name"`')
    phones = _said(facts, "Phones")
    assert phones.warning
    assert "http://127.0.0.1:8080, which phones cannot open" in phones.text
    assert "CHIPIN_PUBLIC_URL" in phones.text


@pytest.mark.parametrize(
    "public_url", ["http://localhost:8080", "http://127.0.0.1:9000", "http://0.0.0.0:8080"]
)
def test_a_public_url_only_this_machine_reaches_is_a_warning(
    monkeypatch: pytest.MonkeyPatch, public_url: str
) -> None:
    phones = _said(_facts(monkeypatch, CHIPIN_PUBLIC_URL=public_url), "Phones")

    assert phones.warning
    assert "which phones cannot open" in phones.text


def test_listening_on_every_interface_gives_loopback_links_not_0_0_0_0_and_warns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    facts = _facts(monkeypatch, CHIPIN_LISTEN="0.0.0.0:8080")

    assert _said(facts, "Open").text == "http://127.0.0.1:8080 (listening on 0.0.0.0:8080)"
    assert _said(facts, "Phones").warning


def test_a_public_https_url_gives_no_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    facts = _facts(monkeypatch, CHIPIN_PUBLIC_URL="https://pay.example.com")

    phones = _said(facts, "Phones")
    assert not phones.warning
    assert phones.text == "pay links and QR codes point at https://pay.example.com"
    public = welcome(Settings(_env_file=None), None, with_bot=True)  # type: ignore[call-arg]
    assert not public.private  # GET / shows anyone no facts then
    assert "WARNING" not in banner(welcome(Settings(_env_file=None), None, with_bot=False))  # type: ignore[call-arg]


def test_serve_says_the_bot_is_off_and_how_to_start_it(monkeypatch: pytest.MonkeyPatch) -> None:
    bot = _said(_facts(monkeypatch, with_bot=False, TELEGRAM_BOT_TOKEN="1:x"), "Bot")

    assert bot.text == "off: `chipin serve` runs without it (`chipin run` starts it)"


def test_the_printed_banner_has_every_fact_on_its_own_line_without_backquotes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    text = banner(welcome(settings, None, with_bot=True, command=".venv/bin/chipin"))

    lines = text.splitlines()
    assert lines[0] == "Chipin is up. What to do next (also at GET /):"
    assert len(lines) == 7
    assert '.venv/bin/chipin apikey create --payee "Your name"' in text
    assert "`" not in text
    assert any(ln.split()[0] == "Phones" and "WARNING: links point at" in ln for ln in lines[1:])


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://127.0.0.1:8080", True),
        ("http://127.1.2.3", True),
        ("http://localhost", True),
        ("http://0.0.0.0:80", True),
        ("http://[::1]:8080", True),
        ("https://pay.example.com", False),
        ("http://192.168.1.20:8080", False),
    ],
)
def test_local_only_knows_the_hosts_no_phone_reaches(url: str, local: bool) -> None:
    assert local_only(url) is local
