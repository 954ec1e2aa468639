"""A person's first minutes with a real `chipin` process: what it prints once it is up,
`chipin wait` before the first command, `chipin status`, and the README's curl walkthrough
pasted as one block."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.procs import chipin_env, free_port, run_chipin, serving, tail

REPO = Path(__file__).resolve().parents[2]
SECRET = "s3cret-" + "k" * 40  # CHIPIN_SECRET_KEY: never printed

pytestmark = pytest.mark.slow


def test_once_up_it_prints_what_to_do_next_and_serves_the_same_at_the_root(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = chipin_env(tmp_path, port, CHIPIN_LISTEN=f"0.0.0.0:{port}")
    log = tmp_path / "chipin.log"
    with serving(env, log):
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        docs = httpx.get(f"http://127.0.0.1:{port}/docs", timeout=5)
        printed = tail(log, 20_000)

    assert "Chipin is up. What to do next (also at GET /):" in printed
    url = f"http://127.0.0.1:{port}"
    assert f"Open      {url} (listening on 0.0.0.0:{port})" in printed
    assert "Bot       off: chipin serve runs without it (chipin run starts it)" in printed
    assert "sandbox: test money only, no real money moves" in printed
    assert 'chipin apikey create --payee "Your name"' in printed
    assert f"Phones    WARNING: links point at {url}, which phones cannot open" in printed
    assert "0.0.0.0:" not in printed.split("listening on 0.0.0.0")[0].split("Open")[-1]
    assert page.status_code == 200
    assert f"<dt>Open</dt><dd>{url} (listening on 0.0.0.0:{port})</dd>" in page.text
    assert "which phones cannot open" in page.text
    assert docs.status_code == 200


def test_wait_returns_once_chipin_answers_and_gives_up_in_one_line_when_nothing_does(
    tmp_path: Path,
) -> None:
    env = chipin_env(tmp_path, free_port())

    nothing = run_chipin(env, "wait", "--timeout", "1")

    assert nothing.returncode == 1
    [line] = nothing.stderr.splitlines()
    assert line.startswith(f"chipin: nothing answered at http://{env['CHIPIN_LISTEN']}/healthz")
    with serving(env, tmp_path / "chipin.log"):
        ready = run_chipin(env, "wait", "--timeout", "30")
    assert ready.returncode == 0
    assert ready.stdout == f"Chipin answers at http://{env['CHIPIN_LISTEN']}\n"


def test_status_shows_the_settings_with_secrets_masked_and_each_parts_health(
    tmp_path: Path,
) -> None:
    dead = free_port()  # a Bot API server that is not there
    env = chipin_env(
        tmp_path,
        free_port(),
        CHIPIN_SECRET_KEY=SECRET,
        TELEGRAM_BOT_TOKEN="123456:" + "T" * 35,
        TELEGRAM_BASE_URL=f"http://127.0.0.1:{dead}/bot",
    )
    assert run_chipin(env, "migrate").returncode == 0

    down = run_chipin(env, "status")
    with serving(env, tmp_path / "chipin.log"):
        up = run_chipin(env, "status")

    for done in (down, up):
        out = done.stdout + done.stderr
        assert SECRET not in out
        assert "T" * 35 not in out
        assert "Traceback" not in out
        assert re.search(r"^  CHIPIN_SECRET_KEY +set \(hidden\)$", done.stdout, re.M)
        assert re.search(r"^  TELEGRAM_BOT_TOKEN +set \(hidden\)$", done.stdout, re.M)
        assert re.search(r"^  STRIPE_API_KEY +not set  \(default\)$", done.stdout, re.M)
        assert re.search(r"^  CHIPIN_LISTEN +127\.0\.0\.1:\d+$", done.stdout, re.M)
        assert re.search(r"^  database +ok: .*schema \d+ \(the newest\)$", done.stdout, re.M)
        assert re.search(r"^  bot +FAILING: Telegram does not answer", done.stdout, re.M)
        assert re.search(r"^  sandbox +ok: embedded", done.stdout, re.M)
        assert re.search(r"^  outbox +ok: 0 events to relay, 0 messages to send", done.stdout, re.M)
        assert done.returncode == 1  # the bot is failing
    assert re.search(r"^  listener +FAILING: nothing answers at", down.stdout, re.M)
    assert re.search(r"^  listener +ok: answering at http://127\.0\.0\.1:\d+", up.stdout, re.M)


def test_status_is_0_when_every_part_is_healthy_and_names_migrate_when_the_schema_is_old(
    tmp_path: Path,
) -> None:
    env = chipin_env(tmp_path, free_port())

    elsewhere = {**env, "CHIPIN_DATA_DIR": str(tmp_path / "new")}
    elsewhere["CHIPIN_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'new' / 'chipin.db'}"
    unmade = run_chipin(elsewhere, "status")
    assert unmade.returncode == 1
    assert "none yet at" in unmade.stdout
    assert not (tmp_path / "new").exists()  # status makes nothing, not even the folder
    assert run_chipin(env, "migrate").returncode == 0
    migrated = run_chipin(env, "status")  # no key made yet: status makes none either
    assert re.search(r"^  outbox +ok: 0 events to relay", migrated.stdout, re.M)
    assert not (tmp_path / "secret.key").exists()
    with sqlite3.connect(tmp_path / "chipin.db") as db:
        assert db.execute("SELECT count(*) FROM trust_keys").fetchone() == (0,)
    with serving(env, tmp_path / "chipin.log"):
        healthy = run_chipin(env, "status")
    assert healthy.returncode == 0, healthy.stdout
    assert "FAILING" not in healthy.stdout


def _walkthrough() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("**Try it without Telegram**")
    block = re.search(r"```sh\n(.*?)```", readme[start:], re.S)
    assert block is not None
    return block.group(1)


def test_the_readmes_curl_walkthrough_works_pasted_as_one_block(tmp_path: Path) -> None:
    port = free_port()
    script = _walkthrough().replace("localhost:8080", f"127.0.0.1:{port}")
    env = chipin_env(tmp_path, port)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"

    done = subprocess.run(
        ["bash", "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stderr[-3000:]
    assert lines[-1] == "10.00", done.stdout + done.stderr[-3000:]
    assert f"Chipin answers at http://127.0.0.1:{port}" in lines
    assert any(ln.startswith(f"payers open http://127.0.0.1:{port}/pay/") for ln in lines)
