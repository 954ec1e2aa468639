"""What payers and payees read about payment methods: the choice, Telegram invoices, refunds.

Telegram HTML like the other texts modules, except the invoice's own words and the
pre-checkout refusals, which Telegram shows as plain text (`_plain` in their names).
"""

from __future__ import annotations

from bot.views.i18n import Translator
from bot.views.texts.common import esc, money, short
from core.domain.model import DIRECT_KINDS, MethodKind
from core.domain.money import STARS, Money
from core.domain.payouts import CARD_HOLD_LIFETIME
from core.usecases.payments.prechecks import Verdict

TITLE_MAX = 100
INVOICE_TITLE_MAX = 32  # Telegram's limits for sendInvoice
INVOICE_DESCRIPTION_MAX = 255


def _title(title: str) -> str:
    return f"<b>{esc(short(title, TITLE_MAX))}</b>"


def method_label(t: Translator, gateway: str, currency: str) -> str:
    """A payment method's button: what the payer recognises, not our gateway's name."""
    if gateway == "telegram":
        return t.gettext("Telegram Stars") if currency == STARS else t.gettext("Telegram Pay")
    if gateway == MethodKind.SEPA:
        return t.gettext("Bank transfer ({scheme})").format(scheme="SEPA")
    if gateway in (MethodKind.PIX, MethodKind.UPI):
        return gateway.upper()  # the scheme's own name, in every language
    labels = {
        "stripe": t.gettext("Card (Stripe)"),
        "sandbox": t.gettext("Sandbox (test money)"),
    }
    return labels.get(gateway, gateway)


def choose_method(t: Translator, title: str, due: Money) -> str:
    return t.gettext("💳 How do you want to pay {amount} for {title}?").format(
        amount=f"<b>{money(due)}</b>", title=_title(title)
    )


def method_chosen(t: Translator, label: str) -> str:
    return t.gettext("💳 Paying with {method}.").format(method=esc(label))


def choice_gone_alert(t: Translator) -> str:
    return t.gettext("This choice is no longer open. Open the payment link again.")


def pay_below(t: Translator) -> str:
    return t.gettext("👇 Pay with the invoice below.")


def invoice_title_plain(title: str) -> str:
    return short(title or "Chipin", INVOICE_TITLE_MAX)


def invoice_description_plain(t: Translator, title: str, payee: str) -> str:
    text = t.gettext("Your part of {title}, collected by {payee} with Chipin.").format(
        title=short(title or "Chipin", 80), payee=short(payee or "Chipin")
    )
    return short(text, INVOICE_DESCRIPTION_MAX)


def price_label_plain(t: Translator) -> str:
    return t.gettext("Your part")


def precheck_refusal_plain(t: Translator, verdict: Verdict, title: str, state: str = "") -> str:
    """Why Telegram must not take the money (shown by Telegram, as plain text)."""
    name = short(title or "Chipin", 60)
    if verdict == Verdict.CLOSED and state == "expired":
        return t.gettext("{title} has expired. Nothing was charged.").format(title=name)
    if verdict == Verdict.CLOSED and state == "cancelled":
        return t.gettext("{title} was cancelled. Nothing was charged.").format(title=name)
    messages = {
        Verdict.FULL: t.gettext("Every part of {title} is paid. Nothing was charged."),
        Verdict.CLOSED: t.gettext("Every part of {title} is paid. Nothing was charged."),
        Verdict.NOT_YOURS: t.gettext(
            "This invoice is for someone else's part of {title}. Open the payment link to "
            "pay your own."
        ),
        Verdict.PAID: t.gettext("You have already paid your part of {title}."),
        Verdict.LAPSED: t.gettext("Your hold on {title} ran out. Open the link again to pay."),
        Verdict.WRONG_AMOUNT: t.gettext(
            "This invoice does not match your part of {title}. Open the payment link again."
        ),
    }
    fallback = t.gettext("This invoice is no longer valid. Open the payment link again.")
    return messages.get(verdict, fallback).format(title=name)


def payment_recording(t: Translator) -> str:
    """Telegram took the money but Chipin could not record it yet (it will, by itself)."""
    return t.gettext(
        "✅ Telegram took your payment. I could not record it yet; I will, and your "
        "receipt follows within a few minutes."
    )


def why(t: Translator, reason: str) -> str:
    """Why a payment could not count, from the engine's reason ('order full', ...)."""
    reasons = {
        "order full": t.gettext("every part was paid already"),
        "order completed": t.gettext("every part was paid already"),
        "order expired": t.gettext("the order had expired"),
        "order cancelled": t.gettext("the order was cancelled"),
        "reservation no longer held": t.gettext("your hold had run out"),
        "amount mismatch": t.gettext("the amount did not match your part"),
        "cancelled": t.gettext("the order was cancelled"),
        "its part was let go before the money came": t.gettext(
            "the part had been let go before the money came"
        ),
    }
    return reasons.get(reason, t.gettext("it was not for an open part"))


def late_refunding(t: Translator, amount: str, title: str, reason: str) -> str:
    """The payer's money came too late and goes back by itself (Stars)."""
    return t.gettext(
        "↩️ Your payment of {amount} for {title} could not count: {why}. "
        "It is being refunded to you."
    ).format(amount=f"<b>{amount}</b>", title=_title(title), why=why(t, reason))


def owed_to_payee(
    t: Translator, payer: str, amount: str, title: str, reason: str, gateway: str = ""
) -> str:
    """The payee must give a payment back by hand: Telegram cannot refund it, or it is a
    transfer into the payee's own account, which only the payee can return."""
    if gateway in DIRECT_KINDS:
        return t.gettext(
            "↩️ {payer} paid {amount} for {title} by {method}, but it could not count: "
            "{why}.\nThe money is in your own account, so only you can return it: please "
            "send it back to {payer} yourself (/returns shows its reference), then press "
            "the button."
        ).format(
            payer=esc(short(payer)),
            amount=f"<b>{amount}</b>",
            title=_title(title),
            method=esc(method_label(t, gateway, "")),
            why=why(t, reason),
        )
    return t.gettext(
        "↩️ {payer} paid {amount} for {title}, but it could not count: {why}.\n"
        "Telegram cannot refund this payment: please give it back to {payer} yourself, "
        "then press the button."
    ).format(
        payer=esc(short(payer)), amount=f"<b>{amount}</b>", title=_title(title), why=why(t, reason)
    )


def owed_to_payer(
    t: Translator, amount: str, title: str, payee: str, reason: str, gateway: str = ""
) -> str:
    if gateway in DIRECT_KINDS:
        return t.gettext(
            "↩️ Your transfer of {amount} for {title} could not count: {why}. It went "
            "straight to {payee}'s account, so only {payee} can return it, not Chipin; they "
            "have been asked to."
        ).format(
            amount=f"<b>{amount}</b>",
            title=_title(title),
            payee=esc(short(payee)),
            why=why(t, reason),
        )
    return t.gettext(
        "↩️ Your payment of {amount} for {title} could not count: {why}. Telegram cannot "
        "refund it, so {payee} will give it back to you."
    ).format(
        amount=f"<b>{amount}</b>", title=_title(title), payee=esc(short(payee)), why=why(t, reason)
    )


def someone(t: Translator) -> str:
    """A payer the gateway did not name."""
    return t.gettext("a payer")


def refunded_label(t: Translator) -> str:
    return t.gettext("✅ Refunded it")


def marked_refunded(t: Translator) -> str:
    return t.gettext("✅ You gave this payment back.")


def marked_refunded_alert(t: Translator) -> str:
    return t.gettext("Marked as refunded.")


def nothing_owed_alert(t: Translator) -> str:
    return t.gettext("There is no refund left to mark here.")


def unsupported(t: Translator, title: str, reason: str) -> str:
    """The payment method cannot take this order (mode all, its currency, a static code's,
    a card hold too short for it), the payee no longer takes it, or their Stripe account
    cannot take card payments now (core.usecases.payouts)."""
    if reason == "method":
        text = t.gettext("The payee no longer takes this payment method for {title}.")
    elif reason == "mode":
        text = t.gettext("{title} cannot be paid this way. Nothing was charged.")
    elif reason == "mode_all":
        text = t.gettext(
            "{title} charges only when everyone has paid, which this payment method cannot "
            "do. Nothing was charged."
        )
    elif reason == "payout_paused":
        text = t.gettext(
            "{title} cannot be paid by card now: the payee's Stripe account cannot take "
            "payments. Choose another payment method, or try again later. Nothing was charged."
        )
    elif reason == "hold_lifetime":
        days = CARD_HOLD_LIFETIME.days
        return t.gettext(
            "{title} charges only when everyone has paid, and it collects for longer than a "
            "card can hold money ({days} days), so it cannot be paid by card. Choose another "
            "payment method. Nothing was charged."
        ).format(title=_title(title), days=days)
    else:
        text = t.gettext("{title} cannot be paid this way in its currency. Nothing was charged.")
    return text.format(title=_title(title))
