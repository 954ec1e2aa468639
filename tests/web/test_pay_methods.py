"""Payment methods on the web: a choice when several web gateways are on; Telegram is bot-only."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from core.ports.store import Gateway
from gateways.telegram import TelegramGateway
from tests.support.fakes.gateway import FakeGateway
from tests.support.harness import build_rig
from tests.web.conftest import Api, client_for, make_app, token_of


@asynccontextmanager
async def api_with(tmp_path: Path, names: Sequence[str]) -> AsyncIterator[Api]:
    """The app over an engine whose enabled gateways are `names`, in that order."""
    telegram = TelegramGateway(
        f"sqlite+aiosqlite:///{tmp_path / 'telegram.db'}",
        b"telegram-invoice-payload-key-for-tests",
        provider_token="284685063:TEST:provider-token",
    )
    gateways: list[Gateway] = []
    for name in names:
        fake = FakeGateway()
        fake.name = name
        gateways.append(telegram if name == "telegram" else fake)
    await telegram.start()
    rig = build_rig(gateways=gateways)
    _, ann = await rig.engine.create_api_key("Ann")
    _, bob = await rig.engine.create_api_key("Bob")
    try:
        async with client_for(make_app(rig)) as client:
            yield Api(client, rig, ann, bob)
    finally:
        await telegram.stop()


async def test_two_web_gateways_give_the_payer_a_choice_and_telegram_is_not_in_it(
    tmp_path: Path,
) -> None:
    async with api_with(tmp_path, ("telegram", "sandbox", "stripe")) as api:
        order = await api.create(total="100", payers=2)
        url = f"/pay/{token_of(order)}"
        page = (await api.client.get(url)).text
        assert '<select name="gateway">' in page
        assert '<option value="sandbox">Sandbox (test money)</option>' in page
        assert '<option value="stripe">Card (Stripe)</option>' in page
        assert "telegram" not in page

        unpicked = await api.client.post(url, data={"name": "Bob"})
        assert unpicked.status_code == 422
        assert "pick how you want to pay" in unpicked.text
        sneaky = await api.client.post(url, data={"name": "Bob", "gateway": "telegram"})
        assert sneaky.status_code == 422
        picked = await api.client.post(url, data={"name": "Bob", "gateway": "stripe"})
        assert picked.status_code == 303
        view = await api.rig.engine.public_order(token_of(order))
        assert [s.gateway for s in view.subs if s.payer_ref] == ["stripe"]


async def test_one_web_gateway_needs_no_choice(tmp_path: Path) -> None:
    async with api_with(tmp_path, ("telegram", "sandbox")) as api:
        order = await api.create(total="100", payers=2)
        url = f"/pay/{token_of(order)}"
        assert "<select" not in (await api.client.get(url)).text
        assert (await api.client.post(url, data={"name": "Bob"})).status_code == 303
        view = await api.rig.engine.public_order(token_of(order))
        assert [s.gateway for s in view.subs if s.payer_ref] == ["sandbox"]


async def test_with_telegram_alone_the_page_sends_payers_to_the_bot(tmp_path: Path) -> None:
    async with api_with(tmp_path, ("telegram",)) as api:
        order = await api.create(total="100", payers=2)
        refused = await api.client.post(f"/pay/{token_of(order)}", data={"name": "Bob"})
        assert refused.status_code == 422
        assert "only in Telegram" in refused.text


async def test_the_rest_api_refuses_the_bot_only_gateway(tmp_path: Path) -> None:
    async with api_with(tmp_path, ("telegram", "sandbox")) as api:
        order = await api.create(total="100", payers=2)
        default = await api.reserve(order, "bob")  # the default gateway is telegram
        named = await api.reserve(order, "bob", gateway="telegram")
        for refused in (default, named):
            assert refused.status_code == 422
            assert refused.json()["error"] == "unsupported"
        ok = await api.reserve(order, "bob", gateway="sandbox")
        assert ok.status_code == 201
