"""End to end over real HTTP on 127.0.0.1: `chipin serve` as a process, a whole payment, a crash."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.procs import api_key, chipin, chipin_env, free_port, kill_hard, serving

pytestmark = pytest.mark.slow


def wait_for(check: Callable[[], Any], timeout_s: float = 15) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not reached in time")


def create_order(base: str, key: str, **body: Any) -> dict[str, Any]:
    r = httpx.post(f"{base}/api/v1/orders", json=body, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 201, r.text
    order: dict[str, Any] = r.json()
    return order


def get_order(base: str, key: str, order_id: str) -> dict[str, Any]:
    r = httpx.get(f"{base}/api/v1/orders/{order_id}", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200, r.text
    order: dict[str, Any] = r.json()
    return order


def token_of(order: dict[str, Any]) -> str:
    return str(order["pay_url"]).rstrip("/").rsplit("/", 1)[1]


def reserve_and_pay(base: str, token: str, payer: str) -> str:
    r = httpx.post(f"{base}/api/v1/pay/{token}/reserve", json={"payer": payer})
    assert r.status_code in (200, 201), r.text
    checkout_url: str = r.json()["checkout_url"]
    page = httpx.get(checkout_url)
    assert page.status_code == 200
    paid = httpx.post(f"{checkout_url}/pay", follow_redirects=True)
    assert paid.status_code == 200
    assert "Paid" in paid.text
    return checkout_url


def test_a_whole_payment_over_http(tmp_path: Path) -> None:
    port = free_port()
    env = chipin_env(tmp_path, port)
    base = f"http://127.0.0.1:{port}"
    chipin(env, "migrate")
    chipin(env, "migrate")  # idempotent
    key = api_key(env, "Ann")
    with serving(env, tmp_path / "chipin.log"):
        order = create_order(base, key, total="100", payers=3, title="Dinner at Luigi's")
        assert [s["amount"] for s in order["sub_orders"]] == ["33.34", "33.33", "33.33"]
        token = token_of(order)
        for payer in ("ann", "bob", "cid"):
            reserve_and_pay(base, token, payer)

        def completed() -> dict[str, Any] | None:
            now = get_order(base, key, order["id"])
            return now if now["state"] == "completed" else None

        done = wait_for(completed)
        assert done["paid_count"] == 3
        assert done["paid"] == "100.00"
        assert [s["state"] for s in done["sub_orders"]] == ["paid"] * 3
        late = httpx.post(f"{base}/api/v1/pay/{token}/reserve", json={"payer": "dan"})
        assert late.status_code == 409
        head = httpx.get(f"{base}/api/v1/ledger/head").json()
        assert head["tree_size"] == 4  # three parts paid, then the order completed
    shown = chipin(env, "ca", "show")
    assert "root CA: CN=Chipin Ledger Root CA,O=Chipin" in shown
    assert "BEGIN CERTIFICATE" in shown
    root = shown.split("sha256", 1)[1].split()[0]
    verified = chipin(env, "ledger", "verify", "--root-fingerprint", root)
    assert "ledger verified: 4 entries" in verified
    log = (tmp_path / "chipin.log").read_text()
    assert key not in log
    assert "bot is off" not in log  # `serve` never runs the bot, so it does not say so


def test_run_without_a_token_says_once_that_the_bot_is_off(tmp_path: Path) -> None:
    port = free_port()
    env = chipin_env(tmp_path, port)
    chipin(env, "migrate")
    with serving(env, tmp_path / "run.log", command="run"):
        pass
    log = (tmp_path / "run.log").read_text()
    assert log.count("The Telegram bot is off") == 1
    assert "TELEGRAM_BOT_TOKEN" in log


def outbox_pending(sandbox_db: Path) -> int:
    with sqlite3.connect(sandbox_db) as conn:
        (n,) = conn.execute(
            "SELECT count(*) FROM sandbox_outbox WHERE delivered_at IS NULL"
        ).fetchone()
    return int(n)


def test_a_webhook_pending_at_sigkill_is_delivered_after_restart_and_applied_once(
    tmp_path: Path,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    unreachable = f"http://127.0.0.1:{free_port()}/webhooks/sandbox"
    env = chipin_env(tmp_path, port, CHIPIN_RECONCILE_S="3600")
    chipin(env, "migrate")
    key = api_key(env, "Ann")
    broken = {**env, "CHIPIN_SANDBOX_WEBHOOK_URL": unreachable}
    with serving(broken, tmp_path / "first.log") as proc:
        order = create_order(base, key, total="20", payers=2)
        reserve_and_pay(base, token_of(order), "ann")
        wait_for(lambda: outbox_pending(tmp_path / "sandbox.db") == 1)
        time.sleep(1.5)  # a failed delivery or two, still pending
        assert get_order(base, key, order["id"])["paid_count"] == 0
        kill_hard(proc)
    with serving(env, tmp_path / "second.log"):
        wait_for(lambda: outbox_pending(tmp_path / "sandbox.db") == 0)
        after = wait_for(lambda: (o := get_order(base, key, order["id"]))["paid_count"] and o)
        time.sleep(1.0)
        again = get_order(base, key, order["id"])
    assert after["paid_count"] == again["paid_count"] == 1
    assert again["paid"] == "10.00"
    assert [s["state"] for s in again["sub_orders"]] == ["paid", "available"]


def test_key_rotations_keep_the_ledger_and_personal_data_readable(tmp_path: Path) -> None:
    """ca rotate, pii rotate, then a new CHIPIN_SECRET_KEY: everything still verifies."""
    port = free_port()
    old_secret = "old-secret-" + "x" * 32
    env = chipin_env(tmp_path, port, CHIPIN_SECRET_KEY=old_secret)
    base = f"http://127.0.0.1:{port}"
    chipin(env, "migrate")
    key = api_key(env, "Ann")
    with serving(env, tmp_path / "before.log"):
        order = create_order(base, key, total="20", payers=2)
        reserve_and_pay(base, token_of(order), "ann")
        wait_for(lambda: get_order(base, key, order["id"])["paid_count"] == 1 or None)
        httpx.get(f"{base}/api/v1/ledger/head").raise_for_status()
    assert "is current" in chipin(env, "ca", "rotate")
    assert "re-encrypted with the newest data key" in chipin(env, "pii", "rotate")
    new_env = chipin_env(
        tmp_path,
        port,
        CHIPIN_SECRET_KEY="new-secret-" + "y" * 32,
        CHIPIN_OLD_SECRET_KEYS=old_secret,
    )
    assert "now wrapped under the current CHIPIN_SECRET_KEY" in chipin(new_env, "keys", "rewrap")
    only_new = chipin_env(tmp_path, port, CHIPIN_SECRET_KEY="new-secret-" + "y" * 32)
    with serving(only_new, tmp_path / "after.log"):
        reserve_and_pay(base, token_of(order), "bob")
        done = wait_for(
            lambda: (o := get_order(base, key, order["id"]))["state"] == "completed" and o
        )
        assert done["paid_count"] == 2
        head = httpx.get(f"{base}/api/v1/ledger/head").json()
        assert head["tree_size"] == 3
    shown = chipin(only_new, "ca", "show")
    assert shown.count("signing (") == 2
    verified = chipin(only_new, "ledger", "verify")
    # Heads from both signing keys (one per start at least) check out against one root.
    assert verified.startswith("ledger verified: 3 entries, "), verified
    assert int(verified.split(", ")[1].split()[0]) >= 2
