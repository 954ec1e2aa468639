"""The ceiling Chipin's settlement is measured against: a bare ASGI webhook endpoint.

    BENCH_WEBHOOK_SECRET_HEX=... python -m bench.baseline --db base.db --port 8081

Same server stack as `chipin serve` (uvicorn with its default loop and HTTP parser, so
uvloop and httptools from `uvicorn[standard]`), the same SQLite file settings
(storage.db.SQLITE_PRAGMAS: WAL, synchronous=FULL, busy_timeout) and the same signature
check (gateways.sandbox.signing.verify). Per webhook: verify the HMAC over the raw body,
read the sub-order id, then one aiosqlite transaction (BEGIN IMMEDIATE) of one conditional
UPDATE and one INSERT. Nothing else: no framework, no ORM, no logging per request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import aiosqlite
import uvicorn

from gateways.sandbox.signing import verify
from storage.db import SQLITE_PRAGMAS

Scope = dict[str, Any]
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS subs (id TEXT PRIMARY KEY, state TEXT NOT NULL, paid_at REAL)",
    "CREATE TABLE IF NOT EXISTS events (event_id TEXT PRIMARY KEY, sub_id TEXT, at REAL)",
)


def prepare(db: Path, sub_ids: list[str]) -> None:
    """The baseline's database: every sub-order reserved, no events yet."""
    with sqlite3.connect(db) as conn:
        for stmt in SCHEMA:
            conn.execute(stmt)
        conn.executemany(
            "INSERT OR REPLACE INTO subs (id, state) VALUES (?, 'reserved')",
            [(s,) for s in sub_ids],
        )
    conn.close()


class Baseline:
    """The ASGI app: POST /webhooks/sandbox and GET /healthz."""

    def __init__(self, db: Path, secret: bytes) -> None:
        self.db = db
        self.secret = secret
        self.conn: aiosqlite.Connection | None = None
        self.lock = asyncio.Lock()  # one connection: one transaction at a time

    async def open(self) -> aiosqlite.Connection:
        if self.conn is None:
            conn = await aiosqlite.connect(self.db, isolation_level=None)
            for pragma in SQLITE_PRAGMAS:
                await conn.execute(pragma)
            self.conn = conn
        return self.conn

    async def settle(self, sub_id: str, event_id: str) -> bool:
        conn = await self.open()
        async with self.lock:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                cur = await conn.execute(
                    "UPDATE subs SET state='paid', paid_at=? WHERE id=? AND state='reserved'",
                    (time.time(), sub_id),
                )
                changed = cur.rowcount == 1
                await conn.execute(
                    "INSERT INTO events (event_id, sub_id, at) VALUES (?, ?, ?)",
                    (event_id, sub_id, time.time()),
                )
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")
        return changed

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/healthz":
            await self.answer(send, 200, b'{"ok":true}')
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            verify(self.secret, body, headers, time.time())
        except Exception:
            await self.answer(send, 401, b'{"ok":false}')
            return
        doc = json.loads(body)
        changed = await self.settle(doc["data"]["metadata"]["sub_order_id"], doc["id"])
        await self.answer(send, 200, b'{"ok":true,"applied":%d}' % changed)

    @staticmethod
    async def answer(send: Any, status: int, body: bytes) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--port", type=int, required=True)
    a = p.parse_args()
    app = Baseline(a.db, bytes.fromhex(os.environ["BENCH_WEBHOOK_SECRET_HEX"]))
    # The same uvicorn configuration as bot/app/runner.py's listener.
    config = uvicorn.Config(app, host="127.0.0.1", port=a.port, log_config=None, access_log=False)
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
