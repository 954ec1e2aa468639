"""Bot API methods that send, edit and delete messages, and serve uploaded files."""

from __future__ import annotations

import dataclasses
import io
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tests.telegram_emulator.params import Params, Upload, entities_of
from tests.telegram_emulator.state import JSON, Chat, Record, StoredFile, bad_request
from tests.telegram_emulator.world import World

Handler = Callable[[World, Params], Awaitable[Any]]

TEXT_MAX = 4096
CAPTION_MAX = 1024
CALLBACK_DATA_MAX_BYTES = 64
GET_FILE_MAX_BYTES = 20 * 1024 * 1024  # getFile: "bots can currently download files of up to 20MB"
PARSE_MODES = {"html": "HTML", "markdown": "Markdown", "markdownv2": "MarkdownV2"}
BUTTON_ACTIONS = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


# ---- validation ----


def check_text(text: str | None) -> str:
    if text is None or not text.strip():
        raise bad_request("message text is empty")
    if len(text) > TEXT_MAX:
        raise bad_request("message is too long")
    return text


def check_caption(caption: str | None) -> str | None:
    if caption is not None and len(caption) > CAPTION_MAX:
        raise bad_request("message caption is too long")
    return caption or None


def check_parse_mode(p: Params) -> str | None:
    mode = p.str_("parse_mode")
    if not mode:
        return None
    canonical = PARSE_MODES.get(mode.lower())
    if canonical is None:
        raise bad_request(f"unsupported parse_mode {mode}")
    return canonical


def check_markup(value: Any, *, inline_only: bool) -> JSON | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = value.get("inline_keyboard")
    if rows is None:
        if inline_only:
            raise bad_request("inline keyboard expected")
        return value
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup should be an Array')
    for row in rows:
        for button in row:
            _check_button(button)
    return value


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request("can't parse inline keyboard button: Text must be a String")
    actions = BUTTON_ACTIONS & button.keys()
    if len(actions) != 1:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        size = len(data.encode()) if isinstance(data, str) else 0
        if not 1 <= size <= CALLBACK_DATA_MAX_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not url.startswith(("http://", "https://", "tg://")):
            raise bad_request("BUTTON_URL_INVALID")


def _reply_extra(world: World, chat: Chat, p: Params) -> JSON:
    params = p.json_("reply_parameters") or {}
    if not isinstance(params, dict):
        raise bad_request("can't parse reply parameters JSON object")
    message_id = params.get("message_id", p.int_("reply_to_message_id"))
    if message_id is None:
        return {}
    record = world.records.get((chat.id, int(message_id)))
    if record is None or record.deleted:
        allow = params.get("allow_sending_without_reply") or p.bool_("allow_sending_without_reply")
        if allow:
            return {}
        raise bad_request("message to be replied not found")
    replied = world.message_json(record)
    replied.pop("reply_to_message", None)
    return {"reply_to_message": replied}


# ---- sending ----


async def send_message(world: World, p: Params) -> JSON:
    chat = world.target(p.need_str("chat_id"))
    text = check_text(p.str_("text"))
    fields: JSON = {
        "text": text,
        "parse_mode": check_parse_mode(p),
        "entities": entities_of(p, "entities"),
        "reply_markup": check_markup(p.json_("reply_markup"), inline_only=False),
        "extra": _reply_extra(world, chat, p),
    }
    world.admit(chat)
    return world.message_json(world.add_record(chat, world.bot.id, **fields))


async def send_photo(world: World, p: Params) -> JSON:
    return await _send_media(world, p, "photo")


async def send_document(world: World, p: Params) -> JSON:
    return await _send_media(world, p, "document")


async def _send_media(world: World, p: Params, kind: str) -> JSON:
    chat = world.target(p.need_str("chat_id"))
    source = _media_source(world, p, kind)
    fields: JSON = {
        "caption": check_caption(p.str_("caption")),
        "parse_mode": check_parse_mode(p),
        "entities": entities_of(p, "caption_entities"),
        "reply_markup": check_markup(p.json_("reply_markup"), inline_only=False),
        "extra": _reply_extra(world, chat, p),
    }
    world.admit(chat)
    stored = source if isinstance(source, StoredFile) else _store(world, source, kind)
    media = _photo_json(stored) if kind == "photo" else document_json(stored)
    return world.message_json(world.add_record(chat, world.bot.id, media=media, **fields))


def _media_source(world: World, p: Params, kind: str) -> Upload | StoredFile:
    """A new upload, or a file_id sent before (URLs are not fetched by the emulator)."""
    upload = p.upload(kind)
    if upload is not None:
        return upload
    reused = world.files.get(p.str_(kind) or "")
    if reused is not None:
        return reused
    if p.has(kind):
        raise bad_request("wrong file identifier/HTTP URL specified")
    raise bad_request(f"there is no {kind} in the request")


def _store(world: World, upload: Upload, kind: str) -> StoredFile:
    return world.store_file(upload.data, kind, upload.filename, upload.content_type)


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height read with Pillow; (0, 0) when it is missing or cannot read the bytes."""
    try:
        from PIL import Image  # optional: only for photo sizes
    except ImportError:
        return (0, 0)
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            return (int(width), int(height))
    except Exception:  # not an image Pillow knows: Telegram would refuse, we report 0x0
        return (0, 0)


def _photo_json(stored: StoredFile) -> JSON:
    width, height = image_size(stored.data)
    size = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": width,
        "height": height,
        "file_size": len(stored.data),
    }
    return {"photo": [size]}


def document_json(stored: StoredFile) -> JSON:
    document = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_name": stored.file_name,
        "mime_type": stored.mime_type,
        "file_size": len(stored.data),
    }
    return {"document": document}


async def get_file(world: World, p: Params) -> JSON:
    """A file's download path; bots may download files of up to 20 MB."""
    stored = world.files.get(p.need_str("file_id"))
    if stored is None:
        raise bad_request("invalid file_id")
    if len(stored.data) > GET_FILE_MAX_BYTES:
        raise bad_request("file is too big")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
        "file_path": stored.file_path,
    }


# ---- editing ----


def _edit_target(world: World, p: Params) -> tuple[Chat, Record]:
    if p.has("inline_message_id"):
        raise bad_request("inline messages are not supported by the emulator")
    chat = world.target(p.need_str("chat_id"))
    record = world.message(chat, p.need_int("message_id"), "edit")
    if not record.by_bot:
        raise bad_request("message can't be edited")
    return chat, record


def _apply_edit(world: World, chat: Chat, record: Record, **changes: Any) -> JSON:
    candidate = dataclasses.replace(record, **changes)
    if candidate.content() == record.content():
        raise bad_request(NOT_MODIFIED)
    world.admit(chat)
    for name, value in changes.items():
        setattr(record, name, value)
    record.edit_times.append(time.time())
    world.signal.fire()
    return world.message_json(record)


async def edit_message_text(world: World, p: Params) -> JSON:
    chat, record = _edit_target(world, p)
    if record.text is None:
        raise bad_request("there is no text in the message to edit")
    return _apply_edit(
        world,
        chat,
        record,
        text=check_text(p.str_("text")),
        parse_mode=check_parse_mode(p),
        entities=entities_of(p, "entities"),
        reply_markup=check_markup(p.json_("reply_markup"), inline_only=True),
    )


async def edit_message_caption(world: World, p: Params) -> JSON:
    chat, record = _edit_target(world, p)
    if not record.media:
        raise bad_request("there is no caption in the message to edit")
    return _apply_edit(
        world,
        chat,
        record,
        caption=check_caption(p.str_("caption")),
        parse_mode=check_parse_mode(p),
        entities=entities_of(p, "caption_entities"),
        reply_markup=check_markup(p.json_("reply_markup"), inline_only=True),
    )


async def edit_message_reply_markup(world: World, p: Params) -> JSON:
    chat, record = _edit_target(world, p)
    markup = check_markup(p.json_("reply_markup"), inline_only=True)
    return _apply_edit(world, chat, record, reply_markup=markup)


async def delete_message(world: World, p: Params) -> bool:
    chat = world.target(p.need_str("chat_id"), sending=False)
    record = world.message(chat, p.need_int("message_id"), "delete")
    if not record.by_bot and chat.is_group and chat.bot_status != "administrator":
        raise bad_request("message can't be deleted")
    record.deleted = True
    world.signal.fire()
    return True


async def send_chat_action(world: World, p: Params) -> bool:
    world.target(p.need_str("chat_id"))
    if p.str_("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True


HANDLERS: dict[str, Handler] = {
    "sendMessage": send_message,
    "sendPhoto": send_photo,
    "sendDocument": send_document,
    "getFile": get_file,
    "editMessageText": edit_message_text,
    "editMessageCaption": edit_message_caption,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "sendChatAction": send_chat_action,
}
