"""`chipin backup DIR`: a consistent copy of every database file while Chipin runs.

Every SQLite file Chipin keeps (the main database, the sandbox's and the telegram gateway's,
when they exist) is copied with SQLite's online backup API in one step: the copy is the
database as one read transaction saw it, and in WAL mode Chipin's writers go on meanwhile.
Each copy is switched to a rollback journal (one self-contained file), checked with
`PRAGMA integrity_check`, and written 0600 into a new folder `DIR/chipin-<UTC time>` (0700),
with a manifest (`backup.txt`: sizes, SHA-256, where each file came from). Nothing is ever
overwritten. The secret key is not copied: it goes apart from the data (docs/DEPLOY.md).

A PostgreSQL database is pg_dump's work: one line says how, exit status 3. A user's mistake
(no database yet, a folder that cannot be written) is one line on stderr, exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import shlex
import sqlite3
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.app.settings import Settings

EXIT_DAMAGED = 1  # a copy failed its integrity check
EXIT_REFUSED = 2  # the user's mistake: one line on stderr
EXIT_POSTGRES = 3  # nothing copied: the database is PostgreSQL, back it up with pg_dump

MANIFEST = "backup.txt"
BUSY_TIMEOUT_S = 30.0


class BackupRefused(Exception):
    """A mistake the user can fix: said in one line, no traceback."""


@dataclass(frozen=True)
class Source:
    """One SQLite database file to copy, and whose it is."""

    role: str  # "main", "sandbox", "telegram"
    path: Path


@dataclass(frozen=True)
class Copied:
    source: Source
    copy: Path
    size: int
    sha256: str
    integrity: str  # "ok", or SQLite's first complaint


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "backup",
        help="copy every database file, safely while Chipin runs",
        description=(
            "Copies the main SQLite database, the sandbox's and the telegram gateway's into a "
            "new folder DIR/chipin-<UTC time> (0700, files 0600), checks each copy's integrity, "
            "and never overwrites. The secret key is not copied: keep it apart. For PostgreSQL, "
            "use pg_dump (the command says how)."
        ),
    )
    p.add_argument(
        "dest",
        metavar="DIR",
        type=Path,
        help="where backups go (created 0700 if missing); each run adds a timestamped folder",
    )


async def backup(settings: Settings, args: argparse.Namespace) -> int:
    dest: Path = args.dest.expanduser().absolute()
    now = datetime.now(UTC)
    try:
        url = _url(settings.database_url, "CHIPIN_DATABASE_URL")
        if url.get_backend_name() == "postgresql":
            sys.stderr.write(f"chipin: {pg_dump_hint(url, dest, now)}\n")
            return EXIT_POSTGRES
        sources, notes = find_sources(settings)
        folder = await asyncio.to_thread(make_folder, dest, now)
    except BackupRefused as refused:
        sys.stderr.write(f"chipin: {refused}\n")
        return EXIT_REFUSED
    sys.stdout.write(f"backup: {folder}\n")
    copies: list[Copied] = []
    for source in sources:
        try:
            copied = await asyncio.to_thread(copy_database, source, folder / _name(source, copies))
        except BackupRefused as refused:
            sys.stderr.write(f"chipin: {refused}\n")
            return EXIT_REFUSED
        copies.append(copied)
        sys.stdout.write(f"{_copied_line(copied)}\n")
        sys.stdout.flush()
    for note in notes:
        sys.stdout.write(f"{note}\n")
    await asyncio.to_thread(write_manifest, folder, copies, now)
    sys.stdout.write(f"{secret_reminder(settings)}\n")
    damaged = [c for c in copies if c.integrity != "ok"]
    for c in damaged:
        sys.stderr.write(
            f"chipin: the copy of {c.source.path} fails SQLite's integrity check "
            f"({c.integrity}): the database itself may be damaged; keep your older backups\n"
        )
    return EXIT_DAMAGED if damaged else 0


def _url(value: str, setting: str) -> URL:
    try:
        return make_url(value)
    except ArgumentError:
        raise BackupRefused(f"{setting} is not a database URL") from None


def _sqlite_path(url: URL, setting: str) -> Path:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        raise BackupRefused(f"{setting} names no SQLite file to back up")
    return Path(database).expanduser().absolute()


def find_sources(settings: Settings) -> tuple[list[Source], list[str]]:
    """The SQLite files to copy (the main one must exist), and a note for each left out."""
    url = _url(settings.database_url, "CHIPIN_DATABASE_URL")
    if url.get_backend_name() != "sqlite":
        raise BackupRefused("CHIPIN_DATABASE_URL is neither SQLite nor PostgreSQL")
    main = _sqlite_path(url, "CHIPIN_DATABASE_URL")
    if not main.is_file():
        raise BackupRefused(
            f"no database file at {main} yet: run `chipin migrate` first, or check "
            "CHIPIN_DATABASE_URL"
        )
    sources = [Source("main", main)]
    notes: list[str] = []
    for role, setting, value in (
        ("sandbox", "CHIPIN_SANDBOX_DATABASE_URL", settings.sandbox_db_url),
        ("telegram", "CHIPIN_DATA_DIR", settings.telegram_db_url),
    ):
        url = _url(value, setting)
        if url.get_backend_name() != "sqlite":
            if value != settings.database_url:
                notes.append(f"not copied: {setting} is not SQLite; back it up with pg_dump")
            continue
        path = _sqlite_path(url, setting)
        if path.is_file() and all(s.path.resolve() != path.resolve() for s in sources):
            sources.append(Source(role, path))
    return sources, notes


def make_folder(dest: Path, now: datetime) -> Path:
    """DIR (0700 when made here) and a new DIR/chipin-<UTC time> (0700); never an old one."""
    folder = dest / f"chipin-{_stamp(now)}"
    try:
        if not dest.exists():
            dest.mkdir(mode=0o700, parents=True)
            dest.chmod(0o700)  # whatever the umask
        folder.mkdir(mode=0o700)
        folder.chmod(0o700)
    except FileExistsError:
        raise BackupRefused(f"{folder} already exists: not overwriting it") from None
    except OSError as exc:
        raise BackupRefused(f"cannot write the backup into {dest}: {exc.strerror}") from None
    return folder


def _stamp(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ")


def _name(source: Source, done: list[Copied]) -> str:
    """The file's own name, so a restore copies it back as it is; a second `x.db` from
    another folder gets a number."""
    taken = {c.copy.name for c in done}
    name, n = source.path.name, 1
    while name in taken:
        n += 1
        name = f"{source.path.stem}-{n}{source.path.suffix}"
    return name


def copy_database(source: Source, target: Path) -> Copied:
    """An online backup of `source` into the new file `target` (0600), then its integrity."""
    try:
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        raise BackupRefused(f"{target} already exists: not overwriting it") from None
    except OSError as exc:
        raise BackupRefused(f"cannot write {target}: {exc.strerror}") from None
    try:
        integrity = _online_copy(source.path, target)
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise BackupRefused(f"cannot copy {source.path}: {exc}") from None
    target.chmod(0o600)
    digest = hashlib.sha256()
    with target.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
        os.fsync(f.fileno())
    return Copied(source, target, target.stat().st_size, digest.hexdigest(), integrity)


def _online_copy(path: Path, target: Path) -> str:
    # Read-only: a backup never creates nor changes the database it copies.
    src = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
    try:
        dst = sqlite3.connect(target, timeout=BUSY_TIMEOUT_S)
        try:
            src.backup(dst)  # one step: one read transaction, one consistent snapshot
            dst.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
            rows = dst.execute("PRAGMA integrity_check").fetchall()
        finally:
            dst.close()
    finally:
        src.close()
    return "; ".join(str(r[0]) for r in rows[:3])


def _copied_line(c: Copied) -> str:
    check = "integrity ok" if c.integrity == "ok" else f"integrity FAILED: {c.integrity}"
    return f"copied {c.copy.name}: {c.size:,} bytes, {check} (from {c.source.path})"


def write_manifest(folder: Path, copies: list[Copied], now: datetime) -> None:
    lines = [f"chipin backup, {now.isoformat(timespec='seconds')}"]
    lines += [
        f"{c.copy.name}  {c.size} bytes  sha256 {c.sha256}  integrity {c.integrity}  "
        f"from {c.source.path} ({c.source.role})"
        for c in copies
    ]
    lines.append("not here: the secret key (back it up apart; restore it beside these files)")
    fd = os.open(folder / MANIFEST, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
        f.flush()
        os.fsync(f.fileno())


def secret_reminder(settings: Settings) -> str:
    """Where the secret key is, never the key itself."""
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        where = "the secret key (CHIPIN_SECRET_KEY)"
    else:
        where = f"the secret key ({(settings.data_dir / 'secret.key').absolute()})"
    return (
        f"not copied: {where}; back it up apart from this backup: without it the keys and "
        "personal data sealed in these files cannot be read"
    )


def pg_dump_hint(url: URL, dest: Path, now: datetime) -> str:
    """The pg_dump command for this database, without its password."""
    parts = ["pg_dump", "--format=custom"]
    if url.host:
        parts.append(f"--host={url.host}")
    if url.port:
        parts.append(f"--port={url.port}")
    if url.username:
        parts.append(f"--username={url.username}")
    parts += ["--file", str(dest / f"chipin-{_stamp(now)}.dump")]
    parts.append(url.database or "chipin")
    return (
        "CHIPIN_DATABASE_URL is PostgreSQL: back it up with pg_dump, which is consistent while "
        f"Chipin runs: {shlex.join(parts)} (password from ~/.pgpass or PGPASSWORD); nothing copied"
    )
