"""What a payee reads about their own Stripe account (/payouts, Stripe Connect) and the letters
when it changes; what payers read of card payments into it (the progress line, the checkout).

Telegram HTML like the other texts modules; `_alert` texts are plain (callback answers).
Core's reasons (core.domain.payouts.reason_text) are fixed English phrases: the payee reads
them translated here (`payee_reason`); payers read a reason of their own, without the
payee's details (`payer_reason`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.views.i18n import Translator
from bot.views.texts.common import esc, short
from bot.views.timefmt import stamp
from core.domain.money import Money, format_money
from core.domain.payouts import PayoutAccount, PayoutState, closed_for_good, reason_text

DUE_SHOWN = 5  # requirements named in /payouts, then "and N more"
ORDERS_SHOWN = 5  # orders named in a letter about the account, then "and N more"
TITLE_MAX = 100


def _title(title: str) -> str:
    return f"<b>{esc(short(title, TITLE_MAX))}</b>"


def fee_percent(fee_bps: int) -> str:
    """150 basis points -> '1.5%'."""
    value = (Decimal(fee_bps) / 100).normalize()
    return f"{value:f}%"


# ---- why cards cannot pay into the account ----


def payee_reason(t: Translator, reason: str) -> str:
    """core.domain.payouts.reason_text (English, one of its fixed phrases) in the payee's
    language; a phrase this version does not know stays as core wrote it."""
    phrases = {
        "you disconnected it from Chipin": t.gettext("you disconnected it from Chipin"),
        "you have not finished Stripe's sign-up yet": t.gettext(
            "you have not finished Stripe's sign-up yet"
        ),
        "Stripe needs more information from you": t.gettext(
            "Stripe needs more information from you"
        ),
        "Stripe is verifying the details you gave": t.gettext(
            "Stripe is verifying the details you gave"
        ),
        "Stripe is reviewing your account": t.gettext("Stripe is reviewing your account"),
        "the operator of this Chipin paused your account": t.gettext(
            "the operator of this Chipin paused your account"
        ),
        "Stripe needs you to accept card payments again": t.gettext(
            "Stripe needs you to accept card payments again"
        ),
        "Stripe closed your account": t.gettext("Stripe closed your account"),
        "Stripe closed your account: verification was not finished in time": t.gettext(
            "Stripe closed your account: verification was not finished in time"
        ),
        "the operator closed your account": t.gettext("the operator closed your account"),
        "Stripe paused your account": t.gettext("Stripe paused your account"),
        "Stripe has not enabled card payments yet": t.gettext(
            "Stripe has not enabled card payments yet"
        ),
    }
    return phrases.get(reason, reason)


def payer_reason(t: Translator, account: PayoutAccount) -> str:
    """Why payers cannot pay by card, without the payee's personal detail."""
    if account.state == PayoutState.DISCONNECTED:
        return t.gettext("the payee disconnected their Stripe account")
    if account.state == PayoutState.PENDING:
        return t.gettext("the payee has not finished Stripe's sign-up")
    if closed_for_good(account):
        return t.gettext("the payee's Stripe account is closed")
    return t.gettext("the payee's Stripe account cannot take payments right now")


def paused_line(t: Translator, account: PayoutAccount) -> str:
    """The progress message's and order card's line while card parts cannot be paid."""
    return t.gettext("💳 Card payments are paused: {reason}.").format(
        reason=payer_reason(t, account)
    )


# ---- Stripe's requirements, in words ----


def requirement(t: Translator, name: str) -> str:
    """One of Stripe's `requirements.currently_due` names ('individual.verification.document'),
    as what the payee has to give."""
    parts = name.split(".")
    leaf = parts[-1]
    whole = {
        "external_account": t.gettext("a bank account for payouts"),
        "tos_acceptance": t.gettext("accepting Stripe's terms"),
        "business_type": t.gettext("the kind of business"),
        "business_profile": t.gettext("what you sell"),
    }
    if parts[0] in whole:
        if parts[0] == "business_profile" and leaf == "url":
            return t.gettext("your website or a link to your profile")
        return whole[parts[0]]
    if "verification" in parts:
        if leaf == "additional_document":
            return t.gettext("a proof of address")
        return t.gettext("an identity document")
    if parts[0] == "company" and leaf == "tax_id":
        return t.gettext("the company's tax ID")
    fields = {
        "first_name": t.gettext("your name"),
        "last_name": t.gettext("your name"),
        "dob": t.gettext("your date of birth"),
        "id_number": t.gettext("your ID number"),
        "ssn_last_4": t.gettext("your ID number"),
        "email": t.gettext("your e-mail address"),
        "phone": t.gettext("your phone number"),
        "address": t.gettext("your address"),
    }
    for part in reversed(parts):
        if part in fields:
            return fields[part]
    if parts[0] in ("representative", "owners", "directors", "executives", "relationship"):
        return t.gettext("details of the people behind the business")
    if parts[0] == "company":
        return t.gettext("details of your company")
    return t.gettext("other details")


def requirements(t: Translator, due: Sequence[str]) -> str:
    """At most DUE_SHOWN requirements, in words, each once; then 'and N more'."""
    named = list(dict.fromkeys(requirement(t, name) for name in due))
    shown = ", ".join(named[:DUE_SHOWN])
    more = len(named) - DUE_SHOWN
    if more > 0:
        shown += " " + t.ngettext(
            "and {n} more requirement", "and {n} more requirements", more
        ).format(n=more)
    return shown


# ---- /payouts ----


def not_set_up(t: Translator) -> str:
    return t.gettext(
        "💳 Card payments straight into your own Stripe account are not set up on this Chipin."
    )


def intro(t: Translator, fee_bps: int) -> str:
    """/payouts without an account: what it is, the platform's fee, the button below."""
    lines = [
        t.gettext(
            "💳 <b>Card payments straight to you.</b> Card payments of your orders can go "
            "straight into your own Stripe account instead of the operator's."
        ),
        t.gettext(
            "You sign up on Stripe's own pages (an Express account): Chipin never sees your "
            "identity documents or bank details."
        ),
    ]
    if fee_bps > 0:
        lines.append(
            t.gettext(
                "The operator of this Chipin keeps a platform fee of {percent} of each card "
                "payment into your account."
            ).format(percent=fee_percent(fee_bps))
        )
    else:
        lines.append(t.gettext("The operator of this Chipin keeps no fee on them."))
    return "\n".join(lines)


def connect_label(t: Translator) -> str:
    return t.gettext("Connect Stripe")


def continue_label(t: Translator) -> str:
    return t.gettext("Continue Stripe's sign-up")


def finish_label(t: Translator) -> str:
    return t.gettext("Finish Stripe's steps")


def reconnect_label(t: Translator) -> str:
    return t.gettext("Reconnect")


def disconnect_label(t: Translator) -> str:
    return t.gettext("Disconnect")


def open_label(t: Translator) -> str:
    return t.gettext("Open Stripe sign-up")


@dataclass(frozen=True, slots=True)
class Status:
    """What /payouts shows of the payee's account: the text, and which button leads on."""

    text: str
    link: str | None  # the label of the button that gets a new sign-up link; None: none
    can_disconnect: bool


def status(t: Translator, account: PayoutAccount, fee_bps: int) -> Status:
    """/payouts with an account: its state, what Stripe still needs, payouts, the fee."""
    lines = [
        t.gettext("💳 <b>Your Stripe account</b> {account}").format(
            account=f"<code>{esc(account.account_id)}</code>"
        )
    ]
    link: str | None = None
    if account.state == PayoutState.ENABLED:
        lines.append(t.gettext("✅ Cards pay into your Stripe account."))
    elif account.state == PayoutState.PENDING:
        lines.append(
            t.gettext(
                "⏳ Finish Stripe's sign-up: until then payers cannot pay you by card into it."
            )
        )
        link = continue_label(t)
    elif account.state == PayoutState.RESTRICTED:
        lines.append(
            t.gettext("⚠️ Payers cannot pay you by card now: {reason}.").format(
                reason=esc(payee_reason(t, reason_text(account)))
            )
        )
        if account.due:
            lines.append(
                t.gettext("Stripe needs: {items}.").format(items=requirements(t, account.due))
            )
        if account.deadline is not None:
            lines.append(
                t.gettext("Stripe's deadline: {time}").format(time=stamp(t, account.deadline))
            )
        if closed_for_good(account):
            lines.append(t.gettext("Finishing Stripe's steps cannot bring this account back."))
        else:
            link = finish_label(t)
    else:
        lines.append(
            t.gettext(
                "✖️ Disconnected: card payments of your new orders go to the operator's account."
            )
        )
        link = reconnect_label(t)
    if account.state != PayoutState.DISCONNECTED:
        if account.payouts_enabled:
            lines.append(t.gettext("🏦 Stripe pays out to your bank account."))
        else:
            lines.append(t.gettext("🏦 Stripe does not pay out to your bank account yet."))
        if fee_bps > 0:
            lines.append(
                t.gettext("Platform fee: {percent} of each card payment.").format(
                    percent=fee_percent(fee_bps)
                )
            )
    return Status("\n".join(lines), link, account.state != PayoutState.DISCONNECTED)


def sign_up_link(t: Translator) -> str:
    """Above the one-time link to Stripe's sign-up."""
    return t.gettext(
        "👇 Your link to Stripe's sign-up. It works once and only for a few minutes: if it "
        "runs out, send /payouts for a new one."
    )


def disconnect_confirm(t: Translator) -> str:
    """What a disconnect does, before it is done."""
    return "\n".join(
        [
            t.gettext("Disconnect your Stripe account from Chipin?"),
            t.gettext("• Card payments of your new orders go to the operator's account again."),
            t.gettext(
                "• Your open orders bound to this account stop taking cards: parts already "
                "paid stay paid, and their refunds still come out of this account."
            ),
            t.gettext("• You can connect it again with /payouts."),
        ]
    )


def confirm_disconnect_label(t: Translator) -> str:
    return t.gettext("Yes, disconnect")


def keep_label(t: Translator) -> str:
    return t.gettext("Keep it connected")


def disconnected(t: Translator) -> str:
    return t.gettext(
        "✖️ Disconnected. Card payments of your new orders go to the operator's account."
    )


def kept(t: Translator) -> str:
    return t.gettext("Nothing changed: your Stripe account stays connected.")


def nothing_connected_alert(t: Translator) -> str:
    return t.gettext("You have no Stripe account connected.")


def not_set_up_alert(t: Translator) -> str:
    return t.gettext("Card payments into your own account are not set up here.")


def gone_alert(t: Translator) -> str:
    return t.gettext("This is no longer open. Send /payouts again.")


# ---- the letter when the account changes ----


def changed(t: Translator, state: str, reason: str) -> str:
    """The first lines of the letter: the account's new state and, when paused, why."""
    if state == PayoutState.ENABLED:
        return t.gettext("✅ <b>Your Stripe account takes card payments.</b>")
    if state == PayoutState.DISCONNECTED:
        return t.gettext(
            "✖️ <b>Your Stripe account is disconnected from Chipin.</b> Card payments of your "
            "new orders go to the operator's account."
        )
    head = t.gettext("⚠️ <b>Payers cannot pay you by card now:</b> {reason}.").format(
        reason=esc(payee_reason(t, reason))
    )
    return "\n".join([head, t.gettext("/payouts shows what Stripe still needs.")])


def order_paused(t: Translator, title: str, paid: int, n: int, others: Sequence[str]) -> str:
    """One open order bound to the account, while its card parts cannot be paid."""
    if paid:
        kept_line = t.ngettext(
            "{paid} of {n} parts paid stays paid", "{paid} of {n} parts paid stay paid", paid
        ).format(paid=paid, n=n)
    else:
        kept_line = t.gettext("none of its {n} parts is paid yet").format(n=n)
    left = n - paid
    rest = t.ngettext(
        "the {left} left can't be paid by card until your account is back",
        "the {left} left can't be paid by card until your account is back",
        left,
    ).format(left=left)
    if others:
        tail = t.gettext("payers can still use {methods}").format(methods=esc(", ".join(others)))
    else:
        tail = t.gettext("it has no other way to pay")
    return t.gettext("• {title}: {kept}; {rest}; {tail}.").format(
        title=_title(title), kept=kept_line, rest=rest, tail=tail
    )


def order_resumed(t: Translator, title: str) -> str:
    return t.gettext("• {title}: cards work again.").format(title=_title(title))


def more_orders(t: Translator, n: int) -> str:
    return t.ngettext("…and {n} more order.", "…and {n} more orders.", n).format(n=n)


# ---- the payer's checkout ----


def card_into(t: Translator, payee: str, fee: Money | None) -> str:
    """Before paying: the card money goes into the payee's own Stripe account (and the
    platform's fee out of it)."""
    if payee and fee is not None:
        return t.gettext(
            "💳 Card → {payee}'s own Stripe account, of which {fee} is the platform's fee."
        ).format(payee=esc(short(payee)), fee=format_money(fee))
    if payee:
        return t.gettext("💳 Card → {payee}'s own Stripe account.").format(payee=esc(short(payee)))
    if fee is not None:
        return t.gettext(
            "💳 Card → the payee's own Stripe account, of which {fee} is the platform's fee."
        ).format(fee=format_money(fee))
    return t.gettext("💳 Card → the payee's own Stripe account.")
