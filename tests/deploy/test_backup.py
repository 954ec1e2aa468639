"""`chipin backup DIR`: every SQLite file copied with SQLite's online backup API into a new
folder (0700, files 0600), checked, never overwritten, never with the secret key; one line
and exit status 2 for a user's mistake, exit status 3 and the pg_dump command for PostgreSQL.
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app.cli import main
from bot.app.cli_backup import (
    EXIT_DAMAGED,
    EXIT_POSTGRES,
    EXIT_REFUSED,
    BackupRefused,
    make_folder,
)
from tests.support.backends import sqlite_url


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean environment with CHIPIN_DATA_DIR and CHIPIN_DATABASE_URL in tmp_path/data."""
    for name in list(os.environ):
        if name.startswith(("CHIPIN_", "TELEGRAM_", "STRIPE_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # main sets it; restored after the test
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("CHIPIN_DATA_DIR", str(folder))
    monkeypatch.setenv("CHIPIN_DATABASE_URL", sqlite_url(folder / "chipin.db"))
    return folder


@pytest.fixture
def open_dbs() -> Iterator[list[sqlite3.Connection]]:
    """Connections kept open while the backup runs, as Chipin's are."""
    dbs: list[sqlite3.Connection] = []
    yield dbs
    for db in dbs:
        db.close()


def make_db(path: Path, rows: int, keep: list[sqlite3.Connection] | None = None) -> None:
    """A WAL database with `rows` rows; with `keep`, its connection stays open and the rows
    stay in the -wal file, not yet in the database file."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, v TEXT)")
    db.executemany("INSERT INTO t (v) VALUES (?)", [(f"row {i}",) for i in range(rows)])
    db.commit()
    if keep is None:
        db.close()
    else:
        keep.append(db)


def count(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        (n,) = db.execute("SELECT count(*) FROM t").fetchone()
        return int(n)
    finally:
        db.close()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    out = capsys.readouterr()
    [line] = out.err.splitlines()
    assert line.startswith("chipin: ")
    assert "Traceback" not in out.err + out.out
    return line


def test_every_database_file_is_copied_checked_and_kept_private(
    data: Path,
    tmp_path: Path,
    open_dbs: list[sqlite3.Connection],
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, rows in (("chipin.db", 30), ("sandbox.db", 20), ("telegram.db", 10)):
        make_db(data / name, rows, keep=open_dbs)
        assert (data / f"{name}-wal").stat().st_size > 0
    (data / "secret.key").write_text("k" * 64)
    dest = tmp_path / "backups" / "nightly"

    assert main(["backup", str(dest)]) == 0

    out = capsys.readouterr().out.splitlines()
    [folder] = dest.iterdir()
    assert re.fullmatch(r"chipin-\d{8}T\d{6}Z", folder.name)
    assert out[0] == f"backup: {folder}"
    assert mode(dest) == mode(folder) == 0o700
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["backup.txt", "chipin.db", "sandbox.db", "telegram.db"]  # no -wal, no key
    for name, rows in (("chipin.db", 30), ("sandbox.db", 20), ("telegram.db", 10)):
        copy = folder / name
        assert mode(copy) == 0o600
        assert count(copy) == rows  # what was still in the -wal file is in the copy
        line = next(ln for ln in out if ln.startswith(f"copied {name}: "))
        assert line.endswith(f"bytes, integrity ok (from {data / name})")
        assert f"{copy.stat().st_size:,} bytes" in line
    assert mode(folder / "backup.txt") == 0o600
    assert "k" * 64 not in (folder / "backup.txt").read_text() + "\n".join(out)
    assert out[-1].startswith(f"not copied: the secret key ({data / 'secret.key'}); back it up")


def test_the_secret_key_in_a_setting_is_named_never_shown(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key = "s3cret-" + "x" * 40
    monkeypatch.setenv("CHIPIN_SECRET_KEY", key)
    make_db(data / "chipin.db", 3)

    assert main(["backup", str(tmp_path / "b")]) == 0

    out = capsys.readouterr()
    assert key not in out.out + out.err
    assert out.out.splitlines()[-1].startswith("not copied: the secret key (CHIPIN_SECRET_KEY)")


def test_no_database_yet_is_one_line(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backup", str(tmp_path / "b")]) == EXIT_REFUSED
    line = one_error_line(capsys)
    assert line == (
        f"chipin: no database file at {data / 'chipin.db'} yet: run `chipin migrate` first, "
        "or check CHIPIN_DATABASE_URL"
    )
    assert not (tmp_path / "b").exists()


def test_a_destination_that_cannot_be_written_is_one_line(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_db(data / "chipin.db", 3)
    (tmp_path / "afile").write_text("")

    assert main(["backup", str(tmp_path / "afile" / "b")]) == EXIT_REFUSED
    assert one_error_line(capsys) == (
        f"chipin: cannot write the backup into {tmp_path / 'afile' / 'b'}: Not a directory"
    )


def test_a_file_that_is_not_a_database_is_one_line(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (data / "chipin.db").write_text("not a database, " * 100)

    assert main(["backup", str(tmp_path / "b")]) == EXIT_REFUSED
    assert one_error_line(capsys).startswith(f"chipin: cannot copy {data / 'chipin.db'}: ")
    [folder] = (tmp_path / "b").iterdir()
    assert list(folder.iterdir()) == []  # the half-made copy is gone


def test_a_copy_that_fails_the_integrity_check_is_kept_and_said(
    data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = sqlite3.connect(data / "chipin.db")
    db.executescript("CREATE TABLE t (a); CREATE INDEX i ON t (a); INSERT INTO t VALUES (1), (2);")
    db.execute("PRAGMA writable_schema=ON")  # the index no longer says what it holds
    db.execute(
        "UPDATE sqlite_master SET sql = 'CREATE INDEX i ON t (a) WHERE a > 1' WHERE name = 'i'"
    )
    db.commit()
    db.close()

    assert main(["backup", str(tmp_path / "b")]) == EXIT_DAMAGED == 1

    out = capsys.readouterr()
    assert "copied chipin.db: " in out.out
    assert "integrity FAILED: wrong # of entries in index i" in out.out
    [line] = out.err.splitlines()
    assert line == (
        f"chipin: the copy of {data / 'chipin.db'} fails SQLite's integrity check (wrong # of "
        "entries in index i): the database itself may be damaged; keep your older backups"
    )


def test_a_backup_never_overwrites_one_made_before(tmp_path: Path) -> None:
    now = datetime(2026, 12, 7, 3, 15, tzinfo=UTC)
    first = make_folder(tmp_path, now)
    assert first == tmp_path / "chipin-20261207T031500Z"
    with pytest.raises(BackupRefused, match="already exists: not overwriting it"):
        make_folder(tmp_path, now)


def test_postgresql_says_how_to_use_pg_dump_without_the_password(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(
        "CHIPIN_DATABASE_URL", "postgresql+asyncpg://chipin:pa55word@db.example:5433/payments"
    )

    assert main(["backup", str(tmp_path / "b")]) == EXIT_POSTGRES == 3
    line = one_error_line(capsys)
    assert "pa55word" not in line
    assert (
        "pg_dump --format=custom --host=db.example --port=5433 --username=chipin "
        f"--file {tmp_path / 'b'}/chipin-"
    ) in line
    assert line.endswith(".dump payments (password from ~/.pgpass or PGPASSWORD); nothing copied")
    assert not (tmp_path / "b").exists()
