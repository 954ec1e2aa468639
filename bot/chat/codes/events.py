"""What payees and groups see when money reaches a static code: the payee's note, a fund's
live progress message (edits coalesced), and the goal announced once."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.chat.context import deps
from bot.chat.letters import letter
from bot.views.callbacks import CODE_EDITS_KEY, CODE_PENDING_KEY, LANG_KEY
from bot.views.i18n import translator
from bot.views.texts import codes as texts_codes
from bot.views.texts import common as texts
from core.domain.codes import CodeKind
from core.domain.events import CodePaid, DomainEvent, FundGoalReached
from core.domain.model import PayeeId
from core.domain.money import Money
from core.domain.outbox import Letter
from core.domain.payers import telegram_user_id

log = logging.getLogger(__name__)

EDIT_EVERY_S = 3.0  # at most one edit of a fund's progress message per 3 s
_LATER: set[asyncio.Task[None]] = set()


async def tell(context: ContextTypes.DEFAULT_TYPE, event: DomainEvent) -> list[Letter] | None:
    """The letters of a static code's event; None if it is not one."""
    if isinstance(event, CodePaid):
        return await _paid(context, event)
    if isinstance(event, FundGoalReached):
        return await _reached(context, event)
    return None


async def _payee_chat(context: ContextTypes.DEFAULT_TYPE, payee_id: PayeeId) -> int | None:
    payee = await deps(context).engine.payee(payee_id)
    return telegram_user_id(payee.name) if payee is not None else None


def _lang(context: ContextTypes.DEFAULT_TYPE, user_id: int) -> str | None:
    found = context.application.user_data.get(user_id, {}).get(LANG_KEY)
    return found if isinstance(found, str) else None


async def _paid(context: ContextTypes.DEFAULT_TYPE, event: CodePaid) -> list[Letter]:
    """Tell the payee who paid how much to which code."""
    d = deps(context)
    card, _posts = await d.engine.fund_progress(event.binding_id)
    view = await d.engine.order_view(event.order_id)
    if view is None:
        return []
    # The money is the order's payee's, even if the code was unbound meanwhile.
    chat = await _payee_chat(context, view.order.payee_id)
    if chat is None:
        return []
    t = translator(_lang(context, chat))
    payer = next((s.payer_name for s in view.subs if s.payer_name), None) or "?"
    amount = Money(event.amount_minor, view.order.currency)
    if card is not None:
        what, label = texts_codes.what_for(t, card.spec), card.code.label
    else:
        code = await d.engine.code_of_order(event.order_id)
        what = texts.esc(view.order.title) if view.order.title else "—"
        label = code.label if code is not None else "—"
    text = texts_codes.received(t, amount, what, label, payer)
    return [letter(chat, text, "code paid")]


async def _reached(context: ContextTypes.DEFAULT_TYPE, event: FundGoalReached) -> list[Letter]:
    """The goal, announced in every chat showing the fund's progress and to the payee."""
    d = deps(context)
    card, posts = await d.engine.fund_progress(event.binding_id)
    if card is None:
        return []
    chats = [(chat_id, lang) for chat_id, _m, lang in posts]
    payee_chat = await _payee_chat(context, card.collection.payee_id)
    if payee_chat is not None and payee_chat not in {c for c, _l in chats}:
        chats.append((payee_chat, _lang(context, payee_chat)))
    return [
        letter(
            chat_id,
            texts_codes.goal_reached(translator(lang), card.spec, event.raised_minor),
            "goal reached",
        )
        for chat_id, lang in chats
    ]


async def refresh_funds(context: ContextTypes.DEFAULT_TYPE, events: Sequence[DomainEvent]) -> None:
    """Payments to funds just committed: their progress messages are edited soon."""
    for binding_id in dict.fromkeys(e.binding_id for e in events if isinstance(e, CodePaid)):
        await _refresh_soon(context, binding_id)


async def _refresh_soon(context: ContextTypes.DEFAULT_TYPE, binding_id: str) -> None:
    """Edit the fund's progress messages now, or once EDIT_EVERY_S has passed since the
    last edit; payments meanwhile are folded into that one edit."""
    data = context.application.bot_data
    pending: set[str] = data.setdefault(CODE_PENDING_KEY, set())
    if binding_id in pending:
        return
    last: dict[str, float] = data.setdefault(CODE_EDITS_KEY, {})
    wait = last.get(binding_id, float("-inf")) + EDIT_EVERY_S - time.monotonic()
    if wait <= 0:
        await _refresh(context, binding_id)
        return
    pending.add(binding_id)

    async def later() -> None:
        await asyncio.sleep(wait)
        pending.discard(binding_id)
        await _refresh(context, binding_id)

    task = asyncio.get_running_loop().create_task(later(), name=f"fund {binding_id} edit")
    _LATER.add(task)  # kept until done: the loop holds tasks weakly
    task.add_done_callback(_LATER.discard)


async def _refresh(context: ContextTypes.DEFAULT_TYPE, binding_id: str) -> None:
    d = deps(context)
    context.application.bot_data.setdefault(CODE_EDITS_KEY, {})[binding_id] = time.monotonic()
    card, posts = await d.engine.fund_progress(binding_id)
    if card is None or card.spec.kind != CodeKind.FUND:
        return
    now = d.engine.deps.clock.now()
    for chat_id, message_id, lang in posts:
        text = texts_codes.fund_progress(
            translator(lang),
            card.collector,
            card.spec,
            card.raised_minor,
            card.payments,
            now,
        )
        try:
            await context.bot.edit_message_text(
                text, chat_id=chat_id, message_id=message_id, parse_mode=ParseMode.HTML
            )
        except BadRequest as exc:
            log.debug("chat %s: progress unchanged or gone: %s", chat_id, exc)
        except TelegramError as exc:
            log.warning("chat %s: fund progress not edited: %s", chat_id, exc)
