"""`chipin statement import FILE --payee NAME`: a payee's bank statement, matched from the shell
(the same import as the bot's and the API's: core.usecases.payments.statements)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.app.settings import Settings
from core.domain.errors import DomainError
from core.domain.ledger.figures import amount_text
from core.usecases.payments.statements import MAX_FILE_BYTES, ImportReport


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    statement = sub.add_parser("statement", help="bank statements of payees' own accounts")
    statement_sub = statement.add_subparsers(dest="action", required=True)
    importing = statement_sub.add_parser(
        "import", help="match a statement's credits (CAMT.053, MT940, OFX) to transfers"
    )
    importing.add_argument("file", type=Path, help="the statement file")
    importing.add_argument(
        "--payee", required=True, help="the payee whose account it is ('tg:<id>' for Telegram)"
    )


async def import_statement(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app.bootstrap import bootstrap

    path: Path = args.file
    try:
        data = await asyncio.to_thread(_read, path)
    except OSError as exc:
        sys.stderr.write(f"chipin: cannot read {path}: {exc.strerror}\n")
        return 2
    if len(data) > MAX_FILE_BYTES:
        sys.stderr.write(f"chipin: {path} is over {MAX_FILE_BYTES // 2**20} MB\n")
        return 2
    service = await bootstrap(settings, bot=False)
    try:
        engine = service.engine
        statement = engine.read_statement(data, path.name)
        payee = await engine.payee_named(args.payee)
        if not await engine.methods_of(payee):
            sys.stderr.write(
                f"chipin: payee {args.payee!r} has no receiving method: nothing to match\n"
            )
            return 2
        report = await engine.import_statement(payee, statement)
    except DomainError as exc:
        sys.stderr.write(f"chipin: {exc.message}\n")
        return 2
    finally:
        await service.close()
    sys.stdout.write(report_text(report))
    return 0


def _read(path: Path) -> bytes:
    """At most one byte more than a statement may have: enough to refuse a bigger file."""
    with path.open("rb") as f:
        return f.read(MAX_FILE_BYTES + 1)


def report_text(report: ImportReport) -> str:
    """What an import did, for a terminal: counts, then each line the payee should check."""
    counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(report.outcomes.items()))
    lines = [
        f"{report.format}: {report.lines} lines, {report.credits} booked credits, "
        f"{report.again} imported before" + (f"; {counts}" if counts else ""),
    ]
    for line in report.to_check:
        day = line.booking_date.isoformat() if line.booking_date else "----------"
        amount = amount_text(line.amount_minor, line.currency)
        lines.append(
            f"  {line.outcome.value:9} {day} {amount} {line.currency} "
            f"{line.counterparty or ''} {line.text[:60]}".rstrip()
        )
    return "\n".join(lines) + "\n"
