"""Records in the private chat: /history pages, /stats with a chart, /export, receipt proofs.

Every command here answers in the private chat only (a group would show one person's
money to everyone), and every button checks that it was pressed there: callback data
and the message it comes with are chosen by the client, so both are checked, never trusted.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.chat.context import deps, payer_ref, tr
from bot.chat.messaging import private_sender
from bot.views import charts as stats_chart
from bot.views.callbacks import CALLBACK_MAX, HISTORY_PREFIX, PROOF_PREFIX
from bot.views.i18n import Translator
from bot.views.texts import common as texts
from bot.views.texts import records as texts_records
from core.domain.errors import InvalidInput, NotFound, Unavailable
from core.domain.ledger.exports import export_csv
from core.domain.ledger.figures import month_range
from core.usecases.engine import Engine
from core.usecases.records import RecordQuery, Viewer

log = logging.getLogger(__name__)

PAGE = 8
MAX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class Filters:
    """What /history was asked to show: a month ('YYYY-MM') and an order id, both optional."""

    month: str | None = None
    order_id: str | None = None

    def query(self, page: int) -> RecordQuery:
        since, until = month_range(self.month) if self.month else (None, None)
        return RecordQuery(
            since=since, until=until, order_id=self.order_id, limit=PAGE, offset=page * PAGE
        )

    def button(self, page: int) -> str | None:
        """The callback data of a page button, or None if the filters do not fit in it."""
        data = f"{HISTORY_PREFIX}{page}:{self.month or ''}:{self.order_id or ''}"
        return data if len(data.encode()) <= CALLBACK_MAX else None


def parse_filters(args: list[str]) -> Filters:
    """'/history 2026-11 ord_ab12': a month (checked now) and an order id, in any order."""
    month = order_id = None
    for arg in args[:2]:
        if arg[:4].isascii() and arg[:4].isdigit() and "-" in arg:
            month_range(arg)  # InvalidInput if it is not a real month
            month = arg
        else:
            order_id = arg
    return Filters(month, order_id)


def _page_data(data: str) -> tuple[int, Filters]:
    """A page button's data; anything forged or malformed is the first page, unfiltered."""
    raw, _, rest = data.removeprefix(HISTORY_PREFIX).partition(":")
    month, _, order_id = rest.partition(":")
    if not (raw.isascii() and raw.isdigit()):
        return 0, Filters()
    try:
        if month:
            month_range(month)
    except InvalidInput:
        return 0, Filters()
    return min(int(raw), MAX_PAGE), Filters(month or None, order_id or None)


async def history(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/history [YYYY-MM] [order id]: the user's own records, newest first, in pages."""
    sender = await private_sender(update)
    if sender is None:
        return
    user, msg = sender
    t = tr(user)
    try:
        filters = parse_filters(context.args or [])
        viewer = await deps(context).engine.viewer(payer_ref=payer_ref(user))
        text, markup = await _history_page(deps(context).engine, t, viewer, 0, filters)
    except InvalidInput as exc:
        await msg.reply_text(texts.bad_input(t, exc), parse_mode=ParseMode.HTML)
        return
    await msg.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def on_history_page(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not query.data or query.message is None:
        return
    await query.answer()
    if query.message.chat.id != user.id:  # history pages live in the private chat only
        return
    page, filters = _page_data(query.data)
    engine = deps(context).engine
    viewer = await engine.viewer(payer_ref=payer_ref(user))
    try:
        text, markup = await _history_page(engine, tr(user), viewer, page, filters)
    except InvalidInput:  # an order id no order can have: the first page, unfiltered
        text, markup = await _history_page(engine, tr(user), viewer, 0, Filters())
    try:
        await context.bot.edit_message_text(
            text,
            chat_id=query.message.chat.id,
            message_id=query.message.message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
        )
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():  # the same page pressed twice: done
            raise


async def _history_page(
    engine: Engine, t: Translator, viewer: Viewer, page: int, filters: Filters
) -> tuple[str, InlineKeyboardMarkup | None]:
    found = await engine.records(viewer, filters.query(page))
    filtered = filters != Filters()
    if not found.items and page == 0:
        empty = texts_records.history_none_match(t) if filtered else texts_records.history_empty(t)
        return empty, None
    pages = -(-found.total // PAGE)
    lines = [texts_records.history_header(t, page + 1, pages)]
    if filtered:
        lines.append(texts_records.history_filters(t, filters.month, filters.order_id))
    lines += [texts_records.record_line(t, r) for r in found.items]
    buttons = []
    newer, older = filters.button(page - 1), filters.button(page + 1)
    if page > 0 and newer is not None:
        buttons.append(InlineKeyboardButton(texts.newer_label(t), callback_data=newer))
    if found.has_more and older is not None:
        buttons.append(InlineKeyboardButton(texts.older_label(t), callback_data=older))
    return "\n".join(lines), InlineKeyboardMarkup([buttons]) if buttons else None


async def _records_asker(
    update: Update, context: ContextTypes.DEFAULT_TYPE
) -> tuple[Message, Translator, Engine, Viewer] | None:
    """The private sender of a records command: their message, texts, the engine, and who
    they are in the records."""
    sender = await private_sender(update)
    if sender is None:
        return None
    user, msg = sender
    engine = deps(context).engine
    return msg, tr(user), engine, await engine.viewer(payer_ref=payer_ref(user))


@dataclass(frozen=True, slots=True)
class Period:
    """The month a command asked for, and its bounds (all None: all time)."""

    month: str | None
    since: datetime | None
    until: datetime | None


async def _period_asked(msg: Message, t: Translator, args: list[str]) -> Period | None:
    """The month the command's arguments name; None once a bad one was answered."""
    try:
        month = parse_filters(args).month
        since, until = month_range(month) if month else (None, None)
    except InvalidInput as exc:
        await msg.reply_text(texts.bad_input(t, exc), parse_mode=ParseMode.HTML)
        return None
    return Period(month, since, until)


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats [YYYY-MM]: the payee's figures as text, then the chart of net per month."""
    asker = await _records_asker(update, context)
    if asker is None:
        return
    msg, t, engine, viewer = asker
    if viewer.payee_id is None:
        await msg.reply_text(texts_records.stats_none(t), parse_mode=ParseMode.HTML)
        return
    period = await _period_asked(msg, t, context.args or [])
    if period is None:
        return
    figures = await engine.stats(viewer.payee_id, period.since, period.until)
    summary = texts_records.stats_summary(t, figures, period.month)
    await msg.reply_text(summary, parse_mode=ParseMode.HTML)
    chart = await stats_chart.stats_chart(figures)
    if chart is not None:
        png, code = chart
        caption = texts_records.chart_caption(t, code)
        await msg.reply_photo(png, caption=caption, parse_mode=ParseMode.HTML)


async def export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/export [YYYY-MM]: the payee's records as a CSV document."""
    asker = await _records_asker(update, context)
    if asker is None:
        return
    msg, t, engine, viewer = asker
    period = await _period_asked(msg, t, context.args or [])
    if period is None:
        return
    payee_id, since, until = viewer.payee_id, period.since, period.until
    rows = await engine.export_rows(payee_id, since, until) if payee_id else []
    if not rows:
        await msg.reply_text(texts_records.export_empty(t), parse_mode=ParseMode.HTML)
        return
    name = f"chipin-records-{engine.deps.clock.now():%Y%m%d}.csv"
    document = InputFile(export_csv(rows).encode("utf-8"), filename=name)
    caption = texts_records.export_caption(t, len(rows))
    await msg.reply_document(document, caption=caption, parse_mode=ParseMode.HTML)


def proof_button(t: Translator, payment_id: str) -> InlineKeyboardButton | None:
    """The receipt's 'Proof file' button (None if the id does not fit in callback data)."""
    data = f"{PROOF_PREFIX}{payment_id}"
    if len(data.encode()) > CALLBACK_MAX:
        return None
    return InlineKeyboardButton(texts_records.proof_label(t), callback_data=data)


async def on_proof(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """'Proof file' under a receipt: the receipt JSON with its proof, for its payer only."""
    query, user = update.callback_query, update.effective_user
    if query is None or user is None or not query.data or query.message is None:
        return
    t, d = tr(user), deps(context)
    if query.message.chat.id != user.id:  # receipts live in the payer's private chat
        await query.answer(texts_records.no_receipt_alert(t), show_alert=True)
        return
    if d.receipts is None:
        await query.answer(texts_records.not_signing_alert(t), show_alert=True)
        return
    payment_id = query.data.removeprefix(PROOF_PREFIX)
    try:
        receipt = await d.engine.receipt(payment_id, payer_ref=payer_ref(user))
    except NotFound:
        await query.answer(texts_records.no_receipt_alert(t), show_alert=True)
        return
    except Unavailable:  # the ledger has no signing key
        await query.answer(texts_records.not_signing_alert(t), show_alert=True)
        return
    await query.answer()
    doc = d.receipts.document(receipt)
    name = f"receipt-{receipt.receipt_id}.json"
    body = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8")
    log.info("receipt %s sent to its payer", receipt.receipt_id)
    await context.bot.send_document(
        user.id,
        InputFile(body, filename=name),
        caption=texts_records.proof_caption(t, name),
        parse_mode=ParseMode.HTML,
    )
