"""The trust commands: `chipin ca`, `ledger`, `receipt verify`, `keys rewrap`, `pii rotate`."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app.settings import Settings, load_old_secrets, load_secret
from core.domain.books import book_problems, tally_rows
from core.domain.ledger.audit import AuditReport, audit
from core.domain.ledger.entries import SignedHead
from storage.books import Books, read_books
from storage.db import make_engine
from storage.sealing import reseal_all
from trust import authority as auth
from trust.ca import fingerprint
from trust.errors import HeadInvalid, TrustError
from trust.heads import verify_head
from trust.keyring import Keyring
from trust.keys_sql import rewrap_all
from trust.pii import load_sealer, rotate_seal_key
from trust.receipts import ReceiptInvalid, verify_receipt


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ca = sub.add_parser("ca", help="Chipin's own certificate authority for the ledger")
    ca_sub = ca.add_subparsers(dest="action", required=True)
    ca_sub.add_parser("show", help="print the certificate chain and its fingerprints")
    ca_sub.add_parser("rotate", help="issue a new head-signing key; old heads stay verifiable")
    ledger = sub.add_parser("ledger", help="the transparency ledger of money events")
    ledger_sub = ledger.add_subparsers(dest="action", required=True)
    verify = ledger_sub.add_parser(
        "verify",
        help="recompute the tree, check every head, and check the books against the ledger",
    )
    verify.add_argument("--root-fingerprint", help="the root CA's SHA-256 fingerprint to pin")
    ledger_sub.add_parser("sign", help="sign a tree head now")
    receipt = sub.add_parser("receipt", help="payer receipts")
    receipt_sub = receipt.add_subparsers(dest="action", required=True)
    check = receipt_sub.add_parser("verify", help="verify a receipt file offline")
    check.add_argument("file", type=Path)
    check.add_argument("--root-fingerprint", help="the root CA's SHA-256 fingerprint to pin")
    keys = sub.add_parser("keys", help="the keys Chipin keeps wrapped under CHIPIN_SECRET_KEY")
    keys_sub = keys.add_subparsers(dest="action", required=True)
    keys_sub.add_parser(
        "rewrap", help="after changing CHIPIN_SECRET_KEY: wrap every key under the new one"
    )
    pii = sub.add_parser("pii", help="personal data encrypted at rest")
    pii_sub = pii.add_subparsers(dest="action", required=True)
    pii_sub.add_parser("rotate", help="a new data key; re-encrypt every sealed value with it")
    pii_sub.add_parser(
        "reseal", help="finish an interrupted rotate: re-encrypt with the newest key"
    )


def verify_receipt_file(path: Path, root_fingerprint: str | None) -> int:
    """Offline: needs no settings, database or network."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"chipin: cannot read {path}: {type(exc).__name__}\n")
        return 2
    except RecursionError:  # nested deeper than Python's parser goes: no receipt is
        sys.stdout.write("NOT VALID: the document is nested too deeply to be a receipt\n")
        return 1
    try:
        checked = verify_receipt(doc, root_fingerprint)
    except ReceiptInvalid as exc:
        sys.stdout.write(f"NOT VALID: {exc.reason}\n")
        return 1
    e = checked.entry
    sys.stdout.write(
        f"valid: receipt {checked.receipt_id}\n"
        f"  entry {e.index} of a ledger of {checked.tree_size}: {e.kind.value}, "
        f"{e.amount_minor} minor units of {e.currency}, order {e.order_id}, {e.at.isoformat()}\n"
        f"  paid by {checked.payer_ref}\n"
        f"  signed under root CA {checked.root_fingerprint}"
        + ("" if root_fingerprint else " (not pinned: compare it with `chipin ca show`)")
        + "\n"
    )
    return 0


async def run(settings: Settings, args: argparse.Namespace) -> int:
    db = make_engine(settings.database_url)
    try:
        return await _run(settings, args, db)
    except TrustError as exc:
        sys.stderr.write(f"chipin: {exc}\n")
        return 2
    finally:
        await db.dispose()


async def _run(settings: Settings, args: argparse.Namespace, db: AsyncEngine) -> int:
    command = f"{args.command} {args.action}"
    if command == "ledger verify":  # needs no secret: certificates and hashes are public
        return await _verify_ledger(db, args.root_fingerprint)
    now = datetime.now(UTC)
    keyring = Keyring(load_secret(settings), load_old_secrets(settings))
    if command == "ca show":
        authority = await auth.open_authority(db, keyring, now)
        sys.stdout.write("\n".join(authority.describe()) + "\n\n" + authority.chain_pem())
        return 0
    if command == "ca rotate":
        authority = await auth.rotate(db, keyring, now)
        sys.stdout.write(
            f"signing key rotated: {authority.key_id} is current.\n"
            "Restart running instances so they sign with it; heads signed before stay valid.\n"
        )
        return 0
    if command == "ledger sign":
        from bot.app.bootstrap import bootstrap

        service = await bootstrap(settings, bot=False)
        try:
            signed = await service.engine.sign_head(force=True)
        finally:
            await service.close()
        sys.stdout.write(f"signed head: size {signed.head.tree_size}\n")
        return 0
    if command == "keys rewrap":
        count = await rewrap_all(db, keyring)
        sys.stdout.write(f"{count} keys now wrapped under the current CHIPIN_SECRET_KEY\n")
        return 0
    # pii rotate / pii reseal
    if command == "pii rotate":
        sealer = await rotate_seal_key(db, keyring, now)
    else:
        sealer = await load_sealer(db, keyring)
    count = await reseal_all(db, sealer)
    sys.stdout.write(
        f"{count} sealed values re-encrypted with the newest data key.\n"
        "Restart running instances so they seal new data with it too.\n"
    )
    return 0


async def _verify_ledger(db: AsyncEngine, root_fingerprint: str | None) -> int:
    root, signing = await auth.load_certificates(db)
    found = fingerprint(root)
    if root_fingerprint and found != root_fingerprint.lower().replace(":", ""):
        sys.stdout.write(f"NOT VALID: the root CA is {found}, not the one pinned\n")
        return 1
    books = await read_books(db)

    def check(signed: SignedHead) -> str | None:
        try:
            verify_head(signed, root, signing)
        except HeadInvalid as exc:
            return exc.reason
        return None

    report = audit(books.rows, books.size, books.heads, check)
    _print_report(report, found)
    if report.ok and not root_fingerprint:
        sys.stdout.write(
            "  the root CA was taken from the database itself (not pinned): compare its\n"
            "  fingerprint with the one you noted, or pass --root-fingerprint\n"
        )
    consistent = _check_books(books)
    return 0 if report.ok and consistent else 1


def _check_books(books: Books) -> bool:
    """core.domain.books over every order and payment: they agree with one another and with
    the ledger. Prints what it found; True when all is well."""
    tally, since = tally_rows(books.rows)
    problems = book_problems(
        books.orders, books.sub_orders, books.payments, tally, ledger_since=since
    )
    counts = f"{len(books.orders)} orders, {len(books.payments)} payments"
    if not problems:
        sys.stdout.write(f"books consistent: {counts} agree with each other and the ledger\n")
        return True
    sys.stdout.write(f"BOOKS NOT CONSISTENT ({counts}): {len(problems)} problems\n")
    sys.stdout.writelines(f"  {p}\n" for p in problems)
    return False


def _print_report(report: AuditReport, root: str) -> None:
    if report.ok:
        sys.stdout.write(
            f"ledger verified: {report.size} entries, {report.heads} signed heads, root CA {root}\n"
        )
        return
    first = report.problems[0]
    sys.stdout.write(f"LEDGER NOT VALID: first problem at {first.where}: {first.what}\n")
    for p in report.problems[1:]:
        sys.stdout.write(f"  {p.where}: {p.what}\n")
