"""What payees and payers read about static codes: binding, /codes, the payer's card, funds."""

from __future__ import annotations

from datetime import datetime

from bot.views.i18n import Translator
from bot.views.texts.common import esc, money, short
from bot.views.texts.payments import method_label
from bot.views.timefmt import duration, stamp, time_left
from core.domain.codes import CodeKind, CodeSpec, CodeState, CodeTotals
from core.domain.money import Money


def kind_label(t: Translator, kind: CodeKind) -> str:
    labels = {
        CodeKind.TIP: t.gettext("Tips"),
        CodeKind.DONATION: t.gettext("Donations"),
        CodeKind.FIXED: t.gettext("Fixed price"),
        CodeKind.FUND: t.gettext("Fund-raiser"),
    }
    return labels[kind]


def what_for(t: Translator, spec: CodeSpec) -> str:
    return esc(short(spec.title, 100)) if spec.title else kind_label(t, spec.kind)


def inactive(t: Translator, state: str) -> str:
    """Why a scanned code takes no payment."""
    if state == "disabled":
        return t.gettext("⏸ The payee has switched this code off for now. Nothing was charged.")
    if state == "ended":
        return t.gettext("🏁 This fund-raiser has ended. Nothing was charged.")
    if state == "changed":
        return t.gettext("This code changed just now; scan it again.")
    return t.gettext("This code is not active yet. Nothing was charged.")


def unbound_offer(t: Translator, label: str) -> str:
    return (
        inactive(t, "unbound")
        + "\n\n"
        + t.gettext(
            "If this sticker is yours, bind code {code} to yourself to collect with it."
        ).format(code=f"<b>{label}</b>")
    )


def bind_label(t: Translator) -> str:
    return t.gettext("Bind this code to me")


def choose_kind(t: Translator, label: str) -> str:
    return t.gettext("What should code {code} collect?").format(code=f"<b>{label}</b>")


def ask_price(t: Translator, currency: str) -> str:
    return t.gettext("Send the price in {currency}, e.g. 25").format(currency=currency)


def ask_goal(t: Translator, currency: str) -> str:
    return t.gettext(
        "Send the goal in {currency}, and a deadline if it has one: e.g. 500, or 500 30d"
    ).format(currency=currency)


def ask_title(t: Translator) -> str:
    return t.gettext("What is it for? Payers see this, e.g. Tips for the band")


def ask_name(t: Translator) -> str:
    return t.gettext("Which name should payers see as the collector? Send it, or use:")


def bind_pin(t: Translator) -> str:
    return t.gettext("Confirm with your payment password to bind the code.")


def already_bound(t: Translator, mine: bool) -> str:
    if mine:
        return t.gettext("This code is already bound to you: see /codes.")
    return t.gettext("This code is already bound to someone else; it cannot be bound again.")


def no_code(t: Translator) -> str:
    return t.gettext("There is no such code. Check the code printed under the QR code.")


def guess_locked(t: Translator, until: datetime | None, now: datetime) -> str:
    """Too many codes that do not exist: the payee's code look-ups wait."""
    if until is None or until <= now:
        return t.gettext("🔒 Too many codes at once. Wait a minute and try again.")
    return t.gettext(
        "🔒 Too many codes that do not exist. Codes are locked for {duration}; try again {when}."
    ).format(duration=duration(t, until - now), when=time_left(t, until, now))


def too_many_starts(t: Translator, until: datetime, now: datetime) -> str:
    """A payer started too many code payments in a short time; nothing was created."""
    return t.gettext(
        "✋ Too many payments started in a short time. Finish one you started, or try again "
        "{when}. Nothing was charged."
    ).format(when=time_left(t, until, now))


def bind_usage(t: Translator) -> str:
    return t.gettext("Send /bind with the code printed under the QR code, e.g. /bind K7PQ-3MXD")


def bound(t: Translator, label: str, spec: CodeSpec, name: str) -> str:
    return t.gettext(
        "✅ Code {code} now collects {what} for you, shown to payers as {name}. "
        "See its payments with /codes."
    ).format(code=f"<b>{label}</b>", what=what_for(t, spec), name=esc(name))


def limits(t: Translator, spec: CodeSpec) -> str:
    if spec.fixed_minor is not None:
        return t.gettext("Price: {price}").format(
            price=f"<b>{money(Money(spec.fixed_minor, spec.currency))}</b>"
        )
    return t.gettext("Any amount from {low} to {high}").format(
        low=money(Money(spec.min_minor, spec.currency)),
        high=money(Money(spec.max_minor, spec.currency)),
    )


def fund_line(t: Translator, spec: CodeSpec, raised_minor: int, payers: int, now: datetime) -> str:
    goal = spec.goal_minor or 0
    line = t.ngettext(
        "Raised {raised} of {goal} from {n} payment",
        "Raised {raised} of {goal} from {n} payments",
        payers,
    ).format(
        raised=f"<b>{money(Money(raised_minor, spec.currency))}</b>",
        goal=money(Money(goal, spec.currency)),
        n=payers,
    )
    bar = _bar(raised_minor, goal)
    if spec.deadline is not None:
        line += "\n" + t.gettext("Ends {when}").format(when=time_left(t, spec.deadline, now))
    return f"{bar}\n{line}"


def _bar(raised: int, goal: int, width: int = 10) -> str:
    done = min(width, raised * width // goal) if goal > 0 else width
    return "▓" * done + "░" * (width - done)


def payer_card(
    t: Translator, name: str, spec: CodeSpec, raised_minor: int, payers: int, now: datetime
) -> str:
    """What a payer sees after scanning a bound code."""
    lines = [
        "💳 "
        + t.gettext("{name} collects: {what}").format(
            name=f"<b>{esc(short(name))}</b>", what=what_for(t, spec)
        ),
        limits(t, spec),
    ]
    if spec.kind == CodeKind.FUND:
        lines.append(fund_line(t, spec, raised_minor, payers, now))
    return "\n".join(lines)


def ask_amount(t: Translator, typed: str, currency: str) -> str:
    shown = typed or "…"
    return t.gettext("Type the amount in {currency}, or use the keypad:\n\n<b>{amount}</b>").format(
        currency=currency, amount=esc(shown)
    )


def pay_fixed_label(t: Translator, price: Money) -> str:
    return t.gettext("Pay {price}").format(price=money(price))


def state_label(t: Translator, state: CodeState) -> str:
    labels = {
        CodeState.ACTIVE: t.gettext("on"),
        CodeState.DISABLED: t.gettext("switched off"),
        CodeState.UNBOUND: t.gettext("unbound"),
    }
    return labels[state]


def no_codes(t: Translator) -> str:
    return t.gettext(
        "You have no codes yet. Scan a printed Chipin code, or send /bind with its code."
    )


def code_summary(t: Translator, totals: CodeTotals, now: datetime) -> str:
    """One code in /codes: what it collects, its state, totals today and this month."""
    code, spec = totals.code, totals.code.spec
    if spec is None:
        return f"<b>{code.label}</b> · {state_label(t, code.state)}"
    cur = spec.currency
    lines = [
        f"<b>{code.label}</b> · {kind_label(t, spec.kind)} · {state_label(t, code.state)}",
        what_for(t, spec),
        t.gettext("Today {today} · this month {month} · in all {total}").format(
            today=money(Money(totals.today_minor, cur)),
            month=money(Money(totals.month_minor, cur)),
            total=money(Money(totals.raised_minor, cur)),
        ),
    ]
    if spec.kind == CodeKind.FUND:
        lines.append(fund_line(t, spec, totals.raised_minor, totals.payments, now))
    for p in totals.last:
        who = esc(short(p.payer_name or "?"))
        how = method_label(t, p.gateway, cur.code) if p.gateway else "?"
        paid = money(Money(p.amount_minor, cur))
        lines.append(f"  · {paid} — {who} — {how} — {stamp(t, p.paid_at)}")
    return "\n".join(lines)


def codes_header(t: Translator, collection_id: str, modes: tuple[str, ...]) -> str:
    return t.gettext("Your collection ID: {cid}\nPayment modes: {modes}").format(
        cid=f"<code>{collection_id}</code>", modes=", ".join(modes) or "—"
    )


def action_label(t: Translator, action: str, label: str) -> str:
    labels = {
        "off": t.gettext("Switch off {code}"),
        "on": t.gettext("Switch on {code}"),
        "unbind": t.gettext("Unbind {code}"),
        "move": t.gettext("Move {code}"),
    }
    return labels[action].format(code=label)


def unbound_done(t: Translator, label: str) -> str:
    return t.gettext(
        "Code {code} is unbound: it takes no payments until it is bound again."
    ).format(code=f"<b>{label}</b>")


def state_done(t: Translator, label: str, state: CodeState) -> str:
    return t.gettext("Code {code} is now {state}.").format(
        code=f"<b>{label}</b>", state=state_label(t, state)
    )


def ask_move(t: Translator, label: str) -> str:
    return t.gettext(
        "Send the code printed under the new sticker: code {code} moves there, with its totals."
    ).format(code=f"<b>{label}</b>")


def moved(t: Translator, old: str, new: str) -> str:
    return t.gettext("Moved: code {new} now collects what {old} did; {old} is unbound.").format(
        old=f"<b>{old}</b>", new=f"<b>{new}</b>"
    )


def received(t: Translator, amount: Money, what: str, label: str, payer: str) -> str:
    """The payee's note for each payment to a code."""
    return t.gettext("💰 {amount} for {what} (code {code}) from {payer}").format(
        amount=f"<b>{money(amount)}</b>", what=what, code=label, payer=esc(short(payer))
    )


def fund_progress(
    t: Translator, name: str, spec: CodeSpec, raised: int, n: int, now: datetime
) -> str:
    """The live progress message of a fund in a group."""
    head = "🎯 " + t.gettext("{name} raises money: {what}").format(
        name=f"<b>{esc(short(name))}</b>", what=what_for(t, spec)
    )
    return f"{head}\n{fund_line(t, spec, raised, n, now)}"


def goal_reached(t: Translator, spec: CodeSpec, raised: int) -> str:
    return t.gettext("🎉 Goal reached: {what} has raised {raised}!").format(
        what=what_for(t, spec), raised=f"<b>{money(Money(raised, spec.currency))}</b>"
    )


def fund_usage(t: Translator) -> str:
    return t.gettext(
        "Send /fund with one of your fund-raiser codes in a group to post its progress there."
    )


def not_a_fund(t: Translator) -> str:
    return t.gettext("Only a fund-raiser's progress can be posted; see /codes for yours.")
