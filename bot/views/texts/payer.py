"""What the payer reads in the private chat: order card, password keypad, hold, receipt, history."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.views.i18n import Translator
from bot.views.texts.common import esc, money, short
from bot.views.timefmt import duration, stamp, time_left
from core.domain.model import Mode
from core.domain.money import Money

PIN_LENGTH = 6
TITLE_MAX = 100


def pin_dots(entered: int, length: int = PIN_LENGTH) -> str:
    """'● ● ○ ○ ○ ○': how many digits are in, never which."""
    filled = max(0, min(entered, length))
    return " ".join(["●"] * filled + ["○"] * (length - filled))


def _title(title: str) -> str:
    return f"<b>{esc(short(title, TITLE_MAX))}</b>"


def order_card(
    t: Translator,
    *,
    payee: str,
    title: str,
    due: Money,
    slots_left: int,
    n: int,
    deadline: datetime,
    now: datetime,
    has_password: bool = False,
    mode: Mode = Mode.KEEP,
) -> str:
    """The order a deep link opened: who collects, what for, the part due, what is left."""
    lines = [
        "🧾 " + _title(title),
        t.gettext("Collected by {payee}").format(payee=esc(short(payee))),
        t.gettext("Your part: {amount}").format(amount=f"<b>{money(due)}</b>"),
        t.ngettext(
            "{left} of {n} part still open", "{left} of {n} parts still open", slots_left
        ).format(left=slots_left, n=n),
        t.gettext("Closes {when}").format(when=time_left(t, deadline, now)),
    ]
    if mode is Mode.ALL:
        lines.append(t.gettext("All or nothing: you are charged only if all {n} pay.").format(n=n))
    if has_password:
        lines.append(t.gettext("🔑 This order has a password."))
    return "\n".join(lines)


def pin_set(t: Translator, entered: int = 0) -> str:
    return t.gettext(
        "🔐 Set your 6-digit payment password. You will enter it for every payment.\n\n{dots}"
    ).format(dots=pin_dots(entered))


def pin_repeat(t: Translator, entered: int = 0) -> str:
    return t.gettext("🔐 Enter the same password again.\n\n{dots}").format(dots=pin_dots(entered))


def pin_mismatch(t: Translator) -> str:
    return t.gettext(
        "❌ The passwords did not match. Set your 6-digit payment password again.\n\n{dots}"
    ).format(dots=pin_dots(0))


def pin_set_done(t: Translator) -> str:
    return t.gettext("✅ Your payment password is set.")


def pin_enter(t: Translator, entered: int = 0) -> str:
    return t.gettext("🔐 Enter your payment password.\n\n{dots}").format(dots=pin_dots(entered))


def pin_wrong(t: Translator, tries_left: int) -> str:
    text = t.ngettext(
        "❌ Wrong payment password. {n} try left before payments lock.",
        "❌ Wrong payment password. {n} tries left before payments lock.",
        tries_left,
    ).format(n=tries_left)
    return f"{text}\n\n{pin_dots(0)}"


def pin_locked(t: Translator, until: datetime, now: datetime) -> str:
    return t.gettext(
        "🔒 Too many wrong passwords. Payments are locked for {duration}; try again {when}."
    ).format(duration=duration(t, until - now), when=time_left(t, until, now))


def too_many_tries(t: Translator, wait_s: int) -> str:
    """Out of tries for a moment (many at once, or an order whose password is being guessed
    at): not a lock-out, a short wait."""
    return t.gettext("⏳ Too many tries right now. Try again in {duration}.").format(
        duration=duration(t, timedelta(seconds=wait_s))
    )


def pin_change_old(t: Translator, entered: int = 0) -> str:
    return t.gettext("🔐 Enter your current payment password.\n\n{dots}").format(
        dots=pin_dots(entered)
    )


def pin_change_new(t: Translator, entered: int = 0) -> str:
    return t.gettext("🔐 Now choose a new 6-digit payment password.\n\n{dots}").format(
        dots=pin_dots(entered)
    )


def pin_changed(t: Translator) -> str:
    return t.gettext("✅ Your payment password was changed.")


def order_password_prompt(t: Translator, title: str) -> str:
    return t.gettext(
        "🔑 {title} has an order password. Send it here as a message; only I will see it."
    ).format(title=_title(title))


def order_password_wrong(t: Translator) -> str:
    return t.gettext("❌ That order password is wrong. Ask the person collecting and try again.")


def order_password_locked(t: Translator, title: str, until: datetime, now: datetime) -> str:
    """Too many wrong passwords for this order from this payer (only them: others still pay)."""
    return t.gettext("🔒 Too many wrong passwords for {title}. You can try again {when}.").format(
        title=_title(title), when=time_left(t, until, now)
    )


def reserved(t: Translator, *, title: str, due: Money, hold_until: datetime, now: datetime) -> str:
    """The payer holds a part: pay it before the hold runs out."""
    return t.gettext(
        "⏳ A part of {title} is held for you.\nPay {amount} within {duration}, "
        "before {time}; after that the part goes back to the others."
    ).format(
        title=_title(title),
        amount=f"<b>{money(due)}</b>",
        duration=duration(t, hold_until - now),
        time=stamp(t, hold_until),
    )


def checkout_label(t: Translator, due: Money) -> str:
    return t.gettext("Pay {amount}").format(amount=money(due))


def receipt(
    t: Translator,
    *,
    title: str,
    amount: Money,
    paid_at: datetime,
    receipt_id: str,
    leaf_index: int | None = None,
    settled: str | None = None,
) -> str:
    """The payer's receipt; with a ledger entry, its index and how to get the proof file.
    `settled` says how a part paid straight to the payee came to count (a line as it is)."""
    lines = [
        t.gettext("✅ <b>Payment received</b>"),
        t.gettext("Amount: {amount}").format(amount=f"<b>{money(amount)}</b>"),
        t.gettext("Order: {title}").format(title=esc(short(title, TITLE_MAX))),
        t.gettext("Time: {time}").format(time=stamp(t, paid_at)),
    ]
    if settled:
        lines.append(settled)
    lines += [
        t.gettext("Receipt: {id}").format(id=f"<code>{esc(receipt_id)}</code>"),
    ]
    if leaf_index is not None:
        lines.append(t.gettext("Ledger entry: #{index}").format(index=leaf_index))
        lines.append(
            t.gettext("Press Proof file for a file anyone can check against Chipin's signed log.")
        )
    return "\n".join(lines)


def already_paid(t: Translator, title: str) -> str:
    return t.gettext("✅ You have already paid your part of {title}. Nothing more to do.").format(
        title=_title(title)
    )


def hold_released_by_payee(t: Translator, title: str) -> str:
    """The payee let this payer's hold go before they paid."""
    return t.gettext(
        "The person collecting for {title} let your reserved part go; nothing was paid. "
        "If you still want to pay, tap Pay on the order again."
    ).format(title=_title(title))


def order_full(t: Translator, title: str) -> str:
    return t.gettext("Every part of {title} is paid or being paid; nothing was reserved.").format(
        title=_title(title)
    )


def too_many_holds(t: Translator, title: str, minutes: int) -> str:
    """This payer took too many parts of the order lately (TooManyHolds): when to try again."""
    return t.ngettext(
        "You took too many parts of {title} in a short time; nothing was reserved. "
        "Try again in {n} minute.",
        "You took too many parts of {title} in a short time; nothing was reserved. "
        "Try again in {n} minutes.",
        minutes,
    ).format(title=_title(title), n=minutes)


def order_closed(t: Translator, title: str, state: str) -> str:
    """`state` is an OrderState value, or 'lapsed' when the payer's own hold ran out."""
    messages = {
        "completed": t.gettext("{title} is complete: everyone has paid. Nothing was charged."),
        "expired": t.gettext("{title} has expired. Nothing was charged."),
        "cancelled": t.gettext("{title} was cancelled. Nothing was charged."),
        "lapsed": t.gettext("Your hold on {title} ran out. Open the link again to pay."),
    }
    fallback = t.gettext("{title} is closed. Nothing was charged.")
    return messages.get(state, fallback).format(title=_title(title))


def order_not_found(t: Translator) -> str:
    """A deep link whose token matches no order (mistyped, or never existed)."""
    return t.gettext("This payment link is not valid. Ask the person collecting for a new one.")


def not_for_you(t: Translator, title: str, payee: str) -> str:
    return t.gettext(
        "{title} is for the payers {payee} named, and you are not one of them."
    ).format(title=_title(title), payee=esc(short(payee)))
