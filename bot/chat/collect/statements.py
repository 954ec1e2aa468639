"""A bank statement a payee sends in private (CAMT.053, MT940, OFX): read and imported.

Its booked credits are matched to the payee's transfers by reference and amount
(core.usecases.payments.statements); the reply counts what matched and lists lines to check.

A file bigger than the engine reads is refused by its declared size, before it is
downloaded; a file that is no statement changes nothing and says why.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.chat.context import deps, tr
from bot.chat.messaging import private_payee
from bot.views.texts import methods as texts_methods
from core.domain.errors import Conflict, Unavailable
from core.domain.statements import StatementUnreadable
from core.usecases.payments.statements import MAX_FILE_BYTES

log = logging.getLogger(__name__)

LIMIT_MB = MAX_FILE_BYTES // 2**20


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A document in the private chat: a bank statement to import."""
    sender = await private_payee(update, context)
    if sender is None:
        return
    user, msg, payee_id = sender
    document = msg.document
    if document is None:
        return
    t, d = tr(user), deps(context)
    if not await d.engine.methods_of(payee_id):  # a payer's screenshot, say: no statement
        await msg.reply_text(texts_methods.statement_without_methods(t))
        return
    if document.file_size is not None and document.file_size > MAX_FILE_BYTES:
        await msg.reply_text(texts_methods.statement_too_big(t, LIMIT_MB))
        return
    data = bytes(await (await document.get_file()).download_as_bytearray())
    if len(data) > MAX_FILE_BYTES:
        await msg.reply_text(texts_methods.statement_too_big(t, LIMIT_MB))
        return
    try:
        statement = await asyncio.to_thread(d.engine.read_statement, data, document.file_name)
    except StatementUnreadable as exc:
        await msg.reply_text(texts_methods.statement_unreadable(t, exc))
        return
    except Unavailable:
        await msg.reply_text(texts_methods.statement_unavailable(t))
        return
    try:
        report = await d.engine.import_statement(payee_id, statement)
    except Conflict:  # the same lines imported at this very moment (a double send)
        await msg.reply_text(texts_methods.statement_busy(t))
        return
    lines = [
        texts_methods.statement_imported(
            t, report.format, report.credits, report.again, report.outcomes
        ),
        *texts_methods.lines_to_check(t, report.to_check),
    ]
    await msg.reply_text("\n".join(lines), parse_mode=ParseMode.HTML)
