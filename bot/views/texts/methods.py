"""What a payee reads about their own receiving methods (/methods) and their bank statements.

Telegram HTML like the other texts modules; `_alert` texts are plain (callback answers).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from bot.views.i18n import Translator
from bot.views.texts.common import esc, short, show_money
from bot.views.texts.transfers import kind_label
from core.domain.matches import ImportedLine, LineOutcome
from core.domain.methods import PayeeMethod
from core.domain.model import MethodKind
from core.domain.statements import StatementUnreadable

TEXT_MAX = 48  # of a statement line's text in the list to check
LISTED = 10  # statement lines to check, listed after an import

# ---- /methods ----


def methods_header(t: Translator) -> str:
    return t.gettext(
        "🏦 <b>Your receiving methods.</b> Payers of your orders in the method's currency may "
        "pay straight into it; the money never passes through Chipin."
    )


def methods_empty(t: Translator) -> str:
    return t.gettext(
        "🏦 You have no receiving methods. Add one, and payers of your orders in its currency "
        "may pay straight into your account: SEPA for EUR, PIX for BRL, UPI for INR."
    )


def method_line(t: Translator, m: PayeeMethod) -> str:
    """'• Bank transfer (SEPA) · DE89…3000 · Ann Example'."""
    return t.gettext("• {method} · {account} · {holder}").format(
        method=esc(kind_label(t, m.kind)),
        account=f"<code>{esc(m.masked())}</code>",
        holder=esc(short(m.holder)),
    )


def add_label(t: Translator, kind: MethodKind) -> str:
    return t.gettext("➕ Add {method}").format(method=kind_label(t, kind))


def remove_label(t: Translator, m: PayeeMethod) -> str:
    return t.gettext("✖️ Remove {method} {account}").format(
        method=kind_label(t, m.kind), account=m.masked()
    )


def removed_alert(t: Translator) -> str:
    return t.gettext("Removed. Transfers already begun keep their reference.")


def gone_alert(t: Translator) -> str:
    return t.gettext("This method is gone already.")


def sepa_name_warning(t: Translator) -> str:
    """core.domain.methods.SEPA_NAME_WARNING, translated (EU Verification of Payee)."""
    return t.gettext(
        "⚠️ Give the account holder's legal name exactly as your bank has it: payers' banks "
        "check it against the IBAN (Verification of Payee) and warn every payer when it does "
        "not match."
    )


def ask_field(t: Translator, kind: MethodKind, field: str) -> str:
    """The question for one field of a new method (core.domain.methods.KIND_FIELDS)."""
    questions = {
        "holder": t.gettext("Who holds the account? Send the holder's name."),
        "iban": t.gettext("Send the {account} of the account.").format(account="IBAN"),
        "bic": t.gettext(
            "Send the {code} of the bank, or press Skip (optional for accounts in the EEA)."
        ).format(code="BIC"),
        "key": t.gettext(
            "Send your {scheme} key: a CPF, a CNPJ, an e-mail address, a phone number with "
            "+55, or a random key."
        ).format(scheme="PIX"),
        "city": t.gettext("Send the city {scheme} shows payers (at most 15 letters).").format(
            scheme="PIX"
        ),
        "vpa": t.gettext("Send your {scheme} ID, like name@bank.").format(scheme="UPI"),
    }
    head = t.gettext("➕ {method}").format(method=esc(kind_label(t, kind)))
    return f"{head}\n{questions.get(field, esc(field))}"


def skip_label(t: Translator) -> str:
    return t.gettext("Skip")


def method_added(t: Translator, m: PayeeMethod) -> str:
    return t.gettext(
        "✅ Added: {method} · {account} · {holder}. Payers of your {currency} orders may now "
        "choose it."
    ).format(
        method=esc(kind_label(t, m.kind)),
        account=f"<code>{esc(m.masked())}</code>",
        holder=esc(short(m.holder)),
        currency=m.currency,
    )


def method_exists(t: Translator, kind: MethodKind) -> str:
    return t.gettext(
        "You have a {method} method already. Remove it with /methods first to add another."
    ).format(method=esc(kind_label(t, kind)))


def add_gone_alert(t: Translator) -> str:
    return t.gettext("This is no longer open. Send /methods again.")


# ---- bank statements ----


def statement_too_big(t: Translator, limit_mb: int) -> str:
    return t.gettext(
        "⚠️ This file is too big: I read bank statements up to {limit} MB. Nothing was imported."
    ).format(limit=limit_mb)


def statement_busy(t: Translator) -> str:
    return t.gettext(
        "⏳ This statement is being imported at this moment. Send it again in a minute: "
        "lines imported already are not imported twice."
    )


def statement_unavailable(t: Translator) -> str:
    return t.gettext("Bank statements cannot be imported here. Nothing was imported.")


def statement_unreadable(t: Translator, error: StatementUnreadable) -> str:
    """Why the file is no statement, translated with its place in the file; nothing changed.
    Plain text: the reasons name markup ('<OFX>') and quote the file."""
    text = t.gettext(error.template).format(**_placed(t, error.params)).strip().rstrip(".")
    text = text[:1].upper() + text[1:]
    return t.gettext("⚠️ I could not read this statement: {reason}. Nothing was imported.").format(
        reason=text
    )


_WHERE = re.compile(r"(entry|line|transaction) (\d+)(?: \(line (\d+)\))?")


def _placed(t: Translator, params: Mapping[str, object]) -> dict[str, object]:
    found = dict(params)
    where = params.get("where")
    match = _WHERE.fullmatch(where) if isinstance(where, str) else None
    if match is None:
        return found
    kind, n, line = match.groups()
    places = {
        "entry": t.gettext("entry {n}"),
        "line": t.gettext("line {n}"),
        "transaction": t.gettext("transaction {n}"),
    }
    placed = places[kind].format(n=n)
    if line:
        placed = t.gettext("{where} (line {n})").format(where=placed, n=line)
    found["where"] = placed
    return found


def statement_without_methods(t: Translator) -> str:
    return t.gettext(
        "📄 Files sent here are read as bank statements of payees who take transfers. Add your "
        "account with /methods first; to prove a payment to a payee, send it to them."
    )


def statement_imported(
    t: Translator, fmt: str, credits: int, again: int, outcomes: Mapping[str, int]
) -> str:
    """What an import did: the counts, by outcome."""
    to_check = sum(n for o, n in outcomes.items() if LineOutcome(o).needs_payee)
    lines = [
        t.ngettext(
            "📄 <b>Statement imported</b> ({format}): {n} incoming payment.",
            "📄 <b>Statement imported</b> ({format}): {n} incoming payments.",
            credits,
        ).format(format=esc(fmt.upper()), n=credits),
        t.gettext("✅ Matched to a part: {n}").format(n=outcomes.get(LineOutcome.MATCHED, 0)),
        t.gettext("🔁 Already imported: {n}").format(n=again),
        t.gettext("🔎 To check: {n}").format(n=to_check),
    ]
    known = outcomes.get(LineOutcome.KNOWN, 0)
    if known:
        lines.append(t.gettext("☑️ Recorded before (confirmed or matched): {n}").format(n=known))
    twice = outcomes.get(LineOutcome.TWICE, 0)
    if twice:
        lines.append(
            t.gettext("↩️ Paid a second time, to return by hand (/returns): {n}").format(n=twice)
        )
    late = outcomes.get(LineOutcome.LATE, 0)
    if late:
        lines.append(t.gettext("↩️ Came too late, to return by hand (/returns): {n}").format(n=late))
    return "\n".join(lines)


def outcome_label(t: Translator, outcome: LineOutcome) -> str:
    labels = {
        LineOutcome.UNDERPAID: t.gettext("less than its part"),
        LineOutcome.OVERPAID: t.gettext("more than its part"),
        LineOutcome.UNMATCHED: t.gettext("no reference of yours"),
        LineOutcome.LATE: t.gettext("too late"),
        LineOutcome.KNOWN: t.gettext("recorded before"),
        LineOutcome.TWICE: t.gettext("paid twice"),
        LineOutcome.MATCHED: t.gettext("matched"),
    }
    return labels[outcome]


def lines_to_check(t: Translator, lines: Sequence[ImportedLine]) -> list[str]:
    """Up to LISTED lines the payee should look at themselves, then how many more."""
    if not lines:
        return []
    out = ["", t.gettext("<b>Lines to check</b>")]
    for line in lines[:LISTED]:
        parts = [
            line.booking_date.isoformat() if line.booking_date else "—",
            show_money(line.amount_minor, line.currency),
        ]
        if line.counterparty:
            parts.append(esc(short(line.counterparty)))
        if line.text:
            parts.append(esc(short(line.text, TEXT_MAX)))
        parts.append(outcome_label(t, line.outcome))
        out.append("• " + " · ".join(parts))
    more = len(lines) - LISTED
    if more > 0:
        out.append(t.ngettext("…and {n} more.", "…and {n} more.", more).format(n=more))
    return out
