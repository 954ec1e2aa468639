"""`GET /`: what this Chipin is and what to do next, for the person who just started it.

The facts are the ones `chipin run` prints once it is up (bot.app.welcome builds both):
where Chipin is reached, whether the bot is on, the command that makes an API key, what
the gateways do with money, and whether phones can reach the links. The page links to the
API's reference (`/docs`) and to the guides of the checkout it runs from, when it has one.

Only while Chipin is reached at an address of this machine alone (its first hour): once it
has a public address, anyone may open `/`, so the page says no more than that Chipin runs
and where payers start, and the guides are not served.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from web.pages.html import BASE_STYLE, STATIC_CSP, card_page

#: The guides a running Chipin serves from its checkout, by name, with what each is for.
GUIDES: dict[str, str] = {
    "README.md": "what Chipin does, the bot's commands, every setting",
    "DEPLOY.md": "a server of your own: systemd, TLS, backups, upgrades, monitoring",
    "BOT.md": "the bot for your group: commands, what payers see",
    "API.md": "the REST API, with curl examples",
}
_CHECKOUT = Path(__file__).resolve().parents[2]  # the repository root, in a source checkout


@dataclass(frozen=True, slots=True)
class Fact:
    """One line of the welcome: a label, what it says, and whether it warns."""

    label: str
    text: str
    warning: bool = False


@dataclass(frozen=True, slots=True)
class Welcome:
    """The welcome's facts; `facts` is called on every view, since the bot's state moves."""

    facts: Callable[[], Sequence[Fact]]
    guides_dir: Path | None = _CHECKOUT
    private: bool = True  # reached only from this machine: the facts may be shown

    def guide(self, name: str) -> Path | None:
        """A guide's file, when this Chipin runs from a checkout that has it."""
        if not self.private or name not in GUIDES or self.guides_dir is None:
            return None
        path = self.guides_dir / name if name == "README.md" else self.guides_dir / "docs" / name
        return path if path.is_file() else None


_STYLE = BASE_STYLE + (
    "body{max-width:40rem}dt{font-weight:600;margin-top:.6rem}dd{margin:0}"
    ".warn{color:#8a4b00}code{background:#f3f3f3;padding:0 .2rem;border-radius:.2rem}"
)


_PUBLIC = (
    "<h1>Chipin</h1><p>One QR code, many payers: group payments on Telegram.</p>"
    "<p>Paying? Open the payment link or scan the QR code you were given.</p>"
    '<p class="note">Running this Chipin? <code>chipin status</code> on its server says how it '
    'is doing. The REST API: <a href="/docs">/docs</a>.</p>'
)


def page(welcome: Welcome) -> str:
    """The whole welcome page (the short one, once Chipin has a public address)."""
    if not welcome.private:
        return card_page("Chipin", _STYLE, _PUBLIC)
    rows = "".join(
        f"<dt>{escape(f.label)}</dt>"
        f"<dd{' class=warn' if f.warning else ''}>{'⚠ ' if f.warning else ''}"
        f"{_code(f.text)}</dd>"
        for f in welcome.facts()
    )
    guides = "".join(
        f'<li><a href="/guide/{name}">{name}</a>: {escape(what)}</li>'
        if welcome.guide(name) is not None
        else f"<li><code>docs/{name}</code>: {escape(what)}</li>"
        for name, what in GUIDES.items()
    )
    body = (
        "<h1>Chipin is running</h1>"
        "<p>One QR code, many payers: group payments on Telegram.</p>"
        f"<dl>{rows}</dl>"
        '<h2>Read next</h2><ul><li><a href="/docs">/docs</a>: the REST API\'s reference '
        '(<a href="/openapi.json">openapi.json</a>)</li>'
        f"{guides}</ul>"
        '<p class="note">Health: <a href="/healthz">/healthz</a></p>'
    )
    return card_page("Chipin", _STYLE, body)


def _code(text: str) -> str:
    """Escaped text, with `backquoted` parts shown as code."""
    parts = escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def routes(welcome: Welcome) -> list[BaseRoute]:
    """`GET /` and the guides under `/guide/{name}`; not part of the API's OpenAPI."""

    async def home(request: Request) -> Response:
        return HTMLResponse(page(welcome), headers={"Content-Security-Policy": STATIC_CSP})

    async def guide(request: Request) -> Response:
        path = welcome.guide(request.path_params["name"])
        if path is None:
            return PlainTextResponse("no such guide\n", status_code=404)
        text = path.read_text(encoding="utf-8")
        return PlainTextResponse(text, headers={"X-Content-Type-Options": "nosniff"})

    return [
        Route("/", home, methods=["GET", "HEAD"]),
        Route("/guide/{name}", guide, methods=["GET", "HEAD"]),
    ]
