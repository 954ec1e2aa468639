"""The payee's static codes: bind (by scan or /bind), /codes with its buttons, /fund in a group."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, User
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.chat.codes.binding import guess_locked
from bot.chat.context import (
    deps,
    display_name,
    in_own_private_chat,
    lang_of,
    payer_ref,
    tr,
)
from bot.chat.messaging import is_private, own_press, private_payee, private_sender
from bot.chat.pay.payer import start_keypad
from bot.views.callbacks import (
    CODE_ACTION_PREFIX,
    CODE_BIND_PREFIX,
    CODE_KIND_PREFIX,
    CODE_NAME_PREFIX,
)
from bot.views.i18n import Translator
from bot.views.texts import codes as texts_codes
from bot.views.texts import common as texts
from core.domain.codes import (
    CodeKind,
    CodeState,
    RawSpec,
    StaticCode,
    build_spec,
    check_name,
)
from core.domain.dialogs import binding, move
from core.domain.dialogs.binding import BindingDialog, BindingEvent, BindingState
from core.domain.dialogs.machine import DialogKind, Refused, advance
from core.domain.dialogs.move import MoveDialog, MoveEvent, MoveState
from core.domain.dialogs.pin import After
from core.domain.errors import InvalidInput, LockedOut, NotAllowed, NotFound
from core.domain.params import parse_duration
from core.ports.dialogs import begin, load, save

log = logging.getLogger(__name__)

MESSAGE_CHARS = 3500


async def drop_drafts(context: ContextTypes.DEFAULT_TYPE, user: User) -> None:
    """Forget a binding or a move being set up: the payer's next text is for a payment."""
    await deps(context).dialogs.delete(user.id, DialogKind.BINDING)
    await deps(context).dialogs.delete(user.id, DialogKind.MOVE)


async def bind_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/bind K7PQ-3MXD: bind a printed code (private chat only)."""
    sender = await private_sender(update)
    if sender is None:
        return
    user, msg = sender
    t = tr(user)
    if not context.args:
        await msg.reply_text(texts_codes.bind_usage(t))
        return
    await _offer_kinds(context, user, " ".join(context.args))


async def on_bind_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """'Bind this code to me' on an unbound code's card."""
    pressed = await own_press(update)
    if pressed is not None:
        user, data = pressed
        await _offer_kinds(context, user, data.removeprefix(CODE_BIND_PREFIX))


async def _offer_kinds(context: ContextTypes.DEFAULT_TYPE, user: User, ref: str) -> None:
    t, d = tr(user), deps(context)
    payee_id = await d.engine.payee_named(payer_ref(user))
    try:
        code = await d.engine.lookup_code(ref, payee_id)
    except InvalidInput as exc:
        await context.bot.send_message(user.id, texts.bad_input(t, exc), parse_mode=ParseMode.HTML)
        return
    except NotFound:
        await context.bot.send_message(user.id, texts_codes.no_code(t))
        return
    except LockedOut as exc:
        await context.bot.send_message(user.id, guess_locked(context, user, exc))
        return
    if code.state != CodeState.UNBOUND:
        await context.bot.send_message(user.id, await _bound_reply(context, user, code))
        return
    draft = BindingDialog(state=BindingState.KIND, token=code.token, label=code.label)
    await begin(deps(context).dialogs, user.id, draft)
    rows = [
        [
            InlineKeyboardButton(
                texts_codes.kind_label(t, k), callback_data=CODE_KIND_PREFIX + k.value
            )
        ]
        for k in CodeKind
    ]
    await context.bot.send_message(
        user.id,
        texts_codes.choose_kind(t, code.label),
        parse_mode=ParseMode.HTML,
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def _bound_reply(context: ContextTypes.DEFAULT_TYPE, user: User, code: StaticCode) -> str:
    payee_id = await deps(context).engine.payee_named(payer_ref(user))
    collection = await deps(context).engine.collection_of(payee_id)
    mine = collection is not None and code.collection_id == collection.id
    return texts_codes.already_bound(tr(user), mine)


async def on_kind(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A kind button: only while the binding dialog asks for the kind (refused by state)."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not query.data:
        return
    await query.answer()
    draft = await load(deps(context).dialogs, user.id, BindingDialog)
    if not in_own_private_chat(query.message, user) or draft is None:
        return
    kind = query.data.removeprefix(CODE_KIND_PREFIX)
    if kind not in {k.value for k in CodeKind}:
        return
    moved = await _advance(context, user, draft, binding.kind_event(CodeKind(kind)), code_kind=kind)
    if moved is not None:
        await _ask(context, user, moved)


async def _advance(
    context: ContextTypes.DEFAULT_TYPE,
    user: User,
    draft: BindingDialog,
    event: BindingEvent,
    **data: object,
) -> BindingDialog | None:
    """The binding after `event`, kept; None when its state does not take the event (an old
    or a double press) or another write came first."""
    try:
        moved = advance(binding.MACHINE, draft, event, **data)
    except Refused:
        return None
    return await save(deps(context).dialogs, user.id, moved)


async def _ask(context: ContextTypes.DEFAULT_TYPE, user: User, draft: BindingDialog) -> None:
    t, cur = tr(user), deps(context).currency.code
    markup = None
    if draft.state == BindingState.PRICE:
        text = texts_codes.ask_price(t, cur)
    elif draft.state == BindingState.GOAL:
        text = texts_codes.ask_goal(t, cur)
    elif draft.state == BindingState.TITLE:
        text = texts_codes.ask_title(t)
    else:
        text = texts_codes.ask_name(t)
        button = InlineKeyboardButton(display_name(user), callback_data=CODE_NAME_PREFIX)
        markup = InlineKeyboardMarkup([[button]])
    await context.bot.send_message(user.id, text, reply_markup=markup)


async def on_private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Text while a binding or a move is being set up. True if used."""
    user, msg = update.effective_user, update.effective_message
    if user is None or msg is None:
        return False
    dialogs = deps(context).dialogs
    moving = await load(dialogs, user.id, MoveDialog)
    if moving is not None and moving.state == MoveState.ASKED:
        if await save(dialogs, user.id, advance(move.MACHINE, moving, MoveEvent.TYPED)):
            await _move(context, user, moving.short, msg.text or "")
        return True
    draft = await load(dialogs, user.id, BindingDialog)
    if draft is None or draft.state not in binding.TYPED_ANSWERS:
        return False
    await _step(context, user, draft, (msg.text or "").strip())
    return True


async def _step(
    context: ContextTypes.DEFAULT_TYPE, user: User, draft: BindingDialog, text: str
) -> None:
    """One typed answer of the binding: check it at once, then ask the next question."""
    t, d = tr(user), deps(context)
    now = d.engine.deps.clock.now()
    raw = RawSpec(kind=draft.code_kind, currency=d.currency, title="")
    most = d.engine.deps.config.max_amount_minor
    data: dict[str, Any]
    try:
        if draft.state == BindingState.PRICE:
            build_spec(replace(raw, amount=text), most, now)
            event, data = BindingEvent.PRICE_GIVEN, {"amount": text}
        elif draft.state == BindingState.GOAL:
            goal, _, when = text.partition(" ")
            data = {"goal": goal, "deadline_text": when.strip() or None}
            given = replace(draft, goal=goal, deadline_text=data["deadline_text"])
            build_spec(_draft_raw(given, raw, now), most, now)
            event = BindingEvent.GOAL_GIVEN
        elif draft.state == BindingState.TITLE:
            spec = build_spec(replace(_draft_raw(draft, raw, now), title=text), most, now)
            event, data = BindingEvent.TITLE_GIVEN, {"spec": spec}
        else:
            await _confirm(context, user, draft, text)
            return
    except InvalidInput as exc:
        await context.bot.send_message(user.id, texts.bad_input(t, exc), parse_mode=ParseMode.HTML)
        return
    moved = await _advance(context, user, draft, event, **data)
    if moved is not None:
        await _ask(context, user, moved)


def _draft_raw(draft: BindingDialog, raw: RawSpec, now: datetime) -> RawSpec:
    deadline = None
    if draft.deadline_text:
        deadline = now + parse_duration(draft.deadline_text, "deadline")
    return replace(raw, amount=draft.amount, goal=draft.goal, deadline=deadline)


async def on_name(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The payee's own Telegram name, pressed as the collector's name."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    await query.answer()
    draft = await load(deps(context).dialogs, user.id, BindingDialog)
    if not in_own_private_chat(query.message, user) or draft is None:
        return
    if draft.state == BindingState.NAME:
        await _confirm(context, user, draft, display_name(user))


async def _confirm(
    context: ContextTypes.DEFAULT_TYPE, user: User, draft: BindingDialog, name: str
) -> None:
    """Ask the payment password; the code is bound once it is verified
    (bot.chat.codes.binding)."""
    t = tr(user)
    try:
        check_name(name)
    except InvalidInput as exc:
        await context.bot.send_message(user.id, texts.bad_input(t, exc), parse_mode=ParseMode.HTML)
        return
    if await _advance(context, user, draft, BindingEvent.NAME_GIVEN, name=name) is None:
        return
    await context.bot.send_message(user.id, texts_codes.bind_pin(t))
    await start_keypad(context, user, None, after=After.BIND_CODE)


async def codes_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/codes: each code with its mode, totals today and this month, last payments."""
    sender = await private_payee(update, context)
    if sender is None:
        return
    user, msg, payee_id = sender
    t, d = tr(user), deps(context)
    collection = await d.engine.collection_of(payee_id)
    all_totals = await d.engine.code_totals(payee_id)
    if collection is None or not all_totals:
        await msg.reply_text(texts_codes.no_codes(t))
        return
    now = d.engine.deps.clock.now()
    text = texts_codes.codes_header(t, collection.id, collection.modes)
    rows: list[list[InlineKeyboardButton]] = []
    for totals in all_totals:
        part = texts_codes.code_summary(t, totals, now)
        if len(text) + len(part) > MESSAGE_CHARS:  # Telegram takes 4096 characters at most
            await msg.reply_text(
                text, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows)
            )
            text, rows = "", []
        text = f"{text}\n\n{part}" if text else part
        rows.append(_action_row(t, totals.code))
    await msg.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=InlineKeyboardMarkup(rows))


def _action_row(t: Translator, code: StaticCode) -> list[InlineKeyboardButton]:
    switch = "off" if code.state == CodeState.ACTIVE else "on"
    return [
        InlineKeyboardButton(
            texts_codes.action_label(t, action, code.label),
            callback_data=f"{CODE_ACTION_PREFIX}{action}:{code.short}",
        )
        for action in (switch, "unbind", "move")
    ]


async def on_action(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A /codes button: switch off or on, unbind, or move one of the presser's codes."""
    pressed = await own_press(update)
    if pressed is None:
        return
    user, data = pressed
    action, _, short = data.removeprefix(CODE_ACTION_PREFIX).partition(":")
    t, d = tr(user), deps(context)
    payee_id = await d.engine.payee_named(payer_ref(user))
    try:
        code = (await d.engine.own_code(short, payee_id))[0]
        if action == "move":
            await begin(d.dialogs, user.id, MoveDialog(state=MoveState.ASKED, short=short))
            text = texts_codes.ask_move(t, code.label)
        elif action == "unbind":
            await d.engine.unbind_code(short, payee_id)
            text = texts_codes.unbound_done(t, code.label)
        elif action in ("on", "off"):
            done = await d.engine.set_code_enabled(short, payee_id, action == "on")
            text = texts_codes.state_done(t, code.label, done.state)
        else:
            return
    except (NotFound, InvalidInput):
        text = texts_codes.no_code(t)
    except LockedOut as exc:
        text = guess_locked(context, user, exc)
    await context.bot.send_message(user.id, text, parse_mode=ParseMode.HTML)


async def _move(context: ContextTypes.DEFAULT_TYPE, user: User, short: str, to: str) -> None:
    t, d = tr(user), deps(context)
    payee_id = await d.engine.payee_named(payer_ref(user))
    try:
        old = (await d.engine.own_code(short, payee_id))[0]
        moved = await d.engine.move_code(short, to.strip(), payee_id)
    except InvalidInput as exc:
        text = texts.bad_input(t, exc)
    except NotFound:
        text = texts_codes.no_code(t)
    except NotAllowed:
        text = texts_codes.already_bound(t, mine=False)
    except LockedOut as exc:
        text = guess_locked(context, user, exc)
    else:
        text = texts_codes.moved(t, old.label, moved.label)
    await context.bot.send_message(user.id, text, parse_mode=ParseMode.HTML)


async def fund_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/fund K7PQ-3MXD in a group: post the fund's live progress message there."""
    user, msg, chat = update.effective_user, update.effective_message, update.effective_chat
    if user is None or msg is None or chat is None:
        return
    t, d = tr(user), deps(context)
    if is_private(update) or not context.args:
        await msg.reply_text(texts_codes.fund_usage(t))
        return
    payee_id = await d.engine.payee_named(payer_ref(user))
    try:
        code = (await d.engine.own_code(context.args[0], payee_id))[0]
    except (NotFound, InvalidInput):
        await msg.reply_text(texts_codes.no_code(t))
        return
    except LockedOut as exc:
        await msg.reply_text(guess_locked(context, user, exc))
        return
    if code.spec is None or code.spec.kind != CodeKind.FUND or code.binding_id is None:
        await msg.reply_text(texts_codes.not_a_fund(t))
        return
    card, _posts = await d.engine.fund_progress(code.binding_id)
    if card is None:
        return
    now = d.engine.deps.clock.now()
    text = texts_codes.fund_progress(
        t, card.collector, card.spec, card.raised_minor, card.payments, now
    )
    sent = await msg.reply_text(text, parse_mode=ParseMode.HTML)
    await d.engine.post_fund(code.short, payee_id, chat.id, sent.message_id, lang_of(user))
