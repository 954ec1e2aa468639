"""PTB 22 compatibility: a real Application polls the emulator over 127.0.0.1."""

from __future__ import annotations

import asyncio
import datetime as dtm
import io
from typing import Any

import pytest
from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LabeledPrice,
    Message,
    SuccessfulPayment,
    Update,
)
from telegram.error import BadRequest, ChatMigrated, Conflict, Forbidden, RetryAfter
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from tests.telegram_emulator import ControlError, Emulator, Served
from tests.telegram_emulator.conftest import Rig, build_app, message_of
from tests.telegram_emulator.server import serve_asgi
from tests.telegram_emulator.updates import SECRET_HEADER

Ctx = ContextTypes.DEFAULT_TYPE


def pay_keyboard(data: str = "pay:42") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Pay", callback_data=data)],
            [InlineKeyboardButton("Details", url="https://example.com/o/42")],
        ]
    )


def png(width: int = 48, height: int = 32) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buf, format="PNG")
    return buf.getvalue()


async def started_user(emulator: Emulator, name: str = "Ann") -> int:
    user = await emulator.create_user(name, username=name.lower())
    await emulator.send_message(user, text="/start")
    return user


async def start_replies_with_keyboard(update: Update, context: Ctx) -> None:
    payload = context.args[0] if context.args else "-"
    await message_of(update).reply_text(f"order {payload}", reply_markup=pay_keyboard())


async def test_start_deep_link_replies_with_inline_keyboard(rig: Rig) -> None:
    rig.app.add_handler(CommandHandler("start", start_replies_with_keyboard))
    ann = await rig.emulator.create_user("Ann", username="ann")

    await rig.emulator.send_message(ann, text="/start order_42")

    reply = await rig.emulator.wait_for_message(ann)
    assert reply.text == "order order_42"
    assert reply.callback_data() == ["pay:42"]
    assert reply.reply_markup is not None
    assert reply.reply_markup["inline_keyboard"][1][0]["url"] == "https://example.com/o/42"


async def test_button_press_is_answered_and_the_message_edited(rig: Rig) -> None:
    async def on_press(update: Update, context: Ctx) -> None:
        query = update.callback_query
        assert query is not None
        assert query.chat_instance
        await query.answer("Paid!", show_alert=True)
        await query.edit_message_text(f"paid {query.data}")

    rig.app.add_handler(CommandHandler("start", start_replies_with_keyboard))
    rig.app.add_handler(CallbackQueryHandler(on_press))
    ann = await rig.emulator.create_user("Ann")
    await rig.emulator.send_message(ann, text="/start x")
    shown = await rig.emulator.wait_for_message(ann)

    query_id = await rig.emulator.press(ann, ann, shown.message_id, "pay:42")

    edited = await rig.emulator.wait_for_message(ann, lambda m: m.edit_count == 1)
    assert edited.text == "paid pay:42"
    assert edited.reply_markup is None  # an edit without reply_markup drops the keyboard
    answer = await rig.emulator.answers(query_id)
    assert answer is not None
    assert answer.text == "Paid!"
    assert answer.show_alert


async def test_answering_a_query_twice_is_refused(rig: Rig) -> None:
    ann = await started_user(rig.emulator)
    sent = await rig.app.bot.send_message(ann, "choose", reply_markup=pay_keyboard())
    query_id = await rig.emulator.press(ann, ann, sent.message_id, "pay:42")

    assert await rig.app.bot.answer_callback_query(query_id, text="ok")
    with pytest.raises(BadRequest, match="Query is too old"):
        await rig.app.bot.answer_callback_query(query_id)


async def test_photo_from_bytesio_in_supergroup_round_trips(rig: Rig) -> None:
    ann = await rig.emulator.create_user("Ann")
    group = await rig.emulator.create_group("Trip", [ann], supergroup=True)
    image = png()

    sent = await rig.app.bot.send_photo(group, photo=io.BytesIO(image), caption="Scan to pay")

    assert sent.chat.type == "supergroup"
    assert sent.chat.title == "Trip"
    assert sent.caption == "Scan to pay"
    size = sent.photo[-1]
    assert (size.width, size.height, size.file_size) == (48, 32, len(image))
    assert await rig.emulator.file_bytes(size.file_id) == image
    downloaded = await (await rig.app.bot.get_file(size.file_id)).download_as_bytearray()
    assert bytes(downloaded) == image
    recorded = await rig.emulator.last(group)
    assert recorded is not None
    assert recorded.kind == "photo"
    assert recorded.body == "Scan to pay"


async def test_document_keeps_its_name_and_bytes(rig: Rig) -> None:
    ann = await started_user(rig.emulator)
    doc = await rig.app.bot.send_document(ann, document=b"a,b\n1,2\n", filename="split.csv")
    assert doc.document is not None
    assert doc.document.file_name == "split.csv"
    assert await rig.emulator.file_bytes(doc.document.file_id) == b"a,b\n1,2\n"


async def test_a_users_document_reaches_the_bot_and_downloads_through_get_file(rig: Rig) -> None:
    got: list[bytes] = []

    async def on_document(update: Update, context: Ctx) -> None:
        document = message_of(update).document
        assert document is not None
        assert (document.file_name, document.file_size) == ("march.sta", 11)
        assert document.mime_type == "application/octet-stream"
        got.append(bytes(await (await document.get_file()).download_as_bytearray()))

    rig.app.add_handler(MessageHandler(filters.Document.ALL, on_document))
    ann = await started_user(rig.emulator)

    sent = await rig.emulator.send_document(ann, b":20:MT940\r\n", "march.sta", caption="March")

    assert sent["caption"] == "March"
    assert sent["document"]["file_id"].startswith("BQAC")
    await rig.emulator.wait_for(lambda: got)
    assert got == [b":20:MT940\r\n"]


async def test_get_file_refuses_files_over_20_mb(rig: Rig) -> None:
    ann = await started_user(rig.emulator)
    big = await rig.emulator.send_document(ann, b"x" * (20 * 1024 * 1024 + 1), "big.xml")

    with pytest.raises(BadRequest, match="File is too big"):
        await rig.app.bot.get_file(big["document"]["file_id"])


async def test_identical_edit_is_not_modified(rig: Rig) -> None:
    ann = await started_user(rig.emulator)
    sent = await rig.app.bot.send_message(ann, "progress 1/6", reply_markup=pay_keyboard())

    with pytest.raises(BadRequest, match="Message is not modified"):
        await rig.app.bot.edit_message_text(
            "progress 1/6", chat_id=ann, message_id=sent.message_id, reply_markup=pay_keyboard()
        )
    edited = await rig.app.bot.edit_message_text("progress 2/6", ann, sent.message_id)
    assert not isinstance(edited, bool)
    assert edited.edit_date is not None
    assert len(await rig.emulator.edit_times(ann)) == 1


async def test_flood_raises_retry_after_and_drops_the_message(rig: Rig) -> None:
    ann = await started_user(rig.emulator)
    for n in range(3):  # the burst a private chat allows
        await rig.app.bot.send_message(ann, f"msg {n}")

    with pytest.raises(RetryAfter) as caught:
        await rig.app.bot.send_message(ann, "one too many")

    retry_after = caught.value.retry_after
    assert isinstance(retry_after, dtm.timedelta)
    assert retry_after >= dtm.timedelta(seconds=1)
    assert await rig.emulator.count_429(ann) == 1
    assert [m.text for m in await rig.emulator.messages(ann)] == ["msg 0", "msg 1", "msg 2"]


async def test_user_who_never_started_or_blocked_is_forbidden(rig: Rig) -> None:
    stranger = await rig.emulator.create_user("Stranger")
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await rig.app.bot.send_message(stranger, "hello")

    ann = await started_user(rig.emulator)
    await rig.emulator.block(ann)
    with pytest.raises(Forbidden, match="blocked by the user"):
        await rig.app.bot.send_message(ann, "hello")


async def test_callback_data_over_64_bytes_is_refused(rig: Rig) -> None:
    ann = await started_user(rig.emulator)
    await rig.app.bot.send_message(ann, "ok", reply_markup=pay_keyboard("x" * 64))
    for too_long in ("x" * 65, "é" * 33):  # 65 and 66 bytes
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await rig.app.bot.send_message(ann, "no", reply_markup=pay_keyboard(too_long))


async def test_migration_raises_chat_migrated_with_the_new_id(rig: Rig) -> None:
    seen: list[dict[str, Any]] = []

    async def on_migrate(update: Update, context: Ctx) -> None:
        msg = message_of(update)
        seen.append({"to": msg.migrate_to_chat_id, "from": msg.migrate_from_chat_id})

    rig.app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate))
    ann = await rig.emulator.create_user("Ann")
    group = await rig.emulator.create_group("Flat", [ann])

    new_id = await rig.emulator.migrate(group)

    with pytest.raises(ChatMigrated) as caught:
        await rig.app.bot.send_message(group, "still there?")
    assert caught.value.new_chat_id == new_id
    assert str(new_id).startswith("-100")
    moved = await rig.app.bot.send_message(new_id, "moved")
    assert moved.chat.type == "supergroup"
    await rig.emulator.wait_for(lambda: len(seen) == 2)
    assert seen == [{"to": new_id, "from": None}, {"to": None, "from": group}]


async def test_group_commands_reach_the_bot_and_chatter_does_not(rig: Rig) -> None:
    got: list[str] = []

    async def record(update: Update, context: Ctx) -> None:
        got.append(message_of(update).text or "")

    async def split(update: Update, context: Ctx) -> None:
        await message_of(update).reply_text(f"split {' '.join(context.args or [])}")

    rig.app.add_handler(MessageHandler(filters.ALL, record), group=-1)  # runs before the reply
    rig.app.add_handler(CommandHandler("split", split))
    ann = await rig.emulator.create_user("Ann")
    group = await rig.emulator.create_group("Dinner", [ann])

    await rig.emulator.send_message(ann, group, "hello everyone")
    await rig.emulator.send_message(ann, group, "/split@OtherBot 1 2")
    await rig.emulator.send_message(ann, group, f"/split@{rig.emulator.bot_username} 240 6")

    reply = await rig.emulator.wait_for_message(group)
    assert reply.text == "split 240 6"
    assert got == [f"/split@{rig.emulator.bot_username} 240 6"]


async def test_commands_round_trip(rig: Rig) -> None:
    assert await rig.app.bot.set_my_commands([("split", "Split a bill"), ("help", "Help")])
    listed = await rig.app.bot.get_my_commands()
    assert [c.command for c in listed] == ["split", "help"]
    assert (await rig.emulator.commands())[0]["description"] == "Split a bill"


async def test_webhook_with_secret_token_reaches_ptb(emulator: Emulator, served: Served) -> None:
    app = build_app(emulator, served, polling=False)
    secret = "s3cret_token-1"
    headers_seen: list[str | None] = []

    async def telegram(request: Request) -> Response:
        headers_seen.append(request.headers.get(SECRET_HEADER))
        if request.headers.get(SECRET_HEADER) != secret:
            return Response(status_code=403)
        await app.update_queue.put(Update.de_json(await request.json(), app.bot))
        return Response()

    app.add_handler(CommandHandler("start", start_replies_with_keyboard))
    receiver = Starlette(routes=[Route("/telegram", telegram, methods=["POST"])])
    ann = await emulator.create_user("Ann")
    async with serve_asgi(receiver) as port, app:
        await app.start()
        try:
            url = f"http://127.0.0.1:{port}/telegram"
            await app.bot.set_webhook(url, secret_token=secret)
            with pytest.raises(Conflict, match="webhook is active"):
                await app.bot.get_updates()
            await emulator.send_message(ann, text="/start hook")
            assert (await emulator.wait_for_message(ann)).text == "order hook"

            await app.bot.set_webhook(url, secret_token="wrong-secret")
            await emulator.send_message(ann, text="/start lost")
            await emulator.wait_for(lambda: emulator.world.updates.webhook_failures == 1)
            info = await app.bot.get_webhook_info()
            assert info.last_error_message == "Wrong response from the webhook: 403 Forbidden"
        finally:
            await app.stop()
    assert headers_seen[0] == secret
    assert headers_seen[1:] == ["wrong-secret"] * 4  # first try plus three retries


# ---- Telegram Payments ----


def pay_handlers(rig: Rig, *, refuse: str | None = None) -> list[SuccessfulPayment]:
    """The bot answers every pre-checkout (yes, or no with `refuse`) and records payments."""
    paid: list[SuccessfulPayment] = []

    async def on_query(update: Update, context: Ctx) -> None:
        query = update.pre_checkout_query
        assert query is not None
        await query.answer(ok=refuse is None, error_message=refuse)

    async def on_paid(update: Update, context: Ctx) -> None:
        payment = message_of(update).successful_payment
        assert payment is not None
        paid.append(payment)

    rig.app.add_handler(PreCheckoutQueryHandler(on_query))
    rig.app.add_handler(MessageHandler(filters.SUCCESSFUL_PAYMENT, on_paid))
    return paid


async def stars_invoice(rig: Rig, chat: int, payload: str = "t1.sub_1.part") -> Message:
    sent: Message = await rig.app.bot.send_invoice(
        chat, "Dinner", "Your part", payload, "XTR", [LabeledPrice("Your part", 25)], ""
    )
    return sent


async def test_an_invoice_is_paid_after_the_bots_yes_and_stars_go_back_once(rig: Rig) -> None:
    paid = pay_handlers(rig)
    ann = await started_user(rig.emulator)
    invoice = await stars_invoice(rig, ann)
    assert invoice.invoice is not None
    assert (invoice.invoice.currency, invoice.invoice.total_amount) == ("XTR", 25)

    result = await rig.emulator.pay_invoice(ann, ann, invoice.message_id)

    assert result["ok"] is True
    await rig.emulator.wait_for(lambda: paid)
    assert paid[0].invoice_payload == "t1.sub_1.part"
    assert paid[0].telegram_payment_charge_id == result["charge_id"]
    assert (paid[0].currency, paid[0].total_amount) == ("XTR", 25)
    with pytest.raises(ControlError, match="paid already"):
        await rig.emulator.pay_invoice(ann, ann, invoice.message_id)
    assert await rig.app.bot.refund_star_payment(ann, result["charge_id"])
    with pytest.raises(BadRequest, match=r"(?i)charge_already_refunded"):
        await rig.app.bot.refund_star_payment(ann, result["charge_id"])
    with pytest.raises(BadRequest, match=r"(?i)charge_not_found"):
        await rig.app.bot.refund_star_payment(ann + 1, result["charge_id"])
    assert [r["charge_id"] for r in await rig.emulator.refunds()] == [result["charge_id"]]


async def test_a_refused_pre_checkout_takes_no_money(rig: Rig) -> None:
    paid = pay_handlers(rig, refuse="Every part is paid.")
    ann = await started_user(rig.emulator)
    invoice = await rig.app.bot.send_invoice(
        ann, "Dinner", "Your part", "p1", "USD", [LabeledPrice("Part", 1250)], "prov:TEST"
    )

    result = await rig.emulator.pay_invoice(ann, ann, invoice.message_id)

    assert result == {
        "ok": False,
        "error_message": "Every part is paid.",
        "charge_id": None,
        "message_id": None,
    }
    await asyncio.sleep(0.2)
    assert paid == []
    assert rig.emulator.world.payments.charges == {}


async def test_an_unanswered_pre_checkout_takes_no_money(rig: Rig) -> None:
    ann = await started_user(rig.emulator)
    invoice = await stars_invoice(rig, ann)
    result = await rig.emulator.pay_invoice(ann, ann, invoice.message_id, timeout_s=0.3)
    assert result["ok"] is False
    assert rig.emulator.world.payments.charges == {}


async def test_a_forwarded_invoice_can_be_paid_by_someone_else(rig: Rig) -> None:
    asked: list[tuple[int, str]] = []

    async def on_query(update: Update, context: Ctx) -> None:
        query = update.pre_checkout_query
        assert query is not None
        asked.append((query.from_user.id, query.invoice_payload))
        await query.answer(ok=False, error_message="Not yours.")

    rig.app.add_handler(PreCheckoutQueryHandler(on_query))
    ann = await started_user(rig.emulator)
    bob = await rig.emulator.create_user("Bob")
    group = await rig.emulator.create_group("Friends", [ann, bob])
    invoice = await stars_invoice(rig, ann, "anns-part")
    copy = await rig.emulator.forward(ann, ann, invoice.message_id, group)

    result = await rig.emulator.pay_invoice(bob, group, copy)

    assert (result["ok"], result["error_message"]) == (False, "Not yours.")
    assert asked == [(bob, "anns-part")]
    with pytest.raises(ControlError, match="cannot see private chat"):
        await rig.emulator.pay_invoice(bob, ann, invoice.message_id)


async def test_a_forwarded_invoice_with_a_start_parameter_is_a_link_not_a_payment(
    rig: Rig,
) -> None:
    ann = await started_user(rig.emulator)
    bob = await rig.emulator.create_user("Bob")
    group = await rig.emulator.create_group("Friends", [ann, bob])
    invoice = await rig.app.bot.send_invoice(
        ann, "Dinner", "Your part", "p", "XTR", [LabeledPrice("Part", 25)], "",
        start_parameter="order_42",
    )  # fmt: skip
    assert invoice.invoice.start_parameter == "order_42"
    copy = await rig.emulator.forward(ann, ann, invoice.message_id, group)
    with pytest.raises(ControlError, match="not an invoice"):
        await rig.emulator.pay_invoice(bob, group, copy)
    link = rig.emulator.world.records[(group, copy)].reply_markup
    assert link == {
        "inline_keyboard": [
            [{"text": "Pay", "url": f"https://t.me/{rig.emulator.bot_username}?start=order_42"}]
        ]
    }


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"payload": "x" * 129}, "INVOICE_PAYLOAD_INVALID"),
        ({"payload": "é" * 65}, "INVOICE_PAYLOAD_INVALID"),  # 130 bytes
        ({"provider_token": "prov:TEST"}, "PAYMENT_PROVIDER_INVALID"),  # Stars take no token
        ({"currency": "USD"}, "PAYMENT_PROVIDER_INVALID"),  # money needs a token
        ({"currency": "ZZZ"}, "CURRENCY_INVALID"),
        ({"title": "x" * 33}, "INVOICE_TITLE_INVALID"),
        ({"prices": [LabeledPrice("a", 1), LabeledPrice("b", 2)]}, "STARS_INVOICE_INVALID"),
        ({"prices": [LabeledPrice("a", 0)]}, "CURRENCY_TOTAL_AMOUNT_INVALID"),
    ],
)
async def test_send_invoice_checks_its_parameters_like_telegram(
    rig: Rig, change: dict[str, Any], error: str
) -> None:
    ann = await started_user(rig.emulator)
    params: dict[str, Any] = {
        "chat_id": ann,
        "title": "Dinner",
        "description": "Your part",
        "payload": "p",
        "currency": "XTR",
        "prices": [LabeledPrice("Part", 25)],
        "provider_token": "",
    } | change
    with pytest.raises(BadRequest, match=f"(?i){error}"):
        await rig.app.bot.send_invoice(**params)
    assert await rig.emulator.messages(ann) == []


async def test_a_pre_checkout_is_answered_once_and_a_no_needs_its_reason(rig: Rig) -> None:
    answers: list[bool] = []

    async def on_query(update: Update, context: Ctx) -> None:
        query = update.pre_checkout_query
        assert query is not None
        with pytest.raises(BadRequest, match=r"(?i)error_message_empty"):
            await query.answer(ok=False)
        answers.append(await query.answer(ok=True))
        with pytest.raises(BadRequest, match=r"(?i)query_id_invalid"):
            await query.answer(ok=True)

    rig.app.add_handler(PreCheckoutQueryHandler(on_query))
    ann = await started_user(rig.emulator)
    invoice = await stars_invoice(rig, ann)
    assert (await rig.emulator.pay_invoice(ann, ann, invoice.message_id))["ok"] is True
    await rig.emulator.wait_for(lambda: answers)
    assert answers == [True]
    with pytest.raises(BadRequest, match=r"(?i)query_id_invalid"):
        await rig.app.bot.answer_pre_checkout_query("pcq-unknown", ok=True)
