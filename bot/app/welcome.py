"""What a person who just started Chipin needs next: printed once the listener is up, and
served at `GET /` (web.pages.home) from the same facts.

Where Chipin is reached, whether the bot is on, the one command that makes an API key, what
the gateways do with money, and whether phones can reach the links it hands out.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from telegram.ext import Application

from bot.app.settings import Settings
from web.pages.home import Fact, Welcome

#: Hosts no phone can reach: links under them work on this machine only.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "0.0.0.0", "::1", "::", "[::1]", "[::]"})  # noqa: S104

_GATEWAYS = {
    "sandbox": "sandbox: test money only, no real money moves (its checkout has Pay and Decline)",
    "stripe": "stripe: card payments",
    "telegram": "telegram: payments inside Telegram",
}


def welcome(
    settings: Settings,
    bot: Application | None,  # type: ignore[type-arg]
    *,
    with_bot: bool,
    command: str | None = None,
) -> Welcome:
    """The welcome of a Chipin started with these settings; `bot` is the running bot, if
    any, whose state the page reads on each view; `command` is how to call `chipin` here."""
    chipin = command or chipin_command()

    def facts() -> Sequence[Fact]:
        return [
            Fact("Open", f"{settings.base_url} (listening on {settings.listen})"),
            _bot_fact(settings, bot, with_bot),
            Fact("Payments", "; ".join(_payments(settings))),
            Fact("API key", f'`{chipin} apikey create --payee "Your name"` (shown once)'),
            _phones(settings),
            Fact("Status", f"`{chipin} status`: the settings in force and each part's health"),
        ]

    return Welcome(facts=facts, private=local_only(settings.base_url))


def banner(welcome: Welcome) -> str:
    """The facts as lines for a terminal, the way `chipin run` prints them once it is up."""
    facts = welcome.facts()
    width = max(len(f.label) for f in facts)
    lines = ["Chipin is up. What to do next (also at GET /):"]
    for f in facts:
        text = f.text.replace("`", "")
        lines.append(f"  {f.label:<{width}}  {'WARNING: ' if f.warning else ''}{text}")
    return "\n".join(lines) + "\n"


def local_only(url: str) -> bool:
    """Whether links under `url` reach only this machine."""
    host = urlsplit(url).hostname or ""
    return host in LOCAL_HOSTS or host.startswith("127.")


def chipin_command() -> str:
    """How to call `chipin` from here: `chipin` when it is on PATH, `.venv/bin/chipin` from
    the checkout's folder, else the full path of the script running now."""
    script = Path(sys.argv[0]).resolve()
    if script.name != "chipin":
        return "chipin"
    found = shutil.which("chipin")
    if found is not None and Path(found).resolve() == script:
        return "chipin"
    try:
        return str(script.relative_to(Path(os.getcwd()).resolve()))
    except ValueError:
        return str(script)


def _bot_fact(
    settings: Settings,
    bot: Application | None,  # type: ignore[type-arg]
    with_bot: bool,
) -> Fact:
    if not with_bot:
        return Fact("Bot", "off: `chipin serve` runs without it (`chipin run` starts it)")
    if bot is None:
        return Fact(
            "Bot",
            "off: no `TELEGRAM_BOT_TOKEN` (ask @BotFather for /newbot, put the token in .env "
            "and start again)",
        )
    if not bot.running:
        return Fact("Bot", "on: connecting to Telegram (the log says when it runs)")
    mode = "webhook" if settings.telegram_webhook else "polling"
    return Fact("Bot", f"on: @{bot.bot.username}, taking updates by {mode}")


def _payments(settings: Settings) -> list[str]:
    said = []
    for name in settings.enabled_gateways:
        text = _GATEWAYS.get(name, name)
        if name == "stripe" and settings.stripe_secret("api").startswith(("sk_test_", "rk_test_")):
            text += " in Stripe's test mode"
        said.append(text)
    return said


def _phones(settings: Settings) -> Fact:
    url = settings.base_url
    if local_only(url):
        return Fact(
            "Phones",
            f"links point at {url}, which phones cannot open: set `CHIPIN_PUBLIC_URL` to an "
            "address they reach (https in production; see docs/DEPLOY.md)",
            warning=True,
        )
    return Fact("Phones", f"pay links and QR codes point at {url}")
