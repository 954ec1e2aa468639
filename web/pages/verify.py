"""The passkey page (`/verify/<one-time token>`): enrol the device, or verify a payment with it.

The browser does the WebAuthn ceremony (navigator.credentials); the engine makes the
challenge and checks the answer. The token in the path is never logged (the listener
has no access log) and is sent nowhere else (no-referrer).
"""

from __future__ import annotations

import json
import secrets
from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from core.domain.errors import DomainError, LockedOut, NotFound, Unavailable
from core.domain.passkeys import PasskeyRefused, Purpose
from core.domain.text import first_unstorable
from web.context import Ctx
from web.pages.html import card_page
from web.pages.verify_script import SCRIPT

router = APIRouter(include_in_schema=False)

MAX_RESPONSE_CHARS = 32 * 1024

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;"
    "color:#222;line-height:1.4}.card{border:1px solid #ddd;border-radius:.6rem;"
    "padding:1rem 1.2rem}button{width:100%;font-size:1.1rem;padding:.8rem;margin:.6rem 0;"
    "border-radius:.4rem;border:1px solid #1a7f37;background:#1a7f37;color:#fff}"
    "#status{min-height:1.5rem}.note{color:#666;font-size:.85rem}"
)

# what the page says for each core.domain.passkeys.REASONS word
WHY = {
    "unknown_challenge": "This attempt was used already. Try again.",
    "expired": "That took too long (over 2 minutes). Try again.",
    "wrong_payer": "This attempt belongs to someone else.",
    "wrong_sub_order": "This attempt was for another payment.",
    "bad_response": "Your device's answer could not be verified.",
    "unknown_passkey": "This passkey is not enrolled for you. Enrol it with /passkey first.",
    "counter_went_back": (
        "This passkey's counter went backwards: it may have been copied, so it was refused. "
        "Remove it with /passkey and enrol your device again."
    ),
    "not_verified": "Your device did not verify you.",
}

_TEXT = {
    Purpose.ENROL: (
        "Add fingerprint / face",
        "Use this device's fingerprint or face unlock to approve Chipin payments.",
        "Add this device",
    ),
    Purpose.PAY: (
        "Verify your payment",
        "Confirm it is you with this device's fingerprint or face unlock.",
        "Verify with fingerprint / face",
    ),
}


@router.get("/verify/{token}", response_class=HTMLResponse)
async def show(token: str, ctx: Ctx) -> Response:
    try:
        link = await ctx.engine.passkey_link(token)
    except NotFound as exc:
        return _page("Link expired", f"<p>{escape(exc.message)}</p>", 404)
    if not ctx.engine.passkeys_on:
        return _page("Unavailable", "<p>Passkeys are not available here.</p>", 503)
    title, lead, button = _TEXT[link.purpose]
    nonce = secrets.token_urlsafe(16)
    body = (
        f"<h1>{escape(title)}</h1><p>{escape(lead)}</p>"
        f'<button id="go" data-purpose="{link.purpose.value}">{escape(button)}</button>'
        '<p id="status" role="status"></p>'
        '<p class="note">Nothing leaves your device but a signature: no fingerprint, no face.</p>'
        f'<script nonce="{nonce}">{SCRIPT}</script>'
    )
    return _page(title, body, 200, nonce)


@router.post("/verify/{token}/options")
async def options(token: str, ctx: Ctx) -> Response:
    try:
        found = await ctx.engine.passkey_options(token)
    except DomainError as exc:
        return _refusal(exc)
    parsed: dict[str, Any] = json.loads(found)
    return _json(200, {"ok": True, "options": parsed, "challenge": parsed["challenge"]})


@router.post("/verify/{token}/finish")
async def finish(token: str, request: Request, ctx: Ctx) -> Response:
    body = await _body(request)
    if body is None:
        return _unreadable()
    credential = body.get("credential")
    if not isinstance(credential, dict):
        return _json(422, {"ok": False, "reason": "bad_response", "message": "No credential."})
    response = json.dumps(credential)
    if len(response) > MAX_RESPONSE_CHARS:
        return _json(422, {"ok": False, "reason": "bad_response", "message": "Too large."})
    try:
        link = await ctx.engine.passkey_link(token)
        if link.purpose == Purpose.ENROL:
            agent = request.headers.get("user-agent", "")
            await ctx.engine.finish_enrolment(token, response, agent)
            done = "Passkey added. Go back to Telegram: you can pay with fingerprint or face now."
        else:
            await ctx.engine.finish_passkey_check(token, response)
            done = "Verified. Go back to Telegram: the bot goes on with your payment."
    except DomainError as exc:
        return _refusal(exc)
    return _json(200, {"ok": True, "message": done})


@router.post("/verify/{token}/refused")
async def refused_on_device(token: str, request: Request, ctx: Ctx) -> Response:
    """The device said no (user verification failed or was cancelled): it counts."""
    body = await _body(request)
    if body is None:
        return _unreadable()
    challenge = body.get("challenge")
    try:
        await ctx.engine.passkey_not_verified(token, str(challenge or ""))
    except DomainError as exc:  # always: a refusal is all the engine answers here
        return _refusal(exc)


def _refusal(exc: DomainError) -> Response:
    if isinstance(exc, PasskeyRefused):
        reason = str(exc.fields.get("reason", "bad_response"))
        message = WHY.get(reason, "Not verified.")
        left = exc.fields.get("tries_left")
        if isinstance(left, int):
            message += f" {left} tries left before payments lock."
        return _json(403, {"ok": False, "reason": reason, "message": message, "tries_left": left})
    status = 429 if isinstance(exc, LockedOut) else 404 if isinstance(exc, NotFound) else 409
    if isinstance(exc, Unavailable):
        status = 503
    return _json(status, {"ok": False, "reason": exc.code, "message": exc.message})


async def _body(request: Request) -> dict[str, Any] | None:
    """The JSON object sent ({} when it is not one), or None when it holds text that no
    store can hold (core.domain.text): refused before the engine sees it, so it costs no try."""
    try:
        found = json.loads(await request.body())
    except (ValueError, RecursionError):  # not JSON, or nested deeper than json can read
        return {}
    if first_unstorable(found) is not None:
        return None
    return found if isinstance(found, dict) else {}


def _unreadable() -> Response:
    message = "Your device's answer holds text that cannot be read."
    return _json(422, {"ok": False, "reason": "bad_response", "message": message})


def _json(status: int, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


def _page(title: str, body: str, status: int, nonce: str = "") -> HTMLResponse:
    script = f"script-src 'nonce-{nonce}'; " if nonce else ""
    headers = {
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": (
            f"default-src 'none'; {script}connect-src 'self'; style-src 'unsafe-inline'; "
            "base-uri 'none'"
        ),
    }
    html = card_page(title, _STYLE, body)
    return HTMLResponse(html, status_code=status, headers=headers)
