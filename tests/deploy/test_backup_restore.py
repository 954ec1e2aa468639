"""A backup made while Chipin runs and takes orders restores: the copies, with the secret key
kept apart, put back into a fresh data folder, give the same payee, API key, orders and
payments, and a ledger that verifies.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.procs import api_key, chipin, chipin_env, free_port, serving

pytestmark = pytest.mark.slow


def create_order(base: str, key: str, title: str) -> dict[str, Any]:
    r = httpx.post(
        f"{base}/api/v1/orders",
        json={"total": "30", "payers": 3, "title": title},
        headers={"Authorization": f"Bearer {key}"},
        timeout=10,
    )
    assert r.status_code == 201, r.text
    order: dict[str, Any] = r.json()
    return order


def pay_one_part(base: str, order: dict[str, Any], payer: str) -> None:
    token = str(order["pay_url"]).rstrip("/").rsplit("/", 1)[1]
    r = httpx.post(f"{base}/api/v1/pay/{token}/reserve", json={"payer": payer}, timeout=10)
    assert r.status_code in (200, 201), r.text
    checkout = r.json()["checkout_url"]
    paid = httpx.post(f"{checkout}/pay", follow_redirects=True, timeout=10)
    assert paid.status_code == 200
    assert "Paid" in paid.text


def get_order(base: str, key: str, order_id: str) -> dict[str, Any]:
    r = httpx.get(
        f"{base}/api/v1/orders/{order_id}", headers={"Authorization": f"Bearer {key}"}, timeout=10
    )
    assert r.status_code == 200, r.text
    order: dict[str, Any] = r.json()
    return order


class Writer:
    """Creates orders over the API, one after another, until stopped."""

    def __init__(self, base: str, key: str) -> None:
        self.base, self.key = base, key
        self.made = 0
        self.stopping = threading.Event()
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            while not self.stopping.is_set():
                create_order(self.base, self.key, f"Order {self.made}")
                self.made += 1
        except BaseException as exc:  # reported by stop()
            self.failure = exc

    def stop(self) -> int:
        self.stopping.set()
        self.thread.join(30)
        if self.failure is not None:
            raise self.failure
        return self.made


def orders_in(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        (n,) = conn.execute("SELECT count(*) FROM orders").fetchone()
        return int(n)
    finally:
        conn.close()


def test_a_backup_taken_while_chipin_writes_restores_with_the_key_kept_apart(
    tmp_path: Path,
) -> None:
    live = tmp_path / "live"
    live.mkdir(mode=0o700)
    port = free_port()
    env = chipin_env(live, port)
    base = f"http://127.0.0.1:{port}"
    chipin(env, "migrate")
    key = api_key(env, "Ann")
    with serving(env, tmp_path / "live.log"):
        first = create_order(base, key, "Dinner")
        pay_one_part(base, first, "ann")
        writer = Writer(base, key)
        writer.thread.start()
        while writer.made < 3 and writer.thread.is_alive():  # writing is under way
            writer.stopping.wait(0.05)
        before = writer.made + 1
        backup = subprocess.run(
            [sys.executable, "-m", "bot.app.cli", "backup", str(tmp_path / "backups")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        made = writer.stop() + 1
    assert backup.returncode == 0, backup.stderr
    out = backup.stdout.splitlines()
    [folder] = (tmp_path / "backups").iterdir()
    assert sorted(p.name for p in folder.iterdir()) == ["backup.txt", "chipin.db", "sandbox.db"]
    assert [ln.split(":")[0] for ln in out if ln.startswith("copied ")] == [
        "copied chipin.db",
        "copied sandbox.db",
    ]
    assert all("integrity ok" in ln for ln in out if ln.startswith("copied "))
    assert out[-1].startswith(f"not copied: the secret key ({live / 'secret.key'})")
    assert before <= orders_in(folder / "chipin.db") <= made

    # restore: the copies and the key (kept apart) into a fresh data folder
    fresh = tmp_path / "restored"
    fresh.mkdir(mode=0o700)
    for name in ("chipin.db", "sandbox.db"):
        shutil.copy2(folder / name, fresh / name)
    shutil.copy2(live / "secret.key", fresh / "secret.key")
    port = free_port()
    env = chipin_env(fresh, port)
    base = f"http://127.0.0.1:{port}"
    chipin(env, "migrate")
    assert "books consistent" in chipin(env, "ledger", "verify")
    with serving(env, tmp_path / "restored.log"):
        order = get_order(base, key, first["id"])  # the same API key still works
        assert (order["title"], order["paid_count"]) == ("Dinner", 1)
        pay_one_part(base, order, "bob")  # and the restored Chipin takes payments
        assert get_order(base, key, first["id"])["paid_count"] == 2
