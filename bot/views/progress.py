"""The live progress message of an order in its chat: text, progress bar and buttons."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.views.callbacks import CALLBACK_MAX, CANCEL_PREFIX, REMIND_PREFIX
from bot.views.i18n import Translator
from bot.views.texts import payouts as texts_payouts
from bot.views.texts import transfers as texts_transfers
from bot.views.texts.common import cancel_label, esc, money, pay_label, remind_label, short
from bot.views.timefmt import time_left
from core.domain.errors import invariant
from core.domain.model import DIRECT_KINDS, Mode, OrderId, OrderState, SubOrder, SubOrderState
from core.domain.money import Money
from core.domain.payouts import PayoutAccount
from core.usecases.deps import OrderView

BAR_CELLS = 10
MESSAGE_MAX = 4096  # Telegram's limit for a message text, after entity parsing
PAID_BUDGET = 1200  # characters (escaped) of paid payers' names before "and N more"
DIRECT_BUDGET = 600  # characters (escaped) of those who paid straight to the payee
WAITING_BUDGET = 800  # characters (escaped) of unpaid named payers
TITLE_MAX = 100

Display = Callable[[SubOrder], str | None]
Assignee = Callable[[SubOrder], str | None]


def progress_bar(paid: int, n: int, cells: int = BAR_CELLS) -> str:
    """'▓▓▓▓░░░░░░': proportional to paid/n, rounded down, full only when all n are paid."""
    invariant(n > 0 and 0 <= paid <= n, "progress needs 0 <= paid <= n and n > 0")
    filled = paid * cells // n
    if paid < n:
        filled = min(filled, cells - 1)
    return "▓" * filled + "░" * (cells - filled)


def remind_data(order_id: OrderId) -> str:
    return _callback(REMIND_PREFIX, order_id)


def cancel_data(order_id: OrderId) -> str:
    return _callback(CANCEL_PREFIX, order_id)


def _callback(prefix: str, order_id: OrderId) -> str:
    data = f"{prefix}{order_id}"
    invariant(len(data.encode()) <= CALLBACK_MAX, "callback_data is at most 64 bytes")
    return data


def name_list(t: Translator, names: Sequence[str], budget: int) -> str:
    """Escaped names joined by commas until `budget` characters, then 'and N more'."""
    return _joined(t, [esc(short(name)) for name in names], budget)


def _joined(t: Translator, pieces: Sequence[str], budget: int) -> str:
    """Pieces (escaped already) joined by commas until `budget` characters, then 'and N more'."""
    shown: list[str] = []
    used = 0
    for piece in pieces:
        if shown and used + len(piece) + 2 > budget:
            break
        shown.append(piece)
        used += len(piece) + 2
    text = ", ".join(shown)
    more = len(pieces) - len(shown)
    if more:
        text += " " + t.gettext("and {n} more").format(n=more)
    return text


def _default_display(names: Mapping[str, str] | None) -> Display:
    def display(sub: SubOrder) -> str | None:
        named = getattr(sub, "payer_name", None)
        if isinstance(named, str) and named:
            return named
        if names and sub.payer_ref:
            return names.get(sub.payer_ref)
        return None

    return display


def _default_assignee(sub: SubOrder) -> str | None:
    found = getattr(sub, "assignee", None)
    return found if isinstance(found, str) and found else None


def _paid_names(t: Translator, subs: Sequence[SubOrder], display: Display) -> list[str]:
    paid = [s for s in subs if s.state is SubOrderState.PAID]
    paid.sort(key=lambda s: (s.paid_at.timestamp() if s.paid_at else float("inf"), s.idx))
    return [display(s) or t.gettext("Payer {n}").format(n=s.idx + 1) for s in paid]


def _direct_names(
    t: Translator, subs: Sequence[SubOrder], display: Display, settled: Mapping[str, str]
) -> list[str]:
    """Who paid straight to the payee, each with the method and how it was settled."""
    paid = [s for s in subs if s.state is SubOrderState.PAID and s.gateway in DIRECT_KINDS]
    paid.sort(key=lambda s: (s.paid_at.timestamp() if s.paid_at else float("inf"), s.idx))
    found = []
    for s in paid:
        method = s.gateway or ""
        how = texts_transfers.how_settled(t, method, settled.get(s.id))
        name = esc(short(display(s) or t.gettext("Payer {n}").format(n=s.idx + 1)))
        shown = how or esc(texts_transfers.kind_label(t, method))
        found.append(texts_transfers.direct_name(t, name, shown))
    return found


def _open_lines(
    t: Translator,
    view: OrderView,
    now: datetime,
    assignee: Assignee,
    paused: PayoutAccount | None,
) -> list[str]:
    lines: list[str] = []
    if view.held_count:
        held = view.held_count
        lines.append(t.ngettext("⏳ {n} paying now", "⏳ {n} paying now", held).format(n=held))
    claimed = sum(1 for s in view.subs if s.state is SubOrderState.CLAIMED)
    if claimed:
        lines.append(texts_transfers.waiting_line(t, claimed))
    waiting = [
        name
        for s in sorted(view.subs, key=lambda s: s.idx)
        if s.state in (SubOrderState.AVAILABLE, SubOrderState.RESERVED)
        and (name := assignee(s)) is not None
    ]
    if waiting:
        listed = name_list(t, waiting, WAITING_BUDGET)
        lines.append(t.gettext("Waiting for: {names}").format(names=listed))
    if view.order.mode is Mode.ALL:
        lines.append(
            t.gettext("All or nothing: charged only when all {n} have paid.").format(n=view.order.n)
        )
    if paused is not None:
        lines.append(texts_payouts.paused_line(t, paused))
    lines.append(t.gettext("Closes {when}").format(when=time_left(t, view.order.expires_at, now)))
    return lines


def _closed_lines(t: Translator, view: OrderView) -> list[str]:
    order = view.order
    states = {
        OrderState.COMPLETED: t.gettext("✅ Complete: everyone has paid."),
        OrderState.EXPIRED: t.gettext("⌛ Expired."),
        OrderState.CANCELLED: t.gettext("✖️ Cancelled."),
    }
    lines = [states[order.state]]
    if order.mode is Mode.ALL and order.state is not OrderState.COMPLETED:
        lines.append(t.gettext("All or nothing: no payment is kept; every one is refunded."))
    if order.refunded_minor > 0:
        refunded = money(Money(order.refunded_minor, order.currency))
        lines.append(t.gettext("Refunded to payers: {amount}").format(amount=refunded))
    return lines


def _keyboard(t: Translator, view: OrderView, pay_url: str) -> InlineKeyboardMarkup:
    if view.order.state is not OrderState.OPEN:
        return InlineKeyboardMarkup(())
    order_id = view.order.id
    return InlineKeyboardMarkup(
        (
            (InlineKeyboardButton(pay_label(t), url=pay_url),),
            (
                InlineKeyboardButton(remind_label(t), callback_data=remind_data(order_id)),
                InlineKeyboardButton(cancel_label(t), callback_data=cancel_data(order_id)),
            ),
        )
    )


def render_progress(
    view: OrderView,
    names: Mapping[str, str] | None,
    now: datetime,
    t: Translator,
    pay_url: str,
    *,
    display: Display | None = None,
    assignee: Assignee | None = None,
    settled: Mapping[str, str] | None = None,
    paused: PayoutAccount | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """The progress message (HTML) and its keyboard for the order's current state.

    A payer's name comes from `display(sub)`, else the sub-order's `payer_name` (when it
    has one), else `names[sub.payer_ref]`, else 'Payer 3'. A named payer's handle comes
    from `assignee(sub)`, else the sub-order's `assignee` field (when it has one).
    `settled` says, by sub-order id, how each part paid straight to the payee came to count
    (core.domain.model.Settled). `paused` is the payee's Stripe account while the order's
    card parts cannot be paid into it (Engine.card_paused): the open order says so.
    """
    order = view.order
    paid = order.paid_count
    collected = money(Money(order.paid_minor, order.currency))
    lines = [
        "🧾 " + f"<b>{esc(short(order.title, TITLE_MAX))}</b>",
        t.gettext("Paid {paid}/{n}").format(paid=paid, n=order.n)
        + f"  {progress_bar(min(paid, order.n), order.n)}",
        t.gettext("Collected {amount} of {total}").format(
            amount=f"<b>{collected}</b>", total=money(order.total)
        ),
    ]
    shown = display or _default_display(names)
    paid_names = _paid_names(t, view.subs, shown)
    if paid_names:
        listed = name_list(t, paid_names, PAID_BUDGET)
        lines.append(t.gettext("✅ {names}").format(names=listed))
    direct = _direct_names(t, view.subs, shown, settled or {})
    if direct:
        lines.append(texts_transfers.direct_line(t, _joined(t, direct, DIRECT_BUDGET)))
    if order.state is OrderState.OPEN:
        lines += _open_lines(t, view, now, assignee or _default_assignee, paused)
    else:
        lines += _closed_lines(t, view)
    text = "\n".join(lines)
    invariant(len(text) < MESSAGE_MAX, "the progress message fits one Telegram message")
    return text, _keyboard(t, view, pay_url)


def progress_key(text: str, markup: InlineKeyboardMarkup | None) -> str:
    """A digest of what the message would show, to skip an edit that changes nothing."""
    keys = markup if markup is not None and any(markup.inline_keyboard) else None
    body = json.dumps(keys.to_dict() if keys else {}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(f"{text}\x00{body}".encode()).hexdigest()


def shown_progress(
    view: OrderView,
    now: datetime,
    t: Translator,
    pay_url: str,
    *,
    assignee: Assignee,
    settled: Mapping[str, str] | None = None,
    paused: PayoutAccount | None = None,
) -> tuple[str, InlineKeyboardMarkup, str]:
    """The progress message and keyboard now, and the key of what they show: the key is
    taken as if it were the moment the order was made, so the countdown ("Closes in 2 h")
    moving on is no reason to edit; a change of state always is (OrderPost.shown_key)."""

    def at(when: datetime) -> tuple[str, InlineKeyboardMarkup]:
        return render_progress(
            view, None, when, t, pay_url, assignee=assignee, settled=settled, paused=paused
        )

    text, markup = at(now)
    still = at(view.order.created_at)
    return text, markup, progress_key(*still)
