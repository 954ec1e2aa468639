"""The end of binding a code: once the payment password is verified, bind it (the binding
dialog's last step; its first ones are in bot.chat.codes.manage, which opens the keypad)."""

from __future__ import annotations

from datetime import datetime

from telegram import User
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.chat.context import deps, payer_ref, tr
from bot.views.texts import codes as texts_codes
from bot.views.texts import common as texts
from core.domain.dialogs.binding import MACHINE, BindingDialog, BindingEvent, BindingState
from core.domain.dialogs.machine import advance
from core.domain.errors import InvalidInput, LockedOut, NotAllowed
from core.ports.dialogs import load, save


def guess_locked(context: ContextTypes.DEFAULT_TYPE, user: User, exc: LockedOut) -> str:
    """Too many wrong code references: until when this payee may not try another."""
    until = exc.fields.get("until")
    now = deps(context).engine.deps.clock.now()
    return texts_codes.guess_locked(tr(user), until if isinstance(until, datetime) else None, now)


async def bind_verified(context: ContextTypes.DEFAULT_TYPE, user: User) -> None:
    """The payment password is right: bind the code of the user's binding dialog, if it is
    waiting for it (a binding started over meanwhile is not bound)."""
    t, d = tr(user), deps(context)
    draft = await load(d.dialogs, user.id, BindingDialog)
    if draft is None or draft.state != BindingState.PIN:
        return
    if await save(d.dialogs, user.id, advance(MACHINE, draft, BindingEvent.VERIFIED)) is None:
        return
    if draft.spec is None or draft.name is None:
        return
    payee_id = await d.engine.payee_named(payer_ref(user))
    try:
        code = await d.engine.bind_code(draft.token, payee_id, draft.spec, draft.name)
    except InvalidInput as exc:
        await context.bot.send_message(user.id, texts.bad_input(t, exc), parse_mode=ParseMode.HTML)
        return
    except NotAllowed as exc:
        mine = "to you" in exc.message
        await context.bot.send_message(user.id, texts_codes.already_bound(t, mine))
        return
    except LockedOut as exc:
        await context.bot.send_message(user.id, guess_locked(context, user, exc))
        return
    text = texts_codes.bound(t, code.label, draft.spec, draft.name.strip())
    await context.bot.send_message(user.id, text, parse_mode=ParseMode.HTML)
