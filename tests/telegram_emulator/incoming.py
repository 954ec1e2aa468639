"""What users do, shaped as Telegram shapes it: entities, privacy mode, service messages."""

from __future__ import annotations

import re
import time

from tests.telegram_emulator.state import JSON, Chat, ControlError, Record, User
from tests.telegram_emulator.world import World

# A command starts a word; Telegram allows 1..32 [A-Za-z0-9_] and an optional @botname.
COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")
MENTION = re.compile(r"(?<![A-Za-z0-9_])@[A-Za-z0-9_]{3,32}(?![A-Za-z0-9_])")


def utf16_len(text: str) -> int:
    """Entity offsets and lengths count UTF-16 code units, not code points."""
    return len(text.encode("utf-16-le")) // 2


def entity_text(text: str, entity: JSON) -> str:
    raw = text.encode("utf-16-le")
    start, length = 2 * entity["offset"], 2 * entity["length"]
    return raw[start : start + length].decode("utf-16-le")


def text_entities(text: str) -> list[JSON]:
    found: list[tuple[int, int, str]] = []
    for kind, pattern in (("bot_command", COMMAND), ("mention", MENTION)):
        for match in pattern.finditer(text):
            if kind == "mention" and any(s <= match.start() < e for s, e, _ in found):
                continue  # the @bot of /cmd@bot belongs to the command
            found.append((match.start(), match.end(), kind))
    return [
        {"type": kind, "offset": utf16_len(text[:start]), "length": utf16_len(text[start:end])}
        for start, end, kind in sorted(found)
    ]


def reaches_bot(world: World, chat: Chat, record: Record) -> bool:
    """Privacy mode: in groups a bot only gets commands for it, mentions and replies to it."""
    if chat.type == "private" or not world.privacy_mode:
        return True
    reply = record.extra.get("reply_to_message")
    if reply is not None and reply["from"]["id"] == world.bot.id:
        return True
    name = (world.bot.username or "").lower()
    text = record.text or ""
    for entity in record.entities or []:
        word = entity_text(text, entity).lower()
        if entity["type"] == "bot_command" and ("@" not in word or word.endswith("@" + name)):
            return True
        if entity["type"] == "mention" and word == "@" + name:
            return True
    return False


def private_chat(world: World, user: User) -> Chat:
    """The user's chat with the bot, opened (and unblocked) by the user writing to it."""
    user.started = True
    user.blocked = False
    chat = world.chats.get(user.id)
    if chat is None:
        chat = Chat(id=user.id, type="private", members={user.id: "member"})
        world.chats[user.id] = chat
    return chat


def group_for(world: World, user: User, chat_id: int) -> Chat:
    chat = world.chat(chat_id)
    if chat.migrated_to is not None:
        raise ControlError(f"chat {chat_id} was migrated to {chat.migrated_to}")
    if chat.members.get(user.id) not in ("creator", "administrator", "member"):
        raise ControlError(f"user {user.id} is not a member of chat {chat_id}")
    return chat


def service(world: World, chat: Chat, actor: User, **fields: object) -> JSON:
    """Record a service message and queue it as a message update (privacy mode lets it by)."""
    record = world.add_record(chat, actor.id, extra=dict(fields))
    message = world.message_json(record)
    world.updates.push("message", message)
    return message


def new_group_id(world: World, supergroup: bool) -> int:
    n = world.next_id()
    return -(1_001_000_000_000 + n) if supergroup else -(4_000_000_000 + n)


def callback_query(world: World, user: User, record: Record, data: str) -> JSON:
    chat = world.chats[record.chat_id]
    return {
        "id": str(4_000_000_000_000_000 + world.next_id() * 1_000 + int(time.time()) % 1_000),
        "from": user.to_json(),
        "message": world.message_json(record),
        "chat_instance": chat.instance,
        "data": data,
    }


def pressable(record: Record | None, data: str) -> Record:
    if record is None or record.deleted or not record.by_bot:
        raise ControlError("no such bot message")
    rows = (record.reply_markup or {}).get("inline_keyboard", [])
    if not any(button.get("callback_data") == data for row in rows for button in row):
        raise ControlError(f"message {record.message_id} has no button with data {data!r}")
    return record
