"""Telegram webhook mode: updates arrive on the listener, checked by the secret-token header."""

from __future__ import annotations

import base64
import hmac
import json
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import Update
from telegram.ext import Application

from bot.app.settings import Settings, derive

log = logging.getLogger(__name__)

PATH = "/telegram/webhook"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024


def webhook_secret(secret: bytes) -> str:
    """A 43-character [A-Za-z0-9_-] token, as setWebhook's secret_token wants."""
    return base64.urlsafe_b64encode(derive(secret, "telegram-webhook")).decode().rstrip("=")


def webhook_enabled(settings: Settings) -> bool:
    """Webhook mode needs it asked for and a public https URL Telegram can reach."""
    return settings.telegram_webhook and settings.base_url.startswith("https://")


def webhook_routes(bot: Application, secret_token: str) -> list[BaseRoute]:  # type: ignore[type-arg]
    """POST /telegram/webhook: refuse without the right header, else queue the update."""

    async def receive(request: Request) -> Response:
        given = request.headers.get(HEADER, "")
        if not hmac.compare_digest(given.encode(), secret_token.encode()):
            return JSONResponse({"ok": False, "error": "forbidden"}, status_code=403)
        body = await request.body()
        if len(body) > MAX_BODY:
            return JSONResponse({"ok": False, "error": "too large"}, status_code=413)
        try:
            update = Update.de_json(json.loads(body), bot.bot)
        except (ValueError, TypeError, KeyError):
            log.warning("telegram webhook: an update that is not valid JSON was refused")
            return JSONResponse({"ok": False, "error": "bad update"}, status_code=400)
        await bot.update_queue.put(update)
        return JSONResponse({"ok": True})

    return [Route(PATH, receive, methods=["POST"])]


async def set_webhook(bot: Application, settings: Settings, secret_token: str) -> None:  # type: ignore[type-arg]
    await bot.bot.set_webhook(
        url=settings.base_url + PATH,
        secret_token=secret_token,
        allowed_updates=Update.ALL_TYPES,
    )
    log.info("Telegram webhook set to %s%s", settings.base_url, PATH)
