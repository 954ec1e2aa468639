"""The guide's nginx site (docs/deploy/nginx/chipin.conf) passes `nginx -t`, and, run on
loopback with a self-signed certificate made here, proxies https to a stand-in for Chipin:
X-Forwarded-For and X-Forwarded-Proto arrive, server-sent events arrive unbuffered, plain
http is redirected.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.deploy.tools import DEPLOY, need_tool
from tests.support.procs import free_port

SITE = DEPLOY / "nginx" / "chipin.conf"
NAME = "chipin.test"
WAIT_S = 5.0
HOLD_S = 3.0  # how long the stand-in's event stream waits for the first event to be read


@dataclass(frozen=True)
class Ports:
    http: int
    https: int
    upstream: int


def self_signed(tmp: Path) -> tuple[Path, Path]:
    """A day's certificate for chipin.test and 127.0.0.1, and its key (0600)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(NAME), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "fullchain.pem", tmp / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.touch(mode=0o600)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def substitute(text: str, old: str, new: str) -> str:
    """Replace what the guide tells the operator to change; it must be there exactly once."""
    assert text.count(old) == 1, f"{old!r} is not in {SITE.name} exactly once"
    return text.replace(old, new)


def configure(tmp: Path, ports: Ports) -> Path:
    """The site as an operator edits it, on loopback ports, inside a whole nginx.conf that
    keeps every path (pid, logs, temporary files) in `tmp`: no root paths needed."""
    cert, key = self_signed(tmp)
    site = SITE.read_text()
    for old, new in (
        ("/etc/letsencrypt/live/pay.example.com/fullchain.pem", str(cert)),
        ("/etc/letsencrypt/live/pay.example.com/privkey.pem", str(key)),
        ("server 127.0.0.1:8080;", f"server 127.0.0.1:{ports.upstream};"),
        ("    listen 80;\n", f"    listen 127.0.0.1:{ports.http};\n"),
        ("    listen [::]:80;\n", ""),
        ("    listen 443 ssl;\n", f"    listen 127.0.0.1:{ports.https} ssl;\n"),
        ("    listen [::]:443 ssl;\n", ""),
        ("root /var/www/html;", f"root {tmp};"),
    ):
        site = substitute(site, old, new)
    assert site.count("server_name pay.example.com;") == 2, "plain http and https"
    (tmp / "chipin.conf").write_text(site.replace("pay.example.com", NAME))
    temp = "\n".join(
        f"    {kind}_temp_path {tmp / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"daemon off;\nworker_processes 1;\npid {tmp / 'nginx.pid'};\n"
        f"error_log {tmp / 'error.log'} info;\n"
        "events { worker_connections 64; }\n"
        f"http {{\n    access_log {tmp / 'access.log'};\n{temp}\n"
        f"    include {tmp / 'chipin.conf'};\n}}\n"
    )
    return conf


def nginx_args(tmp: Path, conf: Path) -> list[str]:
    nginx = need_tool("nginx", "nginx")
    return [str(nginx), "-p", str(tmp), "-c", str(conf), "-e", str(tmp / "error.log")]


def test_the_site_passes_nginx_t(tmp_path: Path) -> None:
    conf = configure(tmp_path, Ports(free_port(), free_port(), free_port()))
    done = subprocess.run(
        [*nginx_args(tmp_path, conf), "-t"], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr
    assert "test is successful" in done.stderr


@dataclass
class Upstream:
    """A stand-in for Chipin: records each request's headers; /events is a server-sent
    event stream whose second event waits until the test has read the first."""

    seen: list[dict[str, str]] = field(default_factory=list)
    first_read: threading.Event = field(default_factory=threading.Event)
    held_in_vain: bool = False  # the test never read the first event while the stream held


@contextmanager
def upstream(port: int) -> Iterator[Upstream]:
    state = Upstream()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.seen.append({k.lower(): v for k, v in self.headers.items()})
            if self.path == "/events":
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                self.wfile.write(b"data: first\n\n")
                self.wfile.flush()
                state.held_in_vain = not state.first_read.wait(HOLD_S)
                self.wfile.write(b"data: second\n\n")
                return
            body = b"ok"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.first_read.set()
        server.shutdown()
        server.server_close()
        thread.join(WAIT_S)


@contextmanager
def running_nginx(tmp: Path, conf: Path, ports: Ports) -> Iterator[None]:
    log = (tmp / "nginx.out").open("wb")
    proc = subprocess.Popen(nginx_args(tmp, conf), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{ports.http}/", timeout=0.5)
                break
            except httpx.TransportError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        f"nginx did not start:\n{(tmp / 'error.log').read_text()[-2000:]}"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(WAIT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(WAIT_S)
        log.close()


def test_nginx_proxies_https_to_chipin_with_the_client_address(tmp_path: Path) -> None:
    ports = Ports(free_port(), free_port(), free_port())
    conf = configure(tmp_path, ports)
    trust = ssl.create_default_context(cafile=str(tmp_path / "fullchain.pem"))
    base = f"https://127.0.0.1:{ports.https}"
    with upstream(ports.upstream) as chipin, running_nginx(tmp_path, conf, ports):
        with httpx.Client(verify=trust, timeout=WAIT_S) as client:
            answer = client.get(f"{base}/healthz")
            assert (answer.status_code, answer.text) == (200, "ok")
            assert answer.headers["strict-transport-security"] == "max-age=63072000"
            client.get(f"{base}/healthz", headers={"X-Forwarded-For": "203.0.113.9"})

            # unbuffered: the first event arrives while the stream is still open
            with client.stream("GET", f"{base}/events") as stream:
                assert stream.headers["content-type"] == "text/event-stream"
                lines = stream.iter_lines()
                assert next(lines) == "data: first"
                chipin.first_read.set()
                assert [ln for ln in lines if ln] == ["data: second"]
            assert not chipin.held_in_vain, "nginx held the first event back (buffered)"

        plain = httpx.get(f"http://127.0.0.1:{ports.http}/pay/x?y=1", timeout=WAIT_S)
        assert plain.status_code == 301
        assert plain.headers["location"] == "https://127.0.0.1/pay/x?y=1"

    first, forged, _events = chipin.seen
    assert first["x-forwarded-for"] == "127.0.0.1"
    assert first["x-forwarded-proto"] == "https"
    # what a client sends comes first; the address nginx saw is last, where Chipin reads it
    assert forged["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"
