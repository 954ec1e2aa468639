"""What the payee and the group read: QR card words, completion, totals, reminders, /status."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from bot.views.i18n import Translator
from bot.views.texts.common import esc, money, short
from bot.views.timefmt import clock, stamp, time_left
from core.domain.model import Order, OrderState
from core.domain.money import Money, format_money
from core.usecases.deps import OrderView

TITLE_MAX = 100
REMIND_NAMES = 30  # named payers listed in a reminder before "and N more"


class CardTexts(NamedTuple):
    """The words on the QR card image (plain text: the card is a picture, not HTML)."""

    title: str
    amount_text: str
    currency: str
    deadline_text: str
    subtitle: str


def _title(title: str) -> str:
    return f"<b>{esc(short(title, TITLE_MAX))}</b>"


def _major(amount_minor: int, order: Order) -> str:
    """'40.00' without the code (the card prints the currency on its own)."""
    return format_money(Money(amount_minor, order.currency)).rsplit(" ", 1)[0]


def card_texts(t: Translator, view: OrderView, now: datetime) -> CardTexts:
    """The QR card's words for an order: the part per payer, or the range of parts."""
    order = view.order
    amounts = sorted({s.amount_minor for s in view.subs}) or [order.total_minor]
    low, high = amounts[0], amounts[-1]
    if low != high:  # shares, or an equal split whose remainder cents go to the first parts
        amount_text = t.gettext("{low} to {high}").format(
            low=_major(low, order), high=_major(high, order)
        )
    else:
        amount_text = _major(low, order)
    return CardTexts(
        title=order.title or t.gettext("Chipin"),
        amount_text=amount_text,
        currency=order.currency.code,
        deadline_text=t.gettext("Closes {when}").format(when=clock(t, order.expires_at, now)),
        subtitle=t.ngettext(
            "Per payer · scan or tap Pay · {n} payer",
            "Per payer · scan or tap Pay · {n} payers",
            order.n,
        ).format(n=order.n),
    )


def order_state_label(t: Translator, state: OrderState) -> str:
    labels = {
        OrderState.OPEN: t.gettext("open"),
        OrderState.COMPLETED: t.gettext("completed"),
        OrderState.EXPIRED: t.gettext("expired"),
        OrderState.CANCELLED: t.gettext("cancelled"),
    }
    return labels[state]


def password_request(t: Translator, title: str) -> str:
    """Private message to a payee who typed `password`: send the order password here."""
    return t.gettext(
        "🔑 Send me the order password for {title} as a message here. Payers will need it; "
        "it is never shown in the group."
    ).format(title=_title(title))


def password_saved(t: Translator, title: str) -> str:
    return t.gettext("✅ The order password for {title} is set.").format(title=_title(title))


def completed_announcement(t: Translator, order: Order) -> str:
    """In the group, once all N have paid."""
    return t.ngettext(
        "🎉 {title}: {n} payer paid, {amount} collected. Thank you!",
        "🎉 {title}: all {n} payers paid, {amount} collected. Thank you!",
        order.n,
    ).format(
        title=_title(order.title), n=order.n, amount=money(Money(order.paid_minor, order.currency))
    )


def _refund_line(t: Translator, order: Order) -> str | None:
    if order.refunded_minor <= 0:
        return None
    return t.gettext("Refunded to payers: {amount}").format(
        amount=money(Money(order.refunded_minor, order.currency))
    )


def payee_totals(t: Translator, order: Order, payers: Sequence[str] = ()) -> str:
    """Private message to the payee when an order ends: what came in, from whom."""
    lines = [
        t.gettext("📊 {title} is {state}.").format(
            title=_title(order.title), state=order_state_label(t, order.state)
        ),
        t.gettext("Collected: {amount} of {total}").format(
            amount=f"<b>{money(Money(order.paid_minor, order.currency))}</b>",
            total=money(order.total),
        ),
        t.gettext("Paid: {paid}/{n}").format(paid=order.paid_count, n=order.n),
    ]
    refund = _refund_line(t, order)
    if refund:
        lines.append(refund)
    if payers:
        shown = ", ".join(esc(short(p)) for p in payers[:REMIND_NAMES])
        more = len(payers) - REMIND_NAMES
        if more > 0:
            shown += " " + t.gettext("and {n} more").format(n=more)
        lines.append(t.gettext("From: {names}").format(names=shown))
    return "\n".join(lines)


def reminder(
    t: Translator,
    *,
    title: str,
    unpaid: Sequence[str],
    open_slots: int,
    deadline: datetime,
    now: datetime,
) -> str:
    """In the group: who still has to pay (named payers) or how many parts are open."""
    head = t.gettext("⏰ Reminder: {title} closes {when}.").format(
        title=_title(title), when=time_left(t, deadline, now)
    )
    if unpaid:
        names = ", ".join(esc(short(n)) for n in unpaid[:REMIND_NAMES])
        more = len(unpaid) - REMIND_NAMES
        if more > 0:
            names += " " + t.gettext("and {n} more").format(n=more)
        return head + "\n" + t.gettext("Still to pay: {names}").format(names=names)
    return (
        head
        + "\n"
        + t.ngettext("{n} part is still open.", "{n} parts are still open.", open_slots).format(
            n=open_slots
        )
    )


def reminder_sent_alert(t: Translator) -> str:
    return t.gettext("Reminder sent.")


def reminder_used_alert(t: Translator) -> str:
    return t.gettext("You have already sent a reminder for this order.")


def cancel_confirm_alert(t: Translator) -> str:
    return t.gettext(
        "Press Cancel again within 30 s to cancel this order. Everyone who paid is refunded."
    )


def anonymous_admin(t: Translator) -> str:
    return t.gettext(
        "Anonymous admins cannot collect money: I could not tell who you are. Turn off "
        "“Remain anonymous”, or send the command to me in a private chat."
    )


def cancelled_alert(t: Translator) -> str:
    return t.gettext("Order cancelled. Any payments are refunded.")


def status_header(t: Translator, count: int) -> str:
    return t.ngettext(
        "<b>{n} open order</b> in this chat:", "<b>{n} open orders</b> in this chat:", count
    ).format(n=count)


def status_empty(t: Translator) -> str:
    return t.gettext("No open orders in this chat. Start one with /split or /collect.")


def status_line(t: Translator, order: Order, now: datetime) -> str:
    """'• Dinner: 2/6 paid, 80.00 USD of 240.00 USD, closes in 1 h 20 min (23:59 UTC)'."""
    return t.gettext("• {title}: {paid}/{n} paid, {amount} of {total}, closes {when}").format(
        title=_title(order.title),
        paid=order.paid_count,
        n=order.n,
        amount=money(Money(order.paid_minor, order.currency)),
        total=money(order.total),
        when=time_left(t, order.expires_at, now),
    )


def password_under_attack(t: Translator, title: str, failures: int, since: datetime) -> str:
    """The order's password is being guessed from many places: told once, in private."""
    return t.ngettext(
        "⚠️ Someone is guessing the password of {title}: {n} wrong password since {time}. "
        "Each payer may now try once a minute, and those who keep guessing are locked out; "
        "payers who know the password can still pay.",
        "⚠️ Someone is guessing the password of {title}: {n} wrong passwords since {time}. "
        "Each payer may now try once a minute, and those who keep guessing are locked out; "
        "payers who know the password can still pay.",
        failures,
    ).format(title=_title(title), n=failures, time=stamp(t, since))


def clear_locks_label(t: Translator) -> str:
    return t.gettext("🔓 Clear the locks")


def locks_cleared(t: Translator) -> str:
    return t.gettext("✅ Locks cleared: everyone may try the password again.")


def locks_cleared_alert(t: Translator) -> str:
    return t.gettext("Locks cleared.")
