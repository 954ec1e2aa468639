"""A small HTTP/1.1 load generator, run as its own process: closed loop or a fixed rate.

    python -m bench.loadgen --target 127.0.0.1:8080 --requests reqs.bin --out result.json
        [--concurrency 32] [--rate 800] [--warmup 100]

`--requests` holds raw HTTP requests, each prefixed by its length (4 bytes, big-endian),
made by `write_requests`. Every request is sent once, over keep-alive connections to
127.0.0.1 only. Closed loop (no --rate): `concurrency` connections send back to back.
At a fixed rate: request i is due at start + i / rate, and its latency counts from when it
was due (a server that falls behind is charged for the wait, not hidden by it).
The first `warmup` answers are left out of the figures. The result is JSON: answers by
status, requests per second and latency percentiles in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import struct
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import uvloop

MAX_CONNECTIONS = 256
TIMEOUT_S = 30.0


def encode_request(
    target: str, method: str, path: str, headers: dict[str, str], body: bytes
) -> bytes:
    """One raw HTTP/1.1 request with a Content-Length, keep-alive."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {target}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def write_requests(path: Path, requests: Iterable[bytes]) -> int:
    n = 0
    with path.open("wb") as out:
        for raw in requests:
            out.write(struct.pack(">I", len(raw)))
            out.write(raw)
            n += 1
    return n


def read_requests(path: Path) -> list[bytes]:
    data = path.read_bytes()
    out: list[bytes] = []
    at = 0
    while at < len(data):
        (size,) = struct.unpack_from(">I", data, at)
        out.append(data[at + 4 : at + 4 + size])
        at += 4 + size
    return out


@dataclass
class Result:
    sent: int = 0
    measured: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    duration_s: float = 0.0
    rps: float = 0.0
    p50_ms: float = 0.0
    p90_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0


def percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def exchange(self, raw: bytes) -> int:
        """Send one request, read its whole answer; the status code."""
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length:
            await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


class _Run:
    def __init__(self, host: str, port: int, requests: list[bytes], warmup: int) -> None:
        self.host, self.port = host, port
        self.requests = requests
        self.warmup = warmup
        self.next = 0
        self.done = 0
        self.status: Counter[str] = Counter()
        self.latencies: list[float] = []
        self.errors = 0
        self.measure_from = 0.0
        self.measure_to = 0.0

    async def connect(self) -> _Conn:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        return _Conn(reader, writer)

    def record(self, status: int, due: float, end: float) -> None:
        self.done += 1
        if self.done == self.warmup:
            self.measure_from = end
        if self.done > self.warmup:
            self.status[str(status)] += 1
            self.latencies.append(end - due)
            self.measure_to = end

    async def send(self, conn: _Conn | None, raw: bytes, due: float) -> _Conn | None:
        """One request on `conn` (or a new connection); the connection if still usable."""
        try:
            if conn is None:
                conn = await self.connect()
            status = await asyncio.wait_for(conn.exchange(raw), TIMEOUT_S)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            self.errors += 1
            self.record(0, due, time.perf_counter())
            if conn is not None:
                conn.close()
            return None
        self.record(status, due, time.perf_counter())
        return conn

    async def closed_loop(self, concurrency: int) -> None:
        self.measure_from = time.perf_counter()  # when there is no warm-up

        async def worker() -> None:
            conn: _Conn | None = None
            while self.next < len(self.requests):
                raw = self.requests[self.next]
                self.next += 1
                conn = await self.send(conn, raw, time.perf_counter())
            if conn is not None:
                conn.close()

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    async def fixed_rate(self, rate: float) -> None:
        idle: list[_Conn] = []
        slots = asyncio.Semaphore(MAX_CONNECTIONS)
        tasks: set[asyncio.Task[None]] = set()
        start = self.measure_from = time.perf_counter()

        async def one(raw: bytes, due: float) -> None:
            conn = idle.pop() if idle else None
            try:
                conn = await self.send(conn, raw, due)
            finally:
                slots.release()
            if conn is not None:
                idle.append(conn)

        for i, raw in enumerate(self.requests):
            due = start + i / rate
            pause = due - time.perf_counter()
            if pause > 0:
                await asyncio.sleep(pause)
            await slots.acquire()
            task = asyncio.create_task(one(raw, due))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks)
        for conn in idle:
            conn.close()

    def result(self) -> Result:
        lat = sorted(self.latencies)
        span = self.measure_to - self.measure_from
        return Result(
            sent=self.done,
            measured=len(lat),
            by_status=dict(self.status),
            errors=self.errors,
            duration_s=round(span, 4),
            rps=round(len(lat) / span, 1) if span > 0 else 0.0,
            p50_ms=round(percentile(lat, 0.50) * 1000, 2),
            p90_ms=round(percentile(lat, 0.90) * 1000, 2),
            p99_ms=round(percentile(lat, 0.99) * 1000, 2),
            max_ms=round((lat[-1] if lat else 0.0) * 1000, 2),
        )


async def run(
    target: str, requests: list[bytes], concurrency: int, rate: float | None, warmup: int
) -> Result:
    host, _, port = target.rpartition(":")
    if host != "127.0.0.1":
        raise SystemExit("the load generator only talks to 127.0.0.1")
    r = _Run(host, int(port), requests, min(warmup, len(requests) - 1))
    if rate:
        await r.fixed_rate(rate)
    else:
        await r.closed_loop(concurrency)
    return r.result()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--target", required=True)
    p.add_argument("--requests", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--rate", type=float, default=None)
    p.add_argument("--warmup", type=int, default=100)
    a = p.parse_args()
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        result = runner.run(
            run(a.target, read_requests(a.requests), a.concurrency, a.rate, a.warmup)
        )
    a.out.write_text(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()
