"""What the payee reads in /holds: who holds parts of their open orders, and releasing one."""

from __future__ import annotations

from datetime import datetime

from bot.views.i18n import Translator
from bot.views.texts.common import esc, money, short
from bot.views.timefmt import time_left
from core.domain.model import Order, SubOrder
from core.domain.money import Money
from core.domain.payers import shown_payer, telegram_user_id

TITLE_MAX = 60
LABEL_TITLE_MAX = 24  # a button's label stays short enough to read on a phone


def holds_empty(t: Translator) -> str:
    return t.gettext("Nobody is holding a part of your open orders right now.")


def holds_header(t: Translator) -> str:
    return t.gettext(
        "⏳ <b>Parts held right now</b>. A hold lapses by itself; releasing one frees the "
        "part at once and stops its checkout."
    )


def order_line(t: Translator, order: Order) -> str:
    return t.gettext("🧾 {title}: {paid}/{n} paid").format(
        title=f"<b>{esc(short(order.title or 'Chipin', TITLE_MAX))}</b>",
        paid=order.paid_count,
        n=order.n,
    )


def held_line(t: Translator, order: Order, sub: SubOrder, now: datetime) -> str:
    """'• #2 Bob: 33.33 USD, held until in 12 min (14:05 UTC)'."""
    who = esc(short(_holder(sub))) or t.gettext("someone")
    until = time_left(t, sub.hold_until, now) if sub.hold_until else t.gettext("now")
    return t.gettext("• #{part} {who}: {amount}, lapses {when}").format(
        part=sub.idx + 1,
        who=who,
        amount=money(Money(sub.amount_minor, order.currency)),
        when=until,
    )


def release_label(t: Translator, order: Order, sub: SubOrder) -> str:
    """A plain-text button label: 'Release #2 · Dinner'."""
    return t.gettext("Release #{part} · {title}").format(
        part=sub.idx + 1, title=short(order.title or "Chipin", LABEL_TITLE_MAX)
    )


def more_held(t: Translator, n: int) -> str:
    return t.ngettext("and {n} more held part", "and {n} more held parts", n).format(n=n)


def release_confirm_alert(t: Translator, order: Order, sub: SubOrder) -> str:
    """Plain text (an alert): the first press names who loses the part."""
    who = short(_holder(sub)) or t.gettext("someone")
    return t.gettext(
        "Press again within 30 s to release part #{part} of {title}: {who} can no longer "
        "pay it there."
    ).format(part=sub.idx + 1, title=short(order.title or "Chipin", TITLE_MAX), who=who)


def _holder(sub: SubOrder) -> str:
    """Who holds the part, as the payee knows them: the name they go by, an API payer's own
    text; '' for a bot payer with no name (never their numeric id)."""
    if sub.payer_name:
        return sub.payer_name
    if telegram_user_id(sub.payer_ref) is not None:
        return ""
    return shown_payer(sub.payer_ref) or ""


def released_alert(t: Translator, part: int) -> str:
    return t.gettext("Part #{part} is free again.").format(part=part)


def not_held_alert(t: Translator) -> str:
    return t.gettext("That part is no longer held.")
