"""What a user reads about their records: history lines, a payee's figures, exports, proofs.

Telegram HTML like the other texts modules; `_alert` texts are plain (callback answers).
"""

from __future__ import annotations

from datetime import timedelta

from bot.views.i18n import Translator
from bot.views.texts.common import esc, money, short
from bot.views.texts.transfers import how_settled
from bot.views.timefmt import duration, stamp
from core.domain.errors import InvalidInput
from core.domain.ledger.entries import MONEY_IN, REFUND_KINDS, EntryKind, LedgerEntry
from core.domain.ledger.figures import Stats, Totals
from core.domain.money import Money, currency
from core.usecases.records import Record, Role

TITLE_MAX = 40
MONTHS_SHOWN = 12  # the newest months in the /stats text (the chart and CSV have them all)
ORDERS_SHOWN = 10


def ledger_money(amount_minor: int, code: str) -> str:
    """'12.50 USD'; a currency Chipin does not know shows its minor units."""
    try:
        cur = currency(code)
    except InvalidInput:
        return f"{amount_minor} {esc(code)}"
    return money(Money(amount_minor, cur))


def kind_label(t: Translator, kind: EntryKind) -> str:
    labels = {
        EntryKind.PART_PAID: t.gettext("paid"),
        EntryKind.PART_AUTHORISED: t.gettext("authorised"),
        EntryKind.PAYMENT_LATE: t.gettext("arrived too late"),
        EntryKind.PAYMENT_CAPTURED: t.gettext("captured"),
        EntryKind.PAYMENT_REFUNDED: t.gettext("refunded"),
        EntryKind.PAYMENT_VOIDED: t.gettext("released"),
        EntryKind.LATE_REFUNDED: t.gettext("late payment refunded"),
        EntryKind.LATE_VOIDED: t.gettext("late payment released"),
        EntryKind.ORDER_COMPLETED: t.gettext("order completed"),
        EntryKind.ORDER_EXPIRED: t.gettext("order expired"),
        EntryKind.ORDER_CANCELLED: t.gettext("order cancelled"),
    }
    return labels[kind]


def record_line(t: Translator, r: Record) -> str:
    """'↗ 2026-03-05 20:15 UTC · Dinner · 40.00 USD · paid' as payer; '↙ …' as payee."""
    e = r.entry
    values = {
        "time": stamp(t, e.at),
        "title": esc(short(r.order_title or e.order_id or "—", TITLE_MAX)),
        "amount": ledger_money(e.amount_minor, e.currency),
        "state": kind_label(t, e.kind),
    }
    if e.to_payee_account:
        payee = None if Role.PAYEE in r.roles else r.payee_name or t.gettext("the payee")
        how: str | None = account_route(t, e, payee)
    else:
        how = how_settled(t, e.method, e.settled) if e.method else None
    if Role.PAYEE not in r.roles:
        line = t.gettext("↗ {time} · {title} · {amount} · {state}").format(**values)
        return f"{line} · {how}" if how else line
    line = t.gettext("↙ {time} · {title} · {amount} · {state}").format(**values)
    if how:
        line = f"{line} · {how}"
    return f"{line} · {esc(short(r.payer_name))}" if r.payer_name else line


# ---- card money into the payee's own account (a destination charge) ----


def payee_account(t: Translator, payee: str | None) -> str:
    """'card → Ann's own account'; to the payee themself (`payee` None): 'card → your own
    account'."""
    if payee is None:
        return t.gettext("card → your own account")
    return t.gettext("card → {payee}'s own account").format(payee=esc(short(payee)))


def platform_fee(t: Translator, e: LedgerEntry, payee: str | None) -> str | None:
    """The platform's fee of a card payment into the payee's own account, apart from the
    part: 'platform fee 0.60 EUR (Ann receives 39.40 EUR)'; on a refund, the fee that went
    back with it. None where there is no fee to tell (none taken, or a release)."""
    if not e.to_payee_account or not e.fee_minor:
        return None
    fee = ledger_money(e.fee_minor, e.currency)
    if e.kind in REFUND_KINDS:
        return t.gettext("platform fee {fee} refunded").format(fee=fee)
    if e.kind not in MONEY_IN and e.kind != EntryKind.PAYMENT_LATE:
        return None
    net = ledger_money(e.amount_minor - e.fee_minor, e.currency)
    if payee is None:
        return t.gettext("platform fee {fee} (you receive {net})").format(fee=fee, net=net)
    text = t.gettext("platform fee {fee} ({payee} receives {net})")
    return text.format(fee=fee, payee=esc(short(payee)), net=net)


def account_route(t: Translator, e: LedgerEntry, payee: str | None) -> str:
    """Where a card payment into the payee's own account went, and its fee apart:
    'card → Ann's own account · platform fee 0.60 EUR (Ann receives 39.40 EUR)'."""
    route = payee_account(t, payee)
    fee = platform_fee(t, e, payee)
    return f"{route} · {fee}" if fee else route


def receipt_account_line(t: Translator, e: LedgerEntry, payee: str) -> str | None:
    """On a payer's receipt, for a card payment into the payee's own account (None for any
    other): 'Paid by card → Ann's own account · platform fee 0.60 EUR (Ann receives 39.40
    EUR)'. `payee` is how the payee is shown to payers ('' if unknown)."""
    if not e.to_payee_account:
        return None
    how = account_route(t, e, payee or t.gettext("the payee"))
    return t.gettext("Paid by {how}").format(how=how)


def history_header(t: Translator, page: int, pages: int) -> str:
    return t.gettext("<b>Your records</b> (page {page} of {pages}), newest first:").format(
        page=page, pages=max(pages, 1)
    )


def history_filters(t: Translator, month: str | None, order_id: str | None) -> str:
    parts = []
    if month:
        parts.append(t.gettext("Month: {month}").format(month=esc(month)))
    if order_id:
        parts.append(t.gettext("Order id: {id}").format(id=f"<code>{esc(short(order_id))}</code>"))
    return " · ".join(parts)


def history_empty(t: Translator) -> str:
    return t.gettext("No records yet. Payments and collections you make will show up here.")


def history_none_match(t: Translator) -> str:
    return t.gettext("No records match. Try /history without a month or order id.")


# ---- /stats ----


def stats_none(t: Translator) -> str:
    return t.gettext("You have not collected money with Chipin yet. Start with /split in a group.")


def _totals(t: Translator, s: Totals) -> str:
    line = t.gettext("{currency}: collected {collected}, refunded {refunded}, net {net}").format(
        currency=esc(s.currency),
        collected=ledger_money(s.collected_minor, s.currency),
        refunded=ledger_money(s.refunded_minor, s.currency),
        net=f"<b>{ledger_money(s.net_minor, s.currency)}</b>",
    )
    if s.direct_minor:
        split = t.gettext("of which {direct} straight to you, {operator} through Chipin").format(
            direct=ledger_money(s.direct_minor, s.currency),
            operator=ledger_money(s.operator_minor, s.currency),
        )
        line = f"{line}\n  {split}"
    if s.to_payee_account_minor or s.platform_fees_minor:
        cards = t.gettext("card → your own account: {amount}, platform fees {fees}").format(
            amount=ledger_money(s.to_payee_account_minor, s.currency),
            fees=ledger_money(s.platform_fees_minor, s.currency),
        )
        line = f"{line}\n  {cards}"
    return line


def stats_summary(t: Translator, st: Stats, month: str | None = None) -> str:
    """The payee's figures: totals, payers, closings, time to complete, months, orders."""
    head = t.gettext("📊 <b>Your collections</b>")
    lines = [f"{head} · {esc(month)}" if month else head]
    lines += [_totals(t, s) for s in st.totals] or [t.gettext("Nothing collected in this period.")]
    lines.append(t.ngettext("{n} payer paid", "{n} payers paid", st.payers).format(n=st.payers))
    lines.append(
        t.gettext("Orders: {completed} completed, {expired} expired, {cancelled} cancelled").format(
            completed=st.completed, expired=st.expired, cancelled=st.cancelled
        )
    )
    if st.avg_complete_s is not None:
        took = duration(t, timedelta(seconds=st.avg_complete_s))
        average = t.gettext("Average time to complete an order: {duration}")
        lines.append(average.format(duration=took))
    return "\n".join(lines + _months(t, st) + _orders(t, st))


def _months(t: Translator, st: Stats) -> list[str]:
    nets: dict[str, list[str]] = {}
    for m in st.by_month:
        nets.setdefault(m.month, []).append(ledger_money(m.totals.net_minor, m.totals.currency))
    if not nets:
        return []
    shown = sorted(nets)[-MONTHS_SHOWN:]
    return ["", t.gettext("<b>Net by month</b>")] + [f"{m}: {', '.join(nets[m])}" for m in shown]


def _orders(t: Translator, st: Stats) -> list[str]:
    if not st.by_order:
        return []
    lines = ["", t.gettext("<b>Newest orders</b>")]
    for o in st.by_order[:ORDERS_SHOWN]:
        lines.append(
            t.ngettext(
                "• {title}: net {amount}, {n} part paid",
                "• {title}: net {amount}, {n} parts paid",
                o.parts_paid,
            ).format(
                title=esc(short(o.title or o.order_id, TITLE_MAX)),
                amount=ledger_money(o.totals.net_minor, o.totals.currency),
                n=o.parts_paid,
            )
        )
    more = len(st.by_order) - ORDERS_SHOWN
    if more > 0:
        lines.append(t.ngettext("…and {n} more order", "…and {n} more orders", more).format(n=more))
    return lines


def chart_caption(t: Translator, code: str) -> str:
    return t.gettext("Net collected per month, in {currency}.").format(currency=esc(code))


# ---- /export ----


def export_caption(t: Translator, rows: int) -> str:
    return t.ngettext(
        "Your records as CSV: {n} entry, oldest first.",
        "Your records as CSV: {n} entries, oldest first.",
        rows,
    ).format(n=rows)


def export_empty(t: Translator) -> str:
    return t.gettext("Nothing to export yet: no money has moved for your orders.")


# ---- receipts' proof files ----


def proof_label(t: Translator) -> str:
    return t.gettext("Proof file")


def proof_caption(t: Translator, filename: str) -> str:
    command = f"<code>chipin receipt verify {esc(filename)}</code>"
    return t.gettext("Check it offline: {command}").format(command=command)


def not_signing_alert(t: Translator) -> str:
    """Plain: the ledger has no certificate authority running yet."""
    return t.gettext("The ledger is not signing yet, so there is no proof file. Try again later.")


def no_receipt_alert(t: Translator) -> str:
    """Plain: a proof button for a payment that is not this user's (or not a paid part)."""
    return t.gettext("You have no receipt with this id.")
