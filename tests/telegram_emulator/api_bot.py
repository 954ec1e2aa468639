"""Bot API methods about the bot itself: identity, updates, webhook, commands, callbacks, chats."""

from __future__ import annotations

import json
import re
import time
from typing import Any

from tests.telegram_emulator.api_messages import Handler
from tests.telegram_emulator.params import Params
from tests.telegram_emulator.state import JSON, PRESENT, CallbackAnswer, Chat, bad_request
from tests.telegram_emulator.updates import parse_webhook
from tests.telegram_emulator.world import World

QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
POLL_TIMEOUT_MAX_S = 50
COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
ADMIN_RIGHTS = (
    "can_be_edited",
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
)


async def get_me(world: World, p: Params) -> JSON:
    me = world.bot.to_json()
    me.update(
        can_join_groups=True,
        can_read_all_group_messages=not world.privacy_mode,
        supports_inline_queries=False,
        can_connect_to_business=False,
        has_main_web_app=False,
    )
    return me


async def get_updates(world: World, p: Params) -> list[JSON]:
    limit = min(max(p.int_("limit", 100) or 100, 1), 100)
    timeout_s = min(max(p.float_("timeout"), 0.0), POLL_TIMEOUT_MAX_S)
    allowed = p.json_("allowed_updates")
    if allowed is not None and not isinstance(allowed, list):
        raise bad_request("can't parse allowed_updates JSON object")
    return await world.updates.get_updates(p.int_("offset"), limit, timeout_s, allowed)


async def set_webhook(world: World, p: Params) -> bool:
    url = p.str_("url") or ""
    drop = p.bool_("drop_pending_updates")
    if not url:
        world.updates.set_webhook(None, drop)
        return True
    hook = parse_webhook(
        url, p.str_("secret_token"), p.json_("allowed_updates"), p.int_("max_connections", 40) or 40
    )
    world.updates.set_webhook(hook, drop)
    return True


async def delete_webhook(world: World, p: Params) -> bool:
    world.updates.set_webhook(None, p.bool_("drop_pending_updates"))
    return True


async def get_webhook_info(world: World, p: Params) -> JSON:
    return world.updates.webhook_info()


def commands_key(scope: object, language_code: str | None) -> str:
    """Command lists are kept per (scope, language), as setMyCommands scopes them."""
    return json.dumps([scope or {"type": "default"}, language_code or ""], sort_keys=True)


def _commands_key(p: Params) -> str:
    return commands_key(p.json_("scope"), p.str_("language_code"))


async def set_my_commands(world: World, p: Params) -> bool:
    commands = p.json_("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    for command in commands:
        if not isinstance(command, dict) or not COMMAND.match(str(command.get("command"))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description") or "")) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    world.commands[_commands_key(p)] = [
        {"command": c["command"], "description": c["description"]} for c in commands
    ]
    return True


async def get_my_commands(world: World, p: Params) -> list[JSON]:
    return world.commands.get(_commands_key(p), [])


async def delete_my_commands(world: World, p: Params) -> bool:
    world.commands.pop(_commands_key(p), None)
    return True


async def answer_callback_query(world: World, p: Params) -> bool:
    query = world.queries.get(p.need_str("callback_query_id"))
    if query is None or query.answer is not None:
        raise bad_request(QUERY_TOO_OLD)
    query.answer = CallbackAnswer(
        text=p.str_("text"),
        show_alert=p.bool_("show_alert"),
        url=p.str_("url"),
        cache_time=p.int_("cache_time", 0) or 0,
        answered_at=time.time(),
    )
    world.signal.fire()
    return True


async def get_chat(world: World, p: Params) -> JSON:
    chat = world.target(p.need_str("chat_id"), sending=False)
    info = world.chat_json(chat)
    info.update(
        accent_color_id=0,
        max_reaction_count=11,
        accepted_gift_types={
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    )
    return info


def member_json(world: World, chat: Chat, user_id: int) -> JSON:
    """A ChatMember as getChatMember answers it, for the bot or a user."""
    if user_id == world.bot.id:
        user, status = world.bot, chat.bot_status
    else:
        found = world.users.get(user_id)
        if found is None:
            raise bad_request("user not found")
        user = found
        status = "member" if chat.type == "private" else chat.members.get(user_id, "left")
    out: JSON = {"status": status, "user": user.to_json()}
    if status == "creator":
        out["is_anonymous"] = False
    elif status == "administrator":
        out.update(dict.fromkeys(ADMIN_RIGHTS, False))
        out.update(can_manage_chat=True, can_delete_messages=True, can_invite_users=True)
    elif status == "kicked":
        out["until_date"] = 0
    return out


async def get_chat_member(world: World, p: Params) -> JSON:
    chat = world.target(p.need_str("chat_id"), sending=False)
    return member_json(world, chat, p.need_int("user_id"))


async def get_chat_member_count(world: World, p: Params) -> int:
    chat = world.target(p.need_str("chat_id"), sending=False)
    if chat.type == "private":
        return 2
    present = sum(1 for status in chat.members.values() if status in PRESENT)
    return present + (1 if chat.bot_status in PRESENT else 0)


async def leave_chat(world: World, p: Params) -> bool:
    chat = world.target(p.need_str("chat_id"), sending=False)
    if chat.type == "private":
        raise bad_request("chat member status can't be changed in private chats")
    old = member_json(world, chat, world.bot.id)
    chat.bot_status = "left"
    update: dict[str, Any] = {
        "chat": world.chat_json(chat),
        "from": world.bot.to_json(),
        "date": int(time.time()),
        "old_chat_member": old,
        "new_chat_member": member_json(world, chat, world.bot.id),
    }
    world.updates.push("my_chat_member", update)
    return True


HANDLERS: dict[str, Handler] = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "answerCallbackQuery": answer_callback_query,
    "getChat": get_chat,
    "getChatMember": get_chat_member,
    "getChatMemberCount": get_chat_member_count,
    "leaveChat": leave_chat,
}
