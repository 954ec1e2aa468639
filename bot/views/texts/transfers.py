"""What payers and payees read about bank transfers straight to the payee.

How to pay, claims, the payee's decisions, money to return by hand, how a part was settled.

Telegram HTML like the other texts modules; `_alert` texts are plain (callback answers).
Scheme names and account labels (SEPA, PIX, UPI, IBAN, BIC, UTR) are the same in every
language, so they go into the texts as values.
"""

from __future__ import annotations

from datetime import datetime

from bot.views.i18n import Translator
from bot.views.texts.common import esc, money, short, show_money
from bot.views.texts.payments import method_label, why
from bot.views.timefmt import duration, stamp
from core.domain.methods import Instructions
from core.domain.model import MethodKind, Payment, Settled
from core.domain.payqr.rf import printable

TITLE_MAX = 60
IBAN_GROUP = 4


def _title(title: str) -> str:
    return f"<b>{esc(short(title or 'Chipin', TITLE_MAX))}</b>"


def _code(text: str) -> str:
    return f"<code>{esc(text)}</code>"


def grouped(text: str, size: int = IBAN_GROUP) -> str:
    """'DE89 3704 0044 0532 0130 00': an IBAN (or a reference) in groups, as banks print it."""
    return " ".join(text[i : i + size] for i in range(0, len(text), size))


def kind_label(t: Translator, kind: MethodKind | str) -> str:
    """A payee's method by its kind: 'Bank transfer (SEPA)', 'PIX', 'UPI'."""
    return method_label(t, str(kind), "")


def settled_label(t: Translator, settled: str | None) -> str | None:
    """How a payment came to count; None for an entry that does not say (before 0014)."""
    labels = {
        Settled.GATEWAY.value: t.gettext("through Chipin's payment gateway"),
        Settled.PAYEE.value: t.gettext("confirmed by the payee"),
        Settled.STATEMENT.value: t.gettext("matched on the payee's bank statement"),
    }
    return labels.get(settled or "")


def how_settled(t: Translator, method: str, settled: str | None) -> str | None:
    """'Bank transfer (SEPA), confirmed by the payee', 'Card (Stripe), through Chipin's
    payment gateway'; None for an entry that does not say."""
    label = settled_label(t, settled)
    if label is None:
        return None
    return t.gettext("{method}, {settled}").format(
        method=esc(method_label(t, method, "")), settled=label
    )


# ---- the payer pays ----


def _copy_lines(t: Translator, how: Instructions) -> list[str]:
    """On a phone the payer cannot scan their own screen: PIX's code to paste (copia e cola,
    with the reference as its txid) and UPI's link, to copy into the app."""
    if how.kind == MethodKind.PIX:
        label = t.gettext("PIX copy and paste (copia e cola), with the reference inside:")
    elif how.kind == MethodKind.UPI:
        label = t.gettext("The same payment as a UPI link, to paste into your UPI app:")
    else:
        return []
    return ["", label, _code(how.payload)]


def qr_caption(t: Translator, how: Instructions) -> str:
    """Under the payment QR code: what to scan it with."""
    if how.kind == MethodKind.UPI:
        return upi_scan(t)
    return t.gettext("📷 Scan this code with your banking app: {method}, {amount}.").format(
        method=esc(kind_label(t, how.kind)), amount=f"<b>{money(how.amount)}</b>"
    )


def upi_scan(t: Translator) -> str:
    return t.gettext(
        "📱 Scan this QR code in your UPI app (links to personal UPI IDs are often blocked)."
    )


def instructions(
    t: Translator,
    how: Instructions,
    *,
    title: str,
    payee: str,
    hold_until: datetime,
    now: datetime,
) -> str:
    """The same details as the QR code, as text (the EPC guideline: never the QR alone)."""
    lines = [
        t.gettext("🏦 <b>Pay {amount} by {method}</b> for {title}").format(
            amount=money(how.amount), method=esc(kind_label(t, how.kind)), title=_title(title)
        ),
    ]
    if how.kind == MethodKind.UPI:
        lines.append(upi_scan(t))
    lines += [
        "",
        t.gettext("Holder: {name}").format(name=f"<b>{esc(how.holder)}</b>"),
        *_account_lines(t, how),
        t.gettext("Amount: {amount}").format(amount=f"<b>{money(how.amount)}</b>"),
        t.gettext("Reference: {reference}").format(reference=_code(how.printed_reference)),
        "",
        t.gettext("Copy the reference exactly: it is how your transfer is matched to your part."),
        *_copy_lines(t, how),
        t.gettext(
            "Chipin cannot refund a transfer: money that arrives after the order is full or "
            "closed, or after your part was let go, must be returned by {payee} by hand."
        ).format(payee=esc(short(payee)) if payee else t.gettext("the payee")),
        t.gettext(
            "⏳ Your part is held for {duration}, until {time}. Pay, then press “I've paid”."
        ).format(duration=duration(t, hold_until - now), time=stamp(t, hold_until)),
    ]
    return "\n".join(lines)


def _account_lines(t: Translator, how: Instructions) -> list[str]:
    if how.kind == MethodKind.SEPA:
        lines = [f"IBAN: {_code(grouped(how.account))}"]
        if how.bic:
            lines.append(f"BIC: {_code(how.bic)}")
        return lines
    if how.kind == MethodKind.PIX:
        lines = [t.gettext("{scheme} key: {key}").format(scheme="PIX", key=_code(how.account))]
        if how.city:
            lines.append(t.gettext("City: {city}").format(city=esc(how.city)))
        return lines
    return [t.gettext("{scheme} ID: {id}").format(scheme="UPI", id=_code(how.account))]


def paid_label(t: Translator) -> str:
    return t.gettext("✅ I've paid")


def let_go_label(t: Translator) -> str:
    return t.gettext("↩️ Let my part go")


def utr_prompt(t: Translator) -> str:
    return t.gettext(
        "🔢 Send me the 12-digit {utr} (the transaction reference) your UPI app shows for "
        "this payment."
    ).format(utr="UTR")


def claimed(t: Translator) -> str:
    """The payer said they paid: what happens now."""
    return t.gettext(
        "✅ The payee has been asked to confirm; your part is held until they do or the order ends."
    )


def claimed_line(t: Translator) -> str:
    """Added under the instructions once the payer said they paid."""
    return t.gettext("✅ You said you paid.")


def claimed_before(t: Translator, title: str) -> str:
    """The payer opened the order again after saying they paid."""
    return t.gettext(
        "✅ You said you paid your part of {title} by transfer. The payee has been asked to "
        "confirm; your part is held until they do or the order ends."
    ).format(title=_title(title))


def not_by_transfer(t: Translator, title: str) -> str:
    """'I've paid' for an order whose part this payer does not hold by transfer."""
    return t.gettext(
        "You hold no part of {title} paid by bank transfer. Open the order again to pay."
    ).format(title=_title(title))


def paying_by_transfer(t: Translator, title: str) -> str:
    """NotAllowed(reason=transfer): the payer chose a transfer for this part before."""
    return t.gettext(
        "You chose to pay your part of {title} by bank transfer: pay it that way (the details "
        "are above), or let your part go and choose again."
    ).format(title=_title(title))


def paying_by_checkout(t: Translator, title: str) -> str:
    """NotAllowed(reason=checkout): the payer opened a gateway checkout for this part."""
    return t.gettext(
        "You opened a checkout for your part of {title}: pay there, or wait until your hold "
        "ends and choose again."
    ).format(title=_title(title))


def let_go(t: Translator) -> str:
    return t.gettext("↩️ You let your part go; nothing was paid.")


def let_go_alert(t: Translator) -> str:
    return t.gettext("Your part is free again.")


def cannot_let_go_alert(t: Translator) -> str:
    """Plain: the hold is paid, claimed, lapsed, or its secret is not known here any more."""
    return t.gettext(
        "This part cannot be let go from here: it is paid or claimed, or its hold has ended "
        "(an unpaid hold ends by itself)."
    )


def denied_to_payer(t: Translator, amount: str, title: str, payee: str, reference: str) -> str:
    """The payee said the payer's transfer has not arrived."""
    return t.gettext(
        "❌ {payee} has not received your transfer of {amount} for {title} (reference "
        "{reference}); your part is free again. If you did pay, contact them with the "
        "reference."
    ).format(
        payee=esc(short(payee)) if payee else t.gettext("The payee"),
        amount=f"<b>{amount}</b>",
        title=_title(title),
        reference=_code(printable(reference)),
    )


def cut_short_to_payer(t: Translator, amount: str, title: str, payee: str, reference: str) -> str:
    """The order ended before the payee confirmed the payer's transfer."""
    return t.gettext(
        "⌛ {title} ended before {payee} confirmed your transfer of {amount} (reference "
        "{reference}), so your part does not count. If your money reached them, they must "
        "return it to you: Chipin cannot."
    ).format(
        payee=esc(short(payee)) if payee else t.gettext("the payee"),
        amount=f"<b>{amount}</b>",
        title=_title(title),
        reference=_code(printable(reference)),
    )


# ---- the payee decides ----


def claim(
    t: Translator,
    *,
    payer: str,
    amount: str,
    method: str,
    title: str,
    reference: str,
    utr: str | None = None,
) -> str:
    """A payer says they paid the payee by transfer: check the account, then decide."""
    lines = [
        t.gettext("🏦 <b>{payer} says they paid {amount}</b> by {method} for {title}.").format(
            payer=esc(short(payer)),
            amount=amount,
            method=esc(kind_label(t, method)),
            title=_title(title),
        ),
        t.gettext("Reference: {reference}").format(reference=_code(printable(reference))),
    ]
    if utr:
        lines.append(f"UTR: {_code(utr)}")
    lines.append(t.gettext("Check your account for this amount and reference, then tell me:"))
    return "\n".join(lines)


def cut_short(
    t: Translator, *, payer: str, amount: str, method: str, title: str, reference: str
) -> str:
    """The order ended while a payer's transfer claim waited: decide it all the same."""
    return "\n".join(
        [
            t.gettext(
                "⌛ {title} ended before you decided on {payer}'s transfer of {amount} by {method}."
            ).format(
                payer=esc(short(payer)),
                amount=f"<b>{amount}</b>",
                method=esc(kind_label(t, method)),
                title=_title(title),
            ),
            t.gettext("Reference: {reference}").format(reference=_code(printable(reference))),
            t.gettext(
                "If it reached your account, tap Received: it goes on /returns for you to give "
                "back. If not, tap Not received."
            ),
        ]
    )


def received_label(t: Translator) -> str:
    return t.gettext("✅ Received")


def missing_label(t: Translator) -> str:
    return t.gettext("❌ Not received")


def confirmed(t: Translator, payment: Payment) -> str:
    """After 'Received': counted, or owed back when its part could no longer count."""
    if payment.counted:
        return t.gettext("✅ You confirmed it: the part counts.")
    return t.gettext(
        "✅ You confirmed it, but its part could no longer count: {why}. Return the money by "
        "hand (see /returns)."
    ).format(why=why(t, payment.reason))


def confirmed_alert(t: Translator) -> str:
    return t.gettext("Confirmed.")


def denied(t: Translator, payer: str) -> str:
    return t.gettext(
        "❌ You said it has not arrived: the part is free again, and {payer} was told."
    ).format(payer=esc(short(payer)))


def denied_alert(t: Translator) -> str:
    return t.gettext("The part is free again.")


def decided_alert(t: Translator) -> str:
    """Plain: a second press on a transfer already decided (or matched on a statement)."""
    return t.gettext("This transfer was decided already; nothing changed.")


def claims_empty(t: Translator) -> str:
    return t.gettext("No transfers are waiting for your confirmation.")


def claims_header(t: Translator, n: int) -> str:
    return t.ngettext(
        "🏦 {n} transfer is waiting for your confirmation:",
        "🏦 {n} transfers are waiting for your confirmation:",
        n,
    ).format(n=n)


def claims_more(t: Translator, n: int) -> str:
    return t.ngettext(
        "…and {n} more; decide these first, then send /claims again.",
        "…and {n} more; decide these first, then send /claims again.",
        n,
    ).format(n=n)


# ---- money to return by hand ----


def returns_empty(t: Translator) -> str:
    return t.gettext("You have no money to return by hand.")


def returns_header(t: Translator, n: int) -> str:
    return t.ngettext(
        "↩️ <b>{n} payment to return by hand.</b> Chipin cannot move this money: send it "
        "back yourself, then press Returned.",
        "↩️ <b>{n} payments to return by hand.</b> Chipin cannot move this money: send it "
        "back yourself, then press Returned.",
        n,
    ).format(n=n)


def owed_line(t: Translator, p: Payment, title: str) -> str:
    """One payment to return: amount, order, method, reference, why, since when."""
    head = t.gettext("{amount} for {title}, by {method}").format(
        amount=f"<b>{show_money(p.amount_minor, p.currency)}</b>",
        title=_title(title),
        method=esc(method_label(t, p.gateway, p.currency)),
    )
    lines = [head]
    if p.direct:
        ref = t.gettext("Reference: {reference}")
        lines.append(ref.format(reference=_code(printable(p.payment_ref))))
    lines.append(
        t.gettext("Why: {why}; since {time}.").format(
            why=why(t, p.reason), time=stamp(t, p.created_at)
        )
    )
    return "\n".join(lines)


def returned_label(t: Translator) -> str:
    return t.gettext("↩️ Returned")


def returns_more(t: Translator, n: int) -> str:
    return t.ngettext("…and {n} more.", "…and {n} more.", n).format(n=n)


# ---- what was settled how ----


def receipt_line(t: Translator, method: str, settled: str | None) -> str | None:
    """On a receipt: where the money went, and how the part came to count."""
    if not method:
        return None
    if settled == Settled.GATEWAY.value:
        return t.gettext("Paid through the operator's payment gateway: {method}").format(
            method=esc(method_label(t, method, ""))
        )
    how = how_settled(t, method, settled)
    return t.gettext("Paid straight to the payee: {how}").format(how=how) if how else None


def waiting_line(t: Translator, n: int) -> str:
    """The group's progress: parts claimed, waiting for the payee."""
    return t.ngettext(
        "🏦 {n} transfer waiting for the payee's confirmation",
        "🏦 {n} transfers waiting for the payee's confirmation",
        n,
    ).format(n=n)


def direct_line(t: Translator, names: str) -> str:
    """The group's progress: who paid straight to the payee, and how it was settled."""
    return t.gettext("🏦 Straight to the payee: {names}").format(names=names)


def direct_name(t: Translator, name: str, how: str) -> str:
    return t.gettext("{name} ({how})").format(name=name, how=how)
