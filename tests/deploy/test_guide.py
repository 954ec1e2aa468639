"""docs/DEPLOY.md shows the files of docs/deploy/ as they are, the bot's command menu as the
bot registers it, the webhook's path and header as bot.app.webhook has them, and
`chipin backup`'s lines as the command prints them; the settings file it installs gives the
webhook and the trusted proxy it promises."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.app import webhook
from bot.app.cli_backup import pg_dump_hint, secret_reminder
from bot.app.settings import Settings
from bot.views.i18n import ENGLISH, load_catalog
from bot.views.texts.common import command_menu
from tests.deploy.tools import DEPLOY, GUIDE

TEXT = GUIDE.read_text(encoding="utf-8")
LANGUAGES = {".service": "ini", ".timer": "ini", ".conf": "nginx", ".env": "text"}


def shown_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.is_file())


@pytest.mark.parametrize("path", shown_files(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_the_guide_shows_each_deploy_file_as_it_is(path: Path) -> None:
    rel = path.relative_to(DEPLOY).as_posix()
    language = LANGUAGES.get(path.suffix, "sh" if rel == "system/chipin" else "text")
    assert f"```{language}\n{path.read_text(encoding='utf-8')}```" in TEXT
    assert f"[deploy/{rel}](deploy/{rel})" in TEXT


def test_the_guide_lists_the_command_menu_the_bot_registers() -> None:
    block = re.search(r"The menu\n   it registers:\n\n   ```text\n(.*?)\n   ```", TEXT, re.S)
    assert block is not None
    shown = [line.strip() for line in block.group(1).splitlines()]
    assert shown == [f"{n} - {t}" for n, t in command_menu(load_catalog(ENGLISH))]


def test_the_guide_names_the_webhook_as_the_bot_sets_it() -> None:
    assert f"`<CHIPIN_PUBLIC_URL>{webhook.PATH}`" in TEXT
    assert f"`{webhook.HEADER}`" in TEXT
    assert f"Telegram webhook set to\nhttps://pay.example.com{webhook.PATH}" in TEXT


def deploy_settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings from docs/deploy/chipin.env alone, with the key the guide's command adds."""
    for name in list(os.environ):
        if name.startswith(("CHIPIN_", "TELEGRAM_", "STRIPE_")):
            monkeypatch.delenv(name)
    for line in (DEPLOY / "chipin.env").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            monkeypatch.setenv(name, value)
    monkeypatch.setenv("CHIPIN_SECRET_KEY", "k" * 64)
    return Settings(_env_file=None)  # type: ignore[call-arg]  # pydantic-settings' own keyword


def test_the_settings_file_gives_the_webhook_and_trusts_the_proxy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = deploy_settings(monkeypatch)

    assert webhook.webhook_enabled(settings)
    assert settings.trusted_proxy_list == ("127.0.0.1/32",)
    assert "CHIPIN_TRUSTED_PROXIES=127.0.0.1" in TEXT
    upstream = re.search(
        r"server (\S+);  # CHIPIN_LISTEN", (DEPLOY / "nginx/chipin.conf").read_text()
    )
    assert upstream is not None
    assert upstream.group(1) == settings.listen
    assert settings.database_url == "sqlite+aiosqlite:////var/lib/chipin/chipin.db"
    assert settings.data_dir == Path("/var/lib/chipin")


def test_the_guide_shows_backup_lines_as_the_command_prints_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = deploy_settings(monkeypatch)
    assert f"\n{secret_reminder(settings)}\n" in TEXT
    hint = pg_dump_hint(
        make_url("postgresql+asyncpg://chipin@127.0.0.1:5432/chipin"),
        Path("/var/backups/chipin"),
        datetime(2026, 12, 7, 3, 15, 12, tzinfo=UTC),
    )
    assert f"\nchipin: {hint}\n" in TEXT
