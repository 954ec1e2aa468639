"""The emulator over raw HTTP (Telegram's envelope and errors) and its out-of-process control."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.telegram_emulator import (
    ControlError,
    Emulator,
    EmulatorClient,
    FloodLimits,
    Served,
    serve_in_thread,
)
from tests.telegram_emulator.limits import FloodControl

BOT_SCRIPT = """
import os
from telegram.ext import ApplicationBuilder, CommandHandler

async def start(update, context):
    await update.effective_message.reply_text(f"hello {' '.join(context.args)}")

app = (
    ApplicationBuilder()
    .token(os.environ["BOT_TOKEN"])
    .base_url(os.environ["TELEGRAM_BASE_URL"])
    .build()
)
app.add_handler(CommandHandler("start", start))
app.run_polling(poll_interval=0, timeout=1, drop_pending_updates=True)
"""
KEYBOARD = {"inline_keyboard": [[{"text": "Pay", "callback_data": "pay"}]]}


@pytest.fixture
async def http(served: Served) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{served.bot_base_url}{served.token}") as client:
        yield client


async def call(http: httpx.AsyncClient, method: str, **params: object) -> dict[str, Any]:
    """One Bot API call; the HTTP status always equals Telegram's error_code."""
    response = await http.post(f"/{method}", json=params)
    body: dict[str, Any] = response.json()
    assert response.status_code == (200 if body["ok"] else body["error_code"])
    return body


async def test_unknown_token_and_method_answer_like_telegram(served: Served) -> None:
    async with httpx.AsyncClient(base_url=served.url) as client:
        bad_token = await client.get("/bot1:wrong/getMe")
        no_method = await client.get(f"/bot{served.token}/flyToTheMoon")
        any_case = await client.get(f"/bot{served.token}/GETME")
    assert (bad_token.status_code, bad_token.json()) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert no_method.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    me = any_case.json()["result"]
    assert me["is_bot"] is True
    assert me["can_read_all_group_messages"] is False


async def test_form_and_json_bodies_give_the_same_message(
    emulator: Emulator, http: httpx.AsyncClient
) -> None:
    ann = await emulator.create_user("Ann")
    await emulator.send_message(ann, text="hi")
    form = {"chat_id": str(ann), "text": "<b>x</b>", "parse_mode": "HTML"}
    by_form = await http.post("/sendMessage", data=form | {"reply_markup": json.dumps(KEYBOARD)})
    by_json = await call(http, "sendMessage", chat_id=ann, text="<b>x</b>", parse_mode="HTML",
                         reply_markup=KEYBOARD)  # fmt: skip
    first, second = by_form.json()["result"], by_json["result"]
    assert first["reply_markup"] == second["reply_markup"] == KEYBOARD
    assert (first["message_id"], second["message_id"]) == (2, 3)
    assert isinstance(first["date"], int)
    assert first["date"] <= time.time() + 1
    assert first["from"]["id"] == emulator.bot_id
    assert first["chat"]["type"] == "private"


@pytest.mark.parametrize(
    ("text", "description"),
    [("", "Bad Request: message text is empty"), ("x" * 4097, "Bad Request: message is too long")],
)
async def test_text_limits(
    emulator: Emulator, http: httpx.AsyncClient, text: str, description: str
) -> None:
    ann = await emulator.create_user("Ann")
    await emulator.send_message(ann, text="hi")
    body = await call(http, "sendMessage", chat_id=ann, text=text)
    assert body == {"ok": False, "error_code": 400, "description": description}


async def test_long_poll_wakes_on_update_and_offset_confirms(
    emulator: Emulator, http: httpx.AsyncClient
) -> None:
    ann = await emulator.create_user("Ann")
    started = time.monotonic()
    poll = asyncio.create_task(call(http, "getUpdates", timeout=5))
    await asyncio.sleep(0.2)
    await emulator.send_message(ann, text="/start")
    first = await poll
    assert time.monotonic() - started < 2
    updates = first["result"]
    assert len(updates) == 1
    update_id = updates[0]["update_id"]
    assert updates[0]["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]

    again = await call(http, "getUpdates", offset=update_id + 1, timeout=0)
    assert again["result"] == []


async def test_a_newer_poll_ends_the_older_with_conflict(http: httpx.AsyncClient) -> None:
    older = asyncio.create_task(call(http, "getUpdates", timeout=5))
    await asyncio.sleep(0.2)
    newer = await call(http, "getUpdates", timeout=0)
    assert newer["ok"] is True
    ended = await older
    assert ended["error_code"] == 409
    assert "terminated by other getUpdates" in str(ended)


async def test_injected_faults_answer_once(emulator: Emulator, http: httpx.AsyncClient) -> None:
    ann = await emulator.create_user("Ann")
    await emulator.send_message(ann, text="hi")
    await emulator.fail_next("sendmessage", 429, "Too Many Requests: retry after 7", 7)
    refused = await call(http, "sendMessage", chat_id=ann, text="a")
    assert refused["parameters"] == {"retry_after": 7}
    assert (await call(http, "sendMessage", chat_id=ann, text="a"))["ok"] is True
    assert await emulator.count_429() == 1

    await emulator.set_outage(502)
    assert (await http.post("/getMe")).status_code == 502
    await emulator.set_outage(None)
    assert (await call(http, "getMe"))["ok"] is True


async def test_a_slow_call_times_out_at_the_client_and_still_takes_effect(
    emulator: Emulator, http: httpx.AsyncClient
) -> None:
    ann = await emulator.create_user("Ann")
    await emulator.send_message(ann, text="hi")
    await emulator.slow_next("sendMessage", 0.5)
    with pytest.raises(httpx.ReadTimeout):
        await http.post("/sendMessage", json={"chat_id": ann, "text": "late"}, timeout=0.1)
    sent = await emulator.wait_for_message(ann, lambda m: m.body == "late", timeout_s=2)
    assert sent.body == "late"
    assert (await call(http, "sendMessage", chat_id=ann, text="on time"))["ok"] is True


@pytest.mark.parametrize("limits", [FloodLimits(chat_burst=100, group_max=3)])
async def test_group_limit_counts_sends_and_edits(
    emulator: Emulator, http: httpx.AsyncClient
) -> None:
    ann = await emulator.create_user("Ann")
    group = await emulator.create_group("Dinner", [ann])
    sent = await call(http, "sendMessage", chat_id=group, text="progress 0")
    result = sent["result"]
    for n in (1, 2):
        await call(http, "editMessageText", chat_id=group, message_id=result["message_id"],
                   text=f"progress {n}")  # fmt: skip
    refused = await call(http, "sendMessage", chat_id=group, text="one more")
    assert refused["error_code"] == 429
    assert refused["description"].startswith("Too Many Requests: retry after ")
    assert await emulator.count_429(group) == 1
    assert len(await emulator.edit_times(group)) == 2


def test_token_bucket_refills_and_retry_after_is_whole_seconds() -> None:
    now = [0.0]
    flood = FloodControl(FloodLimits(chat_burst=2, chat_rate_per_s=0.5), clock=lambda: now[0])
    assert flood.admit(1, is_group=False) is None
    assert flood.admit(1, is_group=False) is None
    assert flood.admit(1, is_group=False) == 2  # one token every 2 s
    assert flood.admit(2, is_group=False) is None  # other chats are not affected
    now[0] = 2.0
    assert flood.admit(1, is_group=False) is None


async def test_migrated_group_answers_with_migrate_to_chat_id(
    emulator: Emulator, http: httpx.AsyncClient
) -> None:
    ann = await emulator.create_user("Ann")
    group = await emulator.create_group("Flat", [ann])
    new_id = await emulator.migrate(group)
    body = await call(http, "sendMessage", chat_id=group, text="x")
    assert body == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: group chat was upgraded to a supergroup chat",
        "parameters": {"migrate_to_chat_id": new_id},
    }


async def test_press_needs_an_existing_button(emulator: Emulator, http: httpx.AsyncClient) -> None:
    ann = await emulator.create_user("Ann")
    await emulator.send_message(ann, text="hi")
    sent = await call(http, "sendMessage", chat_id=ann, text="x", reply_markup=KEYBOARD)
    result = sent["result"]
    with pytest.raises(ControlError, match="no button"):
        await emulator.press(ann, ann, result["message_id"], "other")


async def test_client_drives_an_emulator_in_another_thread() -> None:
    emulator = Emulator()
    with serve_in_thread(emulator) as served:
        async with (
            EmulatorClient(served.url) as control,
            httpx.AsyncClient(base_url=f"{served.bot_base_url}{served.token}") as bot,
        ):
            ann = await control.create_user("Ann", username="ann")
            await control.send_message(ann, text="/start pay_1")
            updates = (await call(bot, "getUpdates", timeout=1))["result"]
            assert updates[0]["message"]["text"] == "/start pay_1"
            files = {"photo": ("qr.png", b"\x89PNG-not-really", "image/png")}
            form = {"chat_id": str(ann), "reply_markup": json.dumps(KEYBOARD)}
            photo = (await bot.post("/sendPhoto", data=form, files=files)).json()["result"]
            query_id = await control.press(ann, ann, photo["message_id"], "pay")
            assert (await call(bot, "answerCallbackQuery", callback_query_id=query_id))["ok"]

            answer = await control.answers(query_id)
            last = await control.wait_for_message(ann, lambda m: m.kind == "photo")
            assert answer is not None
            assert answer.text is None
            assert await control.file_bytes(photo["photo"][-1]["file_id"]) == b"\x89PNG-not-really"
            assert last.file_id == photo["photo"][-1]["file_id"]
            assert (await control.calls())["sendPhoto"] == 1
            await control.reset()
            assert await control.messages(ann) == []


async def test_bot_in_another_process_polls_the_emulator(
    emulator: Emulator, served: Served, tmp_path: Path
) -> None:
    script = tmp_path / "bot.py"
    script.write_text(BOT_SCRIPT)
    env = os.environ | {"BOT_TOKEN": served.token, "TELEGRAM_BASE_URL": served.bot_base_url}
    bot = await asyncio.create_subprocess_exec(sys.executable, str(script), env=env)
    try:
        calls = emulator.world.stats.calls
        await emulator.wait_for(lambda: calls["getUpdates"] > 0, timeout_s=20)
        async with EmulatorClient(served.url) as control:
            ann = await control.create_user("Ann")
            await control.send_message(ann, text="/start from_afar")
            reply = await control.wait_for_message(ann, timeout_s=10)
        assert reply.text == "hello from_afar"
    finally:
        if bot.returncode is None:
            bot.terminate()
        await asyncio.wait_for(bot.wait(), timeout=10)
