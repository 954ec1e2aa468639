"""A mistake an operator can make stops `chipin` with one line on stderr, `chipin: ...`,
naming the setting to change or the command to run, with exit status 2 and no traceback;
and no secret (the bot token, the secret key, a database password) is ever printed.

Every case is a real `chipin` process in a clean environment: its own data folder and
settings, the working directory a fresh folder (no `.env`). The cases run at once in
threads, within one test (PostgreSQL's in another), whose failure lists every case that
went wrong.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

import pytest
from alembic import command

from bot.app.bootstrap import open_trust
from storage.db import make_engine
from storage.migrate import alembic_config, head_revision, schema_state
from tests.support.backends import PgServer, sqlite_url
from tests.support.procs import free_port

TOKEN = "123456789:AAH-rejected-TOKEN-secret-part"
KEY = "the-key-this-database-was-made-with-0123456789"
OTHER_KEY = "another-key-that-opens-nothing-here-0123456789"
PASSWORD = "hunter2-db-password"  # must never be printed
SECRETS = (TOKEN, TOKEN.partition(":")[2], KEY, OTHER_KEY, PASSWORD)
HEAD = head_revision()
OLDER = "0014"
TIMEOUT_S = 60


@dataclass(frozen=True, slots=True)
class World:
    """What a case runs against: its folder (the working directory), and the servers."""

    folder: Path
    telegram: str  # TELEGRAM_BASE_URL of a Bot API that rejects every token
    busy: int  # a port something already listens on
    pg: PgServer | None
    pg_db: str = ""  # a fresh, empty PostgreSQL database, for the cases that need one

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def db(self) -> Path:
        return self.data / "chipin.db"

    def pg_url(self, scheme: str) -> str:
        assert self.pg is not None
        return f"{scheme}://{self.pg.user}@127.0.0.1:5432/{self.pg_db}"


Settings = Callable[[World], dict[str, str]]


def _none(_w: World) -> dict[str, str]:
    return {}


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    args: tuple[str, ...]
    says: tuple[str, ...]  # the one line names each of these
    settings: Settings = _none
    db: str = "none"  # none, empty, head, older, newer, keyed (keys wrapped under KEY)
    key_file: str | None = None  # CHIPIN_DATA_DIR/secret.key holds this
    code: int = 2
    after: Callable[[World], None] | None = None  # more checks once it stopped
    needs: str = ""  # pg, root-less
    prepare: Callable[[World], None] | None = None
    lines: int | None = 1  # how many lines stderr holds (None: any, for a success's log)
    data_dir: bool = True  # CHIPIN_DATA_DIR is made before `chipin` starts


@dataclass(frozen=True, slots=True)
class Outcome:
    code: int
    out: str
    err: str


def _no_codes_saved(w: World) -> None:
    with sqlite3.connect(w.db) as db:
        assert db.execute("SELECT count(*) FROM static_codes").fetchone() == (0,)


def _at_head(w: World) -> None:
    with sqlite3.connect(w.db) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]


def _pg_still_empty(w: World) -> None:
    state = asyncio.run(schema_state(w.pg_url("postgresql+asyncpg")))
    assert state.empty  # never migrated by anything but `chipin migrate`


def _no_key_made(w: World) -> None:
    assert not (w.data / "secret.key").exists()


def _made_private(w: World) -> None:
    assert stat.S_IMODE(w.data.stat().st_mode) == 0o700
    assert w.db.exists()  # the default database follows CHIPIN_DATA_DIR


def _old_data_in_cwd(w: World) -> None:
    (w.folder / "data").mkdir()
    (w.folder / "data" / "chipin.db").write_bytes(b"")


def _nothing_in(folder: Path) -> None:
    assert not folder.exists() or not list(folder.iterdir())


def _read_only_folder(w: World) -> None:
    (w.folder / "ro").mkdir(mode=0o500)


def _a_file_as_data_dir(w: World) -> None:
    w.data.write_text("not a folder")


CODES = ("codes", "print", "--count", "3", "--bot", "chipin_test_bot")
MIGRATE_ME = ("run `chipin migrate`", f"revision {OLDER}", f"needs {HEAD}")

CASES = [
    # ---- the database's schema ----
    *(
        Case(f"older-sqlite-{'-'.join(args[:2])}", args, MIGRATE_ME, db="older")
        for args in [
            ("run",),
            ("apikey", "create", "--payee", "Ann"),
            (*CODES, "--out", "codes.pdf"),
            ("ledger", "sign"),
            ("ca", "show"),
        ]
    ),
    Case(
        "older-sqlite-serve-written-sqlite:///",
        ("serve",),
        MIGRATE_ME,
        db="older",
        settings=lambda w: {"CHIPIN_DATABASE_URL": f"sqlite:///{w.db}"},
    ),
    Case(
        "newer-sqlite",
        ("serve",),
        ("revision 9999", f"newest is {HEAD}", "newer"),
        db="newer",
    ),
    Case(
        "newer-sqlite-migrate",
        ("migrate",),
        ("revision 9999", f"newest is {HEAD}", "newer"),
        db="newer",
    ),
    Case(
        "empty-sqlite-file-is-migrated",
        ("apikey", "create", "--payee", "Ann"),
        ("INFO", "new database", f"creating its tables (revision {HEAD})"),
        db="empty",
        code=0,
        lines=None,
        after=_at_head,
    ),
    Case(
        "absent-sqlite-file-is-migrated",
        ("apikey", "create", "--payee", "Ann"),
        ("INFO", "new database", f"creating its tables (revision {HEAD})"),
        code=0,
        lines=None,
        after=_at_head,
    ),
    Case(
        "empty-postgres-written-postgres://",
        ("serve",),
        ("run `chipin migrate`", "revision none", f"needs {HEAD}"),
        settings=lambda w: {"CHIPIN_DATABASE_URL": w.pg_url("postgres")},
        needs="pg",
        after=_pg_still_empty,
    ),
    Case(
        "empty-postgres-written-postgresql://",
        ("apikey", "create", "--payee", "Ann"),
        ("run `chipin migrate`", "revision none", f"needs {HEAD}"),
        settings=lambda w: {"CHIPIN_DATABASE_URL": w.pg_url("postgresql")},
        needs="pg",
        after=_pg_still_empty,
    ),
    # ---- the bot token ----
    Case(
        "token-rejected-run",
        ("run",),
        ("bad setting TELEGRAM_BOT_TOKEN: Telegram rejects it", "Unauthorized"),
        settings=lambda w: {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": w.telegram},
        db="head",
    ),
    Case(
        "token-rejected-codes-print",
        ("codes", "print", "--count", "3", "--out", "codes.pdf"),
        ("bad setting TELEGRAM_BOT_TOKEN: Telegram rejects it", "Unauthorized"),
        settings=lambda w: {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": w.telegram},
        db="head",
        after=_no_codes_saved,
    ),
    # ---- settings ----
    Case(
        "public-url-without-scheme",
        ("serve",),
        ("bad setting CHIPIN_PUBLIC_URL", "write https://pay.example.com"),
        settings=lambda w: {"CHIPIN_PUBLIC_URL": "pay.example.com"},
    ),
    Case(
        "public-url-not-http",
        ("serve",),
        ("bad setting CHIPIN_PUBLIC_URL", "https://"),
        settings=lambda w: {"CHIPIN_PUBLIC_URL": "ftp://pay.example.com"},
    ),
    Case(
        "public-url-with-a-query",
        ("serve",),
        ("bad setting CHIPIN_PUBLIC_URL", "query", "https://pay.example.com"),
        settings=lambda w: {"CHIPIN_PUBLIC_URL": "https://pay.example.com/pay?x=1"},
    ),
    Case(
        "short-secret-key",
        ("serve",),
        ("bad setting CHIPIN_SECRET_KEY", "at least 32 characters"),
        settings=lambda w: {"CHIPIN_SECRET_KEY": KEY[:20]},
    ),
    Case(
        "log-level",
        ("serve",),
        ("bad setting CHIPIN_LOG_LEVEL", "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        settings=lambda w: {"CHIPIN_LOG_LEVEL": "LOUD"},
    ),
    Case(
        "database-driver",
        ("serve",),
        ("bad setting CHIPIN_DATABASE_URL", "'mysql'", "postgresql+asyncpg://"),
        settings=lambda w: {"CHIPIN_DATABASE_URL": f"mysql://chipin:{PASSWORD}@db/chipin"},
    ),
    Case(
        "data-dir-parent-missing",
        ("serve",),
        ("CHIPIN_DATA_DIR=", "parent folder", "does not exist"),
        settings=lambda w: {"CHIPIN_DATA_DIR": str(w.folder / "no" / "data")},
    ),
    Case(
        "data-dir-cannot-be-made",
        ("serve",),
        ("CHIPIN_DATA_DIR=/proc/chipin", "cannot create it"),
        settings=lambda w: {"CHIPIN_DATA_DIR": "/proc/chipin"},
    ),
    Case(
        "data-dir-is-a-file",
        ("serve",),
        ("CHIPIN_DATA_DIR=", "is a file, not a folder"),
        prepare=_a_file_as_data_dir,
    ),
    Case(
        "data-dir-made-when-missing",
        ("migrate",),
        ("INFO", "created the data folder"),
        data_dir=False,
        code=0,
        lines=None,
        after=_made_private,
    ),
    Case(
        "data-dir-moved-away-from-the-database",
        ("serve",),
        (
            "CHIPIN_DATA_DIR=",
            "./data/chipin.db exists",
            "move ./data/* to",
            "unset CHIPIN_DATA_DIR",
        ),
        settings=lambda w: {
            "CHIPIN_DATA_DIR": str(w.folder / "elsewhere"),
            "CHIPIN_DATABASE_URL": "",  # unset: the default, chipin.db in CHIPIN_DATA_DIR
        },
        prepare=_old_data_in_cwd,
        after=lambda w: _nothing_in(w.folder / "elsewhere"),
    ),
    # ---- the secret key ----
    Case(
        "wrong-secret-key",
        ("serve",),
        ("CHIPIN_SECRET_KEY does not open this database's keys", "CHIPIN_OLD_SECRET_KEYS"),
        settings=lambda w: {"CHIPIN_SECRET_KEY": OTHER_KEY},
        db="keyed",
    ),
    Case(
        "wrong-secret-key-file",
        ("apikey", "create", "--payee", "Ann"),
        ("secret.key does not open this database's keys", "`chipin keys rewrap`"),
        db="keyed",
        key_file=OTHER_KEY,
    ),
    Case(
        "missing-secret-key",
        ("serve",),
        ("the secret key is missing", "CHIPIN_SECRET_KEY is not set", "secret.key does not exist"),
        db="keyed",
        after=_no_key_made,
    ),
    Case(
        "missing-secret-key-ca-show",
        ("ca", "show"),
        ("the secret key is missing", "secret.key does not exist"),
        db="keyed",
        after=_no_key_made,
    ),
    # ---- the listener's port (bot.app.runner) ----
    Case(
        "port-in-use",
        ("serve",),
        ("CHIPIN_LISTEN", "in use"),
        settings=lambda w: {"CHIPIN_LISTEN": f"127.0.0.1:{w.busy}"},
        db="head",
    ),
    # ---- where `chipin codes print` writes: checked before any code is saved ----
    Case(
        "codes-out-folder-missing",
        (*CODES, "--out", "no/codes.pdf"),
        ("--out no/codes.pdf", "does not exist"),
        db="head",
        after=_no_codes_saved,
    ),
    Case(
        "codes-out-is-a-folder",
        (*CODES, "--out", "data"),
        ("--out data is a folder",),
        db="head",
        after=_no_codes_saved,
    ),
    Case(
        "codes-out-in-an-unwritable-folder",
        (*CODES, "--out", "/proc/codes.pdf"),
        ("--out /proc/codes.pdf", "cannot write in /proc"),
        db="head",
        after=_no_codes_saved,
    ),
    Case(
        "codes-out-in-a-read-only-folder",
        (*CODES, "--out", "ro/codes.pdf"),
        ("--out ro/codes.pdf", "cannot write in"),
        db="head",
        prepare=_read_only_folder,
        after=_no_codes_saved,
        needs="root-less",
    ),
    Case(
        "codes-png-dir-cannot-be-made",
        (*CODES, "--out", "codes.pdf", "--png-dir", "/proc/codes"),
        ("--png-dir /proc/codes", "cannot create it"),
        db="head",
        after=_no_codes_saved,
    ),
    Case(
        "codes-bad-bot-username",
        ("codes", "print", "--count", "3", "--bot", "b", "--out", "codes.pdf"),
        ("--bot 'b' is not a bot's username",),
        db="head",
        after=_no_codes_saved,
    ),
]


class _Unauthorized(BaseHTTPRequestHandler):
    """A Bot API that rejects every token, as Telegram answers a revoked one."""

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        body = json.dumps({"ok": False, "error_code": 401, "description": "Unauthorized"})
        self.send_response(401)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        return None


@contextmanager
def _rejecting_telegram() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Unauthorized)
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/bot"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def _busy_port() -> Iterator[int]:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        yield busy.getsockname()[1]


def _chipin() -> list[str]:
    installed = Path(sys.executable).parent / "chipin"
    return [str(installed)] if installed.exists() else [sys.executable, "-m", "bot.app.cli"]


def _env(w: World, case: Case) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CHIPIN_", "TELEGRAM_", "STRIPE_")) and k != "FORWARDED_ALLOW_IPS"
    }
    env.update(
        CHIPIN_DATA_DIR=str(w.data),
        CHIPIN_DATABASE_URL=sqlite_url(w.db),
        CHIPIN_LISTEN=f"127.0.0.1:{free_port()}",
        CHIPIN_PASSWORD_COST="10",
        CHIPIN_LOG_LEVEL="WARNING" if case.lines == 1 else "INFO",
    )
    env.update(case.settings(w))
    return {k: v for k, v in env.items() if v}  # "" : unset


@dataclass(frozen=True, slots=True)
class Templates:
    """Databases the cases start from: at the newest schema, at OLDER, with keys under KEY."""

    head: Path
    older: Path
    keyed: Path


def _templates(folder: Path, head: Path) -> Templates:
    older = folder / "older.db"
    command.upgrade(alembic_config(sqlite_url(older)), OLDER)
    keyed = folder / "keyed.db"
    shutil.copyfile(head, keyed)
    asyncio.run(_wrap_keys(sqlite_url(keyed)))
    return Templates(head, older, keyed)


async def _wrap_keys(url: str) -> None:
    db = make_engine(url)
    try:
        await open_trust(db, KEY.encode())
    finally:
        await db.dispose()


def _prepare(case: Case, w: World, t: Templates) -> None:
    w.folder.mkdir()
    if case.prepare is not None:
        case.prepare(w)
    if case.data_dir and not w.data.exists():
        w.data.mkdir(mode=0o700)
    if case.db == "empty":
        w.db.write_bytes(b"")
    if case.db in ("head", "newer", "older", "keyed"):
        source = {"older": t.older, "keyed": t.keyed}.get(case.db, t.head)
        shutil.copyfile(source, w.db)
    if case.db == "newer":
        with sqlite3.connect(w.db) as db:
            db.execute("UPDATE alembic_version SET version_num = '9999'")
    if case.key_file is not None:
        (w.data / "secret.key").write_text(case.key_file)


def _run(case: Case, w: World, t: Templates) -> Outcome:
    """The case's `chipin`, to its end; killed after TIMEOUT_S (a mistake it did not see)."""
    _prepare(case, w, t)
    proc = subprocess.Popen(
        [*_chipin(), *case.args],
        env=_env(w, case),
        cwd=w.folder,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err += f"\n(still running after {TIMEOUT_S} s: killed)"
    return Outcome(proc.returncode, out, err)


def _problems(case: Case, run: Outcome, w: World) -> list[str]:
    """What is wrong with how `chipin` stopped, if anything."""
    lines = run.err.strip().splitlines()
    text = "\n".join(lines)
    problems = [f"exit status {run.code}, not {case.code}"] if run.code != case.code else []
    if "Traceback" in run.err:
        problems.append("a traceback")
    problems += [f"a secret printed: {s[:6]}..." for s in SECRETS if s in run.out + run.err]
    if case.lines is not None and (len(lines) != case.lines or not text.startswith("chipin: ")):
        problems.append(f"{len(lines)} lines on stderr, not {case.lines} `chipin: ...`")
    problems += [f"does not say {named!r}" for named in case.says if named not in text]
    if case.after is not None and not problems:
        try:
            case.after(w)
        except AssertionError as exc:
            problems.append(f"afterwards: {exc!r}")
    if not problems:
        return []
    said = f"stdout:\n{run.out[-1500:]}\nstderr:\n{run.err[-2500:]}"
    return [f"{case.id} (chipin {' '.join(case.args)}): {'; '.join(problems)}\n{said}"]


def _run_all(cases: list[Case], root: Path, head: Path, pg: PgServer | None = None) -> None:
    """Every case at once, in threads; one assertion lists every case that went wrong."""
    t = _templates(root, head)
    made: list[str] = []
    with ExitStack() as stack:
        telegram = stack.enter_context(_rejecting_telegram())
        busy = stack.enter_context(_busy_port())
        worlds = {}
        try:
            for case in cases:
                pg_db = ""
                if pg is not None:
                    pg_db = pg.create()
                    made.append(pg_db)
                worlds[case.id] = World(root / case.id, telegram, busy, pg, pg_db)
            with ThreadPoolExecutor(max_workers=4) as pool:
                runs = {c.id: pool.submit(_run, c, worlds[c.id], t) for c in cases}
                problems = [
                    p for c in cases for p in _problems(c, runs[c.id].result(), worlds[c.id])
                ]
        finally:
            for name in made:
                assert pg is not None
                pg.drop(name)
    assert not problems, f"{len(problems)} of {len(cases)} cases went wrong:\n\n" + "\n\n".join(
        problems
    )


def test_every_mistake_stops_chipin_in_one_line_naming_what_to_change(
    tmp_path: Path, sqlite_template: Path
) -> None:
    """Every case but PostgreSQL's; a read-only folder only when not root (root writes in it)."""
    root_less = os.geteuid() != 0
    cases = [c for c in CASES if not c.needs or (c.needs == "root-less" and root_less)]
    _run_all(cases, tmp_path, sqlite_template)


@pytest.mark.postgres
def test_an_unmigrated_postgres_database_stops_chipin_and_is_never_migrated(
    tmp_path: Path, sqlite_template: Path, pg_server: PgServer
) -> None:
    _run_all([c for c in CASES if c.needs == "pg"], tmp_path, sqlite_template, pg_server)
