"""The bot's general texts (help, welcome, bad input, button labels), in Telegram HTML.

Every function takes a `Translator` and typed values and returns a string for
`parse_mode=HTML`; every user-provided string goes through `esc`. Payer texts live in
`bot.views.texts.payer`, payee and group texts in `bot.views.texts.payee`. Texts for
`answerCallbackQuery` alerts are plain (Telegram shows them without HTML) and end in
`_alert`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Protocol

from bot.views.i18n import Translator
from core.domain.errors import InvalidInput
from core.domain.money import CURRENCIES, Money, format_money

NAME_MAX = 40  # characters of a display name shown in lists


def esc(text: str) -> str:
    """Escape user-provided text for Telegram's HTML parse mode."""
    return html.escape(text, quote=False)


def short(text: str, limit: int = NAME_MAX) -> str:
    """Cut `text` to `limit` characters with an ellipsis (before escaping)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def money(amount: Money) -> str:
    """'12.50 USD' (no user text in it, so no escaping needed)."""
    return format_money(amount)


def show_money(amount_minor: int, code: str) -> str:
    """An amount in a currency named by code: '12.50 USD', or '1250 ABC' (escaped) if unknown."""
    cur = CURRENCIES.get(code)
    return format_money(Money(amount_minor, cur)) if cur else f"{amount_minor} {esc(code)}"


def help_text(t: Translator) -> str:
    """/help and the end of /start: every command with a one-line explanation and example."""
    lines = [
        t.gettext("<b>Chipin</b>: one QR code, many payers."),
        "",
        "<code>/split 240 6 Dinner</code>",
        t.gettext("Split 240 evenly among 6 payers."),
        "<code>/split 240 2:1:1</code>",
        t.gettext("Split by shares: the first payer pays half, the others a quarter each."),
        "<code>/split 90 @annie @bobby me Lunch</code>",
        t.gettext("One part per named payer; 'me' counts you in."),
        "<code>/collect 15 20 Tickets</code>",
        t.gettext("Collect 15 from each of 20 payers."),
        "",
        "/status: " + t.gettext("the open orders of this chat."),
        "/history: " + t.gettext("your payments and collections."),
        "/stats: " + t.gettext("totals of what you collected, with a chart."),
        "/export: " + t.gettext("your collections as a CSV file."),
        "/holds: " + t.gettext("who is paying your open orders now; release a part."),
        "/pin: " + t.gettext("change your payment password."),
        "/passkey: " + t.gettext("pay with your fingerprint or face instead."),
        "/methods: "
        + t.gettext("your own bank account or wallet, for payers to pay you straight."),
        "/claims: " + t.gettext("transfers payers say they made to you: received or not."),
        "/returns: " + t.gettext("money to return by hand, and marking it returned."),
        "/payouts: " + t.gettext("card payments straight into your own Stripe account."),
        "<code>/bind K7PQ-3MXD</code>: "
        + t.gettext("bind a printed QR code to you (a tip jar, donations, a fee, a fund)."),
        "/codes: " + t.gettext("your codes, their totals, and switching them off or moving them."),
        "<code>/fund K7PQ-3MXD</code>: "
        + t.gettext("in a group: post a fund-raiser's live progress."),
        "/help: " + t.gettext("this message."),
        "",
        t.gettext("<b>Options</b>, anywhere after the numbers:"),
        "<code>expires=2h</code> " + t.gettext("(or 30m, 3d): when the order closes."),
        "<code>mode=all</code> " + t.gettext("charge only when everyone has paid."),
        "<code>currency=EUR</code> " + t.gettext("the currency of the order."),
        "<code>holds=50</code> "
        + t.gettext("how many parts one address may hold at once (default 10): for a till."),
        "<code>password</code> " + t.gettext("I ask you privately for an order password."),
    ]
    return "\n".join(lines)


def welcome(t: Translator, first_name: str | None) -> str:
    """/start without a payload: a greeting, then the help."""
    if first_name:
        hello = t.gettext("Hi {name}! I collect money for groups.").format(
            name=esc(short(first_name))
        )
    else:
        hello = t.gettext("Hi! I collect money for groups.")
    how = t.gettext(
        "Add me to a group and type a command there, or open a payment link someone shared."
    )
    return f"{hello}\n{how}\n\n{help_text(t)}"


_FIELDS = {
    "total": "amount",
    "each": "amount",
    "payers": "payers",
    "shares": "shares",
    "expires": "expiry",
    "expires_in": "expiry",
    "mode": "mode",
    "currency": "currency",
    "title": "title",
    "pin": "password",
    "password": "password",
    "holds_per_client": "holds",
    "holder": "holder",
    "name": "holder",
    "iban": "iban",
    "bic": "bic",
    "key": "key",
    "city": "city",
    "vpa": "vpa",
    "utr": "utr",
    "kind": "kind",
    "country": "country",
}


def _field_label(t: Translator, field: str) -> str:
    labels = {
        "amount": t.gettext("Amount"),
        "payers": t.gettext("Payers"),
        "shares": t.gettext("Shares"),
        "expiry": t.gettext("Expiry"),
        "mode": t.gettext("Mode"),
        "currency": t.gettext("Currency"),
        "title": t.gettext("Title"),
        "password": t.gettext("Password"),
        "holds": t.gettext("Holds"),
        "holder": t.gettext("Account holder"),
        "iban": "IBAN",  # the scheme's own words, the same in every language
        "bic": "BIC",
        "key": t.gettext("{scheme} key").format(scheme="PIX"),
        "city": t.gettext("City"),
        "vpa": t.gettext("{scheme} ID").format(scheme="UPI"),
        "utr": "UTR",
        "kind": t.gettext("Payment method"),
        "country": t.gettext("Country"),
    }
    return labels.get(_FIELDS.get(field, ""), t.gettext("Input"))


class Refusal(Protocol):
    """A refusal whose English template is a catalog message: InvalidInput, and
    core.domain.statements.StatementUnreadable."""

    @property
    def template(self) -> str: ...
    @property
    def params(self) -> Mapping[str, object]: ...


def reason(t: Translator, error: Refusal) -> str:
    """Why core refused the input, translated: its template from the catalog, values escaped."""
    values = {k: esc(v) if isinstance(v, str) else v for k, v in error.params.items()}
    text = t.gettext(error.template).format(**values).strip().rstrip(".")
    return text[:1].upper() + text[1:]


def bad_input(t: Translator, error: InvalidInput) -> str:
    """A refused command: what is wrong, and the example of the right form if core gave one."""
    line = t.gettext("⚠️ {field}: {reason}.").format(
        field=_field_label(t, error.field), reason=reason(t, error)
    )
    if error.example is None:
        return line
    shown = t.gettext("Example: {example}").format(example=f"<code>{esc(error.example)}</code>")
    return f"{line}\n{shown}"


def command_menu(t: Translator) -> list[tuple[str, str]]:
    """The commands and their descriptions for Telegram's menu (`setMyCommands`, plain text)."""
    return [
        ("split", t.gettext("Split a total: /split 240 6 Dinner")),
        ("collect", t.gettext("Collect a fixed amount: /collect 15 20 Tickets")),
        ("status", t.gettext("Open orders in this chat")),
        ("history", t.gettext("Your payments and collections")),
        ("stats", t.gettext("Totals of what you collected")),
        ("export", t.gettext("Your collections as a CSV file")),
        ("holds", t.gettext("Who is paying your orders now")),
        ("pin", t.gettext("Set or change your payment password")),
        ("passkey", t.gettext("Pay with your fingerprint or face")),
        ("methods", t.gettext("Your bank account or wallet for payers")),
        ("claims", t.gettext("Transfers waiting for your confirmation")),
        ("returns", t.gettext("Money to return by hand")),
        ("payouts", t.gettext("Card payments into your Stripe account")),
        ("codes", t.gettext("Your printed QR codes and their totals")),
        ("bind", t.gettext("Bind a printed QR code: /bind K7PQ-3MXD")),
        ("help", t.gettext("How Chipin works")),
    ]


def cannot_dm(t: Translator, user_name: str, bot_url: str | None = None) -> str:
    """In the group, when a private message to `user_name` was refused (pair with a button)."""
    text = t.gettext(
        "{name}, I can't message you privately yet. Open the bot with the button below, "
        "press Start, and I will tell you there."
    ).format(name=esc(short(user_name)))
    return f"{text}\n{esc(bot_url)}" if bot_url else text


def open_bot_label(t: Translator) -> str:
    return t.gettext("Open Chipin")


def pay_label(t: Translator) -> str:
    return t.gettext("Pay")


def remind_label(t: Translator) -> str:
    return t.gettext("Remind")


def cancel_label(t: Translator) -> str:
    return t.gettext("Cancel order")


def newer_label(t: Translator) -> str:
    return t.gettext("‹ Newer")


def older_label(t: Translator) -> str:
    return t.gettext("Older ›")


def payee_only_alert(t: Translator) -> str:
    """Plain text: someone other than the payee pressed Remind or Cancel."""
    return t.gettext("Only the person collecting can do that.")


def private_only(t: Translator) -> str:
    """A private command (/pin, /history, /stats, /export) typed in a group."""
    return t.gettext("Please send me this command in a private chat.")


def unreadable(t: Translator) -> str:
    """A message (or button) holding text that cannot be stored: a lone surrogate, a NUL.
    Plain: it goes out as a reply and as an alert alike."""
    return t.gettext(
        "I could not read that: it holds a character that cannot be stored "
        "(a broken emoji?). Please type it again."
    )


def try_later(t: Translator) -> str:
    """Something failed on our side; nothing was charged."""
    return t.gettext("Something went wrong on my side. Nothing was charged; please try again.")
