"""/methods in private: the payee's own receiving methods listed, added and removed.

A SEPA account, a PIX key or a UPI id is added field by field (core.domain.methods.KIND_FIELDS).

A field whose form can be checked alone (an IBAN, a BIC, a PIX key, a UPI id) is checked as
soon as it is typed; the engine checks them all again when the method is added, and a field it
refuses is asked again with the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.chat.context import BotDeps, deps, payer_ref, tr
from bot.chat.messaging import payee_press, private_payee
from bot.views.callbacks import METHOD_ADD_PREFIX, METHOD_REMOVE_PREFIX, METHOD_SKIP_DATA
from bot.views.i18n import Translator
from bot.views.texts import common as texts
from bot.views.texts import methods as texts_methods
from core.domain.dialogs.machine import advance
from core.domain.dialogs.method import MACHINE as METHOD_MACHINE
from core.domain.dialogs.method import (
    OPTIONAL_FIELDS,
    MethodDialog,
    MethodEvent,
    MethodState,
    start_method,
)
from core.domain.errors import Conflict, InvalidInput, NotFound
from core.domain.model import MethodKind, PayeeId
from core.domain.payqr import epc, pix, upi
from core.ports.dialogs import begin, load, save

log = logging.getLogger(__name__)

# what can be checked of a field before the others are in
EARLY_CHECKS: dict[str, Callable[[str], str]] = {
    "iban": epc.check_iban,
    "bic": epc.check_bic,
    "key": pix.check_pix_key,
    "vpa": upi.check_vpa,
}


async def methods(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/methods: the payee's methods, with Remove and Add buttons."""
    sender = await private_payee(update, context)
    if sender is None:
        return
    user, msg, payee_id = sender
    text, markup = await _listing(deps(context), tr(user), payee_id)
    await msg.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _listing(
    d: BotDeps, t: Translator, payee_id: PayeeId
) -> tuple[str, InlineKeyboardMarkup]:
    found = await d.engine.methods_of(payee_id)
    lines = [texts_methods.methods_header(t) if found else texts_methods.methods_empty(t)]
    lines += [texts_methods.method_line(t, m) for m in found]
    rows = [
        [
            InlineKeyboardButton(
                texts_methods.remove_label(t, m), callback_data=METHOD_REMOVE_PREFIX + m.id
            )
        ]
        for m in found
    ]
    have = {m.kind for m in found}
    rows += [
        [
            InlineKeyboardButton(
                texts_methods.add_label(t, kind), callback_data=METHOD_ADD_PREFIX + kind.value
            )
        ]
        for kind in MethodKind
        if kind not in have
    ]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def on_add(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An Add button: the new method's fields are asked one by one."""
    press = await payee_press(update, context)
    if press is None:
        return
    query, t, d, user = press.query, press.t, deps(context), press.query.from_user
    raw = press.data.removeprefix(METHOD_ADD_PREFIX)
    kind = next((k for k in MethodKind if k.value == raw), None)
    if kind is None:
        await query.answer(texts_methods.add_gone_alert(t), show_alert=True)
        return
    await query.answer()
    if any(m.kind == kind for m in await d.engine.methods_of(press.payee_id)):
        await context.bot.send_message(user.id, texts_methods.method_exists(t, kind))
        return
    dialog = await begin(d.dialogs, user.id, start_method(kind))
    if dialog is None:
        return
    if kind == MethodKind.SEPA:
        await context.bot.send_message(user.id, texts_methods.sepa_name_warning(t))
    await _ask(context, user, dialog)


async def _ask(context: ContextTypes.DEFAULT_TYPE, user: User, dialog: MethodDialog) -> None:
    t = tr(user)
    markup = None
    if dialog.field in OPTIONAL_FIELDS:
        skip = InlineKeyboardButton(texts_methods.skip_label(t), callback_data=METHOD_SKIP_DATA)
        markup = InlineKeyboardMarkup([[skip]])
    text = texts_methods.ask_field(t, dialog.method, dialog.field)
    await context.bot.send_message(user.id, text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def on_skip(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Skip, under an optional field's question (a BIC)."""
    press = await payee_press(update, context)
    if press is None:
        return
    user = press.query.from_user
    dialog = await load(deps(context).dialogs, user.id, MethodDialog)
    asking = dialog is not None and dialog.state == MethodState.ASKING
    if dialog is None or not asking or dialog.field not in OPTIONAL_FIELDS:
        await press.query.answer(texts_methods.add_gone_alert(press.t), show_alert=True)
        return
    await press.query.answer()
    await _drop_markup(press.query.message)
    await _answer(context, user, dialog, "")


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Text while a new method's field is asked. True if used."""
    user, msg = update.effective_user, update.effective_message
    if user is None or msg is None:
        return False
    dialog = await load(deps(context).dialogs, user.id, MethodDialog)
    if dialog is None or dialog.state != MethodState.ASKING:
        return False
    await _answer(context, user, dialog, (msg.text or "").strip())
    return True


async def _answer(
    context: ContextTypes.DEFAULT_TYPE, user: User, dialog: MethodDialog, value: str
) -> None:
    """One field answered: checked if it can be alone, then the next field, or the method."""
    t, d = tr(user), deps(context)
    check = EARLY_CHECKS.get(dialog.field)
    if check is not None and value:
        try:
            check(value)
        except InvalidInput as exc:
            await _refused(context, user, dialog, exc)
            return
    moved = await save(d.dialogs, user.id, dialog.answer(value))
    if moved is None:  # a double answer: the first goes on
        return
    if moved.state == MethodState.ASKING:
        await _ask(context, user, moved)
        return
    payee_id = await d.engine.payee_named(payer_ref(user))
    try:
        added = await d.engine.add_method(payee_id, moved.method.value, moved.given)
    except InvalidInput as exc:
        again = await save(d.dialogs, user.id, moved.refused(exc.field))
        if again is not None:
            await _refused(context, user, again, exc)
        return
    except Conflict:
        await save(d.dialogs, user.id, advance(METHOD_MACHINE, moved, MethodEvent.SAVED))
        await context.bot.send_message(user.id, texts_methods.method_exists(t, moved.method))
        return
    await save(d.dialogs, user.id, advance(METHOD_MACHINE, moved, MethodEvent.SAVED))
    text = texts_methods.method_added(t, added)
    await context.bot.send_message(user.id, text, parse_mode=ParseMode.HTML)


async def _refused(
    context: ContextTypes.DEFAULT_TYPE, user: User, dialog: MethodDialog, exc: InvalidInput
) -> None:
    """The reason a field was refused, then its question again."""
    await context.bot.send_message(
        user.id, texts.bad_input(tr(user), exc), parse_mode=ParseMode.HTML
    )
    await _ask(context, user, dialog)


async def on_remove(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A Remove button: payers can no longer choose the method; the list is shown again."""
    press = await payee_press(update, context)
    if press is None:
        return
    query, t, d = press.query, press.t, deps(context)
    try:
        await d.engine.remove_method(press.payee_id, press.data.removeprefix(METHOD_REMOVE_PREFIX))
    except NotFound:
        await query.answer(texts_methods.gone_alert(t), show_alert=True)
        return
    await query.answer(texts_methods.removed_alert(t))
    text, markup = await _listing(d, t, press.payee_id)
    if isinstance(query.message, Message):
        try:
            await query.message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
        except TelegramError as exc:
            log.debug("methods list not edited: %s", exc)


async def _drop_markup(message: object) -> None:
    if isinstance(message, Message):
        try:
            await message.edit_reply_markup(None)
        except TelegramError as exc:
            log.debug("skip button not removed: %s", exc)
