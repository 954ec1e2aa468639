"""GET / is a small page for the person who just started Chipin: the same facts it prints,
links to the API's reference and to the guides; /guide/NAME serves the guides."""

from __future__ import annotations

from pathlib import Path

import httpx
from starlette.applications import Starlette

from web.pages.home import Fact, Welcome, routes


def _client(welcome: Welcome) -> httpx.AsyncClient:
    app = Starlette(routes=routes(welcome))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def _welcome(guides_dir: Path | None) -> Welcome:
    return Welcome(
        facts=lambda: [
            Fact("Open", "http://127.0.0.1:8080"),
            Fact("API key", '`chipin apikey create --payee "Your name"` (shown once)'),
            Fact("Phones", "links point at <127.0.0.1>, which phones cannot open", warning=True),
        ],
        guides_dir=guides_dir,
    )


async def test_the_home_page_shows_each_fact_escaped_with_warnings_marked() -> None:
    async with _client(_welcome(None)) as client:
        answer = await client.get("/")

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    page = answer.text
    assert "<dt>Open</dt><dd>http://127.0.0.1:8080</dd>" in page
    assert "<code>chipin apikey create --payee &quot;Your name&quot;</code>" in page
    assert "<dd class=warn>⚠ links point at &lt;127.0.0.1&gt;, which phones" in page
    assert '<a href="/docs">/docs</a>' in page
    assert '<a href="/openapi.json">' in page


async def test_the_guides_are_links_served_as_text_when_the_checkout_has_them(
    tmp_path: Path,
) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text("# Chipin\n", encoding="utf-8")
    (tmp_path / "docs" / "DEPLOY.md").write_text("# Deploying 部署\n", encoding="utf-8")

    async with _client(_welcome(tmp_path)) as client:
        page = (await client.get("/")).text
        deploy = await client.get("/guide/DEPLOY.md")
        readme = await client.get("/guide/README.md")
        missing = await client.get("/guide/API.md")  # not in this checkout
        outside = await client.get("/guide/..%2Fsecret.key")

    assert '<a href="/guide/DEPLOY.md">DEPLOY.md</a>' in page
    assert "<code>docs/API.md</code>" in page  # named, not linked
    assert deploy.status_code == 200
    assert deploy.text == "# Deploying 部署\n"
    assert deploy.headers["content-type"] == "text/plain; charset=utf-8"
    assert deploy.headers["x-content-type-options"] == "nosniff"
    assert readme.text == "# Chipin\n"
    assert missing.status_code == 404
    assert outside.status_code == 404


async def test_the_real_checkout_serves_its_deploy_guide() -> None:
    async with _client(Welcome(facts=list)) as client:
        answer = await client.get("/guide/DEPLOY.md")

    assert answer.status_code == 200
    assert answer.text.startswith("# ")


async def test_once_chipin_has_a_public_address_the_page_shows_no_facts_and_no_guides(
    tmp_path: Path,
) -> None:
    (tmp_path / "README.md").write_text("# Chipin\n", encoding="utf-8")
    public = Welcome(facts=_welcome(tmp_path).facts, guides_dir=tmp_path, private=False)

    async with _client(public) as client:
        answer = await client.get("/")
        guide = await client.get("/guide/README.md")

    assert answer.status_code == 200
    assert "Open the payment link or scan the QR code you were given" in answer.text
    assert "127.0.0.1" not in answer.text
    assert "apikey" not in answer.text
    assert "/guide/" not in answer.text
    assert guide.status_code == 404
