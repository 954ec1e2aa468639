"""The payee's static codes: bind (by scan or /bind), /codes with its buttons, /fund in a group."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, User
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.chat.context import (
    deps,
    display_name,
    in_own_private_chat,
    lang_of,
    payer_ref,
    tr,
    user_data,
)
from bot.chat.messaging import is_private, own_press, private_payee, private_sender
from bot.chat.pay.payer import start_keypad
from bot.views.callbacks import (
    CODE_ACTION_PREFIX,
    CODE_BIND_KEY,
    CODE_BIND_PREFIX,
    CODE_KIND_PREFIX,
    CODE_MOVE_KEY,
    CODE_NAME_PREFIX,
)
from bot.views.i18n import Translator
from bot.views.texts import codes as texts_codes
from bot.views.texts import common as texts
from core.domain.codes import (
    CodeKind,
    CodeSpec,
    CodeState,
    RawSpec,
    StaticCode,
    build_spec,
    check_name,
)
from core.domain.errors import InvalidInput, LockedOut, NotAllowed, NotFound
from core.domain.params import parse_duration

log = logging.getLogger(__name__)

MESSAGE_CHARS = 3500


@dataclass(slots=True)
class BindDraft:
    """A binding being set up in the payee's private chat, step by step."""

    token: str
    label: str
    step: str = "kind"  # kind, price, goal, title, name, pin
    kind: str = ""
    amount: str | None = None
    goal: str | None = None
    deadline_text: str | None = None
    spec: CodeSpec | None = None


def drop_drafts(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Forget a binding or a move being set up: the payer's next text is for a payment."""
    user_data(context).pop(CODE_BIND_KEY, None)
    user_data(context).pop(CODE_MOVE_KEY, None)


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
        await context.bot.send_message(user.id, _locked(context, user, exc))
        return
    if code.state != CodeState.UNBOUND:
        await context.bot.send_message(user.id, await _bound_reply(context, user, code))
        return
    user_data(context)[CODE_BIND_KEY] = BindDraft(code.token, code.label)
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


def _locked(context: ContextTypes.DEFAULT_TYPE, user: User, exc: LockedOut) -> str:
    until = exc.fields.get("until")
    now = deps(context).engine.deps.clock.now()
    return texts_codes.guess_locked(tr(user), until if isinstance(until, datetime) else None, now)


async def _bound_reply(context: ContextTypes.DEFAULT_TYPE, user: User, code: StaticCode) -> str:
    payee_id = await deps(context).engine.payee_named(payer_ref(user))
    collection = await deps(context).engine.collection_of(payee_id)
    mine = collection is not None and code.collection_id == collection.id
    return texts_codes.already_bound(tr(user), mine)


async def on_kind(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not query.data:
        return
    await query.answer()
    draft = user_data(context).get(CODE_BIND_KEY)
    if not in_own_private_chat(query.message, user) or not isinstance(draft, BindDraft):
        return
    kind = query.data.removeprefix(CODE_KIND_PREFIX)
    if kind not in {k.value for k in CodeKind}:
        return
    draft.kind = kind
    draft.step = {"fixed": "price", "fund": "goal"}.get(kind, "title")
    await _ask(context, user, draft)


async def _ask(context: ContextTypes.DEFAULT_TYPE, user: User, draft: BindDraft) -> None:
    t, cur = tr(user), deps(context).currency.code
    markup = None
    if draft.step == "price":
        text = texts_codes.ask_price(t, cur)
    elif draft.step == "goal":
        text = texts_codes.ask_goal(t, cur)
    elif draft.step == "title":
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
    moving = user_data(context).pop(CODE_MOVE_KEY, None)
    if isinstance(moving, str):
        await _move(context, user, moving, msg.text or "")
        return True
    draft = user_data(context).get(CODE_BIND_KEY)
    if not isinstance(draft, BindDraft) or draft.step in ("kind", "pin"):
        return False
    await _step(context, user, draft, (msg.text or "").strip())
    return True


async def _step(
    context: ContextTypes.DEFAULT_TYPE, user: User, draft: BindDraft, text: str
) -> None:
    """One typed answer of the binding: check it at once, then ask the next question."""
    t, d = tr(user), deps(context)
    now = d.engine.deps.clock.now()
    raw = RawSpec(kind=draft.kind, currency=d.currency, title="")
    try:
        if draft.step == "price":
            build_spec(replace(raw, amount=text), d.engine.deps.config.max_amount_minor, now)
            draft.amount, draft.step = text, "title"
        elif draft.step == "goal":
            goal, _, when = text.partition(" ")
            draft.goal, draft.deadline_text = goal, when.strip() or None
            build_spec(_draft_raw(draft, raw, now), d.engine.deps.config.max_amount_minor, now)
            draft.step = "title"
        elif draft.step == "title":
            spec_raw = _draft_raw(draft, raw, now)
            draft.spec = build_spec(
                replace(spec_raw, title=text), d.engine.deps.config.max_amount_minor, now
            )
            draft.step = "name"
        else:
            await _confirm(context, user, draft, text)
            return
    except InvalidInput as exc:
        await context.bot.send_message(user.id, texts.bad_input(t, exc), parse_mode=ParseMode.HTML)
        return
    await _ask(context, user, draft)


def _draft_raw(draft: BindDraft, raw: RawSpec, now: datetime) -> RawSpec:
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
    draft = user_data(context).get(CODE_BIND_KEY)
    if not in_own_private_chat(query.message, user) or not isinstance(draft, BindDraft):
        return
    if draft.step == "name":
        await _confirm(context, user, draft, display_name(user))


async def _confirm(
    context: ContextTypes.DEFAULT_TYPE, user: User, draft: BindDraft, name: str
) -> None:
    """Ask the payment password; the code is bound once it is verified."""
    t = tr(user)
    try:
        check_name(name)
    except InvalidInput as exc:
        await context.bot.send_message(user.id, texts.bad_input(t, exc), parse_mode=ParseMode.HTML)
        return
    draft.step = "pin"
    await context.bot.send_message(user.id, texts_codes.bind_pin(t))

    async def bind() -> None:
        await _bind(context, user, draft, name)

    await start_keypad(context, user, None, then=bind)


async def _bind(
    context: ContextTypes.DEFAULT_TYPE, user: User, draft: BindDraft, name: str
) -> None:
    t, d = tr(user), deps(context)
    user_data(context).pop(CODE_BIND_KEY, None)
    if draft.spec is None:
        return
    payee_id = await d.engine.payee_named(payer_ref(user))
    try:
        code = await d.engine.bind_code(draft.token, payee_id, draft.spec, name)
    except InvalidInput as exc:
        await context.bot.send_message(user.id, texts.bad_input(t, exc), parse_mode=ParseMode.HTML)
        return
    except NotAllowed as exc:
        mine = "to you" in exc.message
        await context.bot.send_message(user.id, texts_codes.already_bound(t, mine))
        return
    except LockedOut as exc:
        await context.bot.send_message(user.id, _locked(context, user, exc))
        return
    text = texts_codes.bound(t, code.label, draft.spec, name.strip())
    await context.bot.send_message(user.id, text, parse_mode=ParseMode.HTML)


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
            user_data(context)[CODE_MOVE_KEY] = short
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
        text = _locked(context, user, exc)
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
        text = _locked(context, user, exc)
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
        await msg.reply_text(_locked(context, user, exc))
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
