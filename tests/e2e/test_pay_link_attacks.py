"""`chipin serve` over loopback against an attacker holding only a pay link: one address
cannot hold an order, another client cannot take a hold over, nobody is a bot payer.

The figures of docs/RELIABILITY.md (A pay link in an attacker's hands: holds and payer
identities) come from this test: `.venv/bin/pytest -q tests/e2e/test_pay_link_attacks.py`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from tests.support.procs import api_key, chipin, chipin_env, free_port, serving


async def _attacks(base: str, key: str) -> dict[str, Any]:
    auth = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, timeout=60) as c:
        body = {"total": "500", "payers": 500, "hold": "60m"}
        order = (await c.post("/api/v1/orders", headers=auth, json=body)).json()
        token = order["pay_url"].rsplit("/", 1)[1]
        gate, seen = asyncio.Semaphore(8), Counter[int]()

        async def one(i: int) -> None:
            async with gate:
                r = await c.post(f"/api/v1/pay/{token}/reserve", json={"payer": f"x{i}"})
                seen[r.status_code] += 1

        await asyncio.gather(*(one(i) for i in range(520)))
        subs = (await c.get(f"/api/v1/orders/{order['id']}", headers=auth)).json()["sub_orders"]
        small = await c.post("/api/v1/orders", headers=auth, json={"total": "30", "payers": 3})
        other = small.json()["pay_url"].rsplit("/", 1)[1]
        mine = (await c.post(f"/api/v1/pay/{other}/reserve", json={"payer": "bob"})).json()
        theirs = await c.post(f"/api/v1/pay/{other}/reserve", json={"payer": "bob"})
        forged = await c.post(f"/api/v1/pay/{other}/reserve", json={"payer": "tg:1087968824"})
        return {
            "statuses": dict(seen),
            "held": sum(1 for s in subs if s["state"] == "reserved"),
            "taken over": (theirs.status_code, mine["checkout_url"] in theirs.text),
            "forged": (forged.status_code, forged.json().get("field")),
            "churn": await _churn(c, other, mine["hold_secret"]),
        }


async def _churn(c: httpx.AsyncClient, token: str, held_secret: str) -> tuple[int, int, str]:
    """Take a hold and release it until refused: (holds taken, status, Retry-After)."""
    await c.delete(f"/api/v1/pay/{token}/hold", headers={"Chipin-Hold": held_secret})
    for taken in range(1, 100):
        r = await c.post(f"/api/v1/pay/{token}/reserve", json={"payer": f"c{taken}"})
        if r.status_code != 201:
            return taken - 1, r.status_code, r.headers.get("retry-after", "")
        hold = {"Chipin-Hold": r.json()["hold_secret"]}
        assert (await c.delete(f"/api/v1/pay/{token}/hold", headers=hold)).status_code == 204
    return 99, 201, ""


def test_a_pay_link_gives_one_address_ten_holds_and_nobody_anothers(tmp_path: Path) -> None:
    env = chipin_env(tmp_path, free_port())
    chipin(env, "migrate")
    key = api_key(env, "Ann")
    with serving(env, tmp_path / "chipin.log"):
        found = asyncio.run(_attacks(f"http://{env['CHIPIN_LISTEN']}", key))
    assert found["statuses"] == {201: 10, 429: 510}  # ten held, the rest refused
    assert found["held"] == 10
    assert found["taken over"] == (403, False)  # no checkout URL for the second client
    assert found["forged"] == (422, "payer")  # the tg: namespace is the bot's
    taken, status, retry_after = found["churn"]
    assert (taken, status) == (29, 429)  # bob's hold and 29 more: 30 in ten minutes
    assert 590 <= int(retry_after) <= 600  # the rest of the window
