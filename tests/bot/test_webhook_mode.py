"""Telegram webhook mode: only updates carrying the secret-token header reach the bot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from telegram.ext import ApplicationBuilder

from bot.app.settings import Settings
from bot.app.webhook import HEADER, PATH, webhook_enabled, webhook_routes, webhook_secret

UPDATE: dict[str, Any] = {
    "update_id": 7,
    "message": {
        "message_id": 1,
        "date": 1_700_000_000,
        "chat": {"id": 42, "type": "private", "first_name": "Ann"},
        "from": {"id": 42, "is_bot": False, "first_name": "Ann"},
        "text": "/help",
    },
}


async def test_updates_need_the_secret_header() -> None:
    bot = ApplicationBuilder().token("123:ABC").updater(None).build()
    token = webhook_secret(b"x" * 32)
    asgi = Starlette(routes=webhook_routes(bot, token))
    transport = httpx.ASGITransport(app=asgi)
    async with httpx.AsyncClient(transport=transport, base_url="https://chipin.test") as client:
        missing = await client.post(PATH, json=UPDATE)
        wrong = await client.post(PATH, json=UPDATE, headers={HEADER: token[:-1] + "x"})
        assert (missing.status_code, wrong.status_code) == (403, 403)
        assert bot.update_queue.empty()
        bad = await client.post(PATH, content=b"{not json", headers={HEADER: token})
        assert bad.status_code == 400
        ok = await client.post(PATH, json=UPDATE, headers={HEADER: token})
        assert ok.status_code == 200
    update = bot.update_queue.get_nowait()
    assert update.update_id == 7  # type: ignore[attr-defined]
    assert bot.update_queue.empty()


def test_the_secret_token_has_telegrams_shape() -> None:
    token = webhook_secret(b"k" * 32)
    assert 1 <= len(token) <= 256
    assert all(c.isalnum() or c in "-_" for c in token)
    assert token != webhook_secret(b"j" * 32)


def test_webhook_mode_needs_https(tmp_path: Path) -> None:
    def settings(**env: Any) -> Settings:
        return Settings.model_validate(
            {"TELEGRAM_BOT_TOKEN": "1:A", "CHIPIN_DATA_DIR": tmp_path, **env}
        )

    assert not webhook_enabled(settings(TELEGRAM_WEBHOOK=True))
    assert not webhook_enabled(settings(CHIPIN_PUBLIC_URL="https://pay.example.com"))
    assert webhook_enabled(
        settings(TELEGRAM_WEBHOOK=True, CHIPIN_PUBLIC_URL="https://pay.example.com")
    )
