"""The public ledger API: a client checks heads, proofs and the chain with nothing but them."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from core.domain.ledger.merkle import verify_consistency, verify_inclusion
from tests.support.harness import Rig, request
from tests.support.trust_builders import memory_ca
from tests.web.conftest import MAX_AMOUNT_MINOR, client_for, healthy
from trust import ca
from trust.heads import signed_head_from_json, verify_head
from web.app import create_app


class Ledger:
    def __init__(self, client: httpx.AsyncClient, rig: Rig) -> None:
        self.client = client
        self.rig = rig

    async def pay_parts(self, parts: int) -> None:
        rig = self.rig
        payee = await rig.payee()
        view = await rig.engine.create_order(payee, request(total=str(10 * parts), payers=parts))
        for n in range(parts):
            res = await rig.engine.reserve(view.order.token, f"p{n}", source=f"p{n}")
            assert res.sub.checkout_ref is not None
            await rig.engine.apply_event(rig.gateway.pay(res.sub.checkout_ref))

    async def json(self, path: str, status: int = 200) -> dict[str, Any]:
        response = await self.client.get(path)
        assert response.status_code == status, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
async def ledger(rig: Rig) -> AsyncIterator[Ledger]:
    authority = memory_ca(rig.clock.now())
    rig = rig.swap(signer=authority.signer)
    chain = ca.to_pem(authority.root) + ca.to_pem(authority.signer.cert)
    app = create_app(
        rig.engine,
        public_base_url="https://chipin.test/",
        health=healthy,
        max_amount_minor=MAX_AMOUNT_MINOR,
        default_currency="USD",
        chain_pem=lambda: chain,
    )
    async with client_for(app) as client:
        yield Ledger(client, rig)


def b64(text: str) -> bytes:
    return base64.b64decode(text)


async def test_a_head_proofs_and_chain_check_out_from_the_api_alone(ledger: Ledger) -> None:
    await ledger.pay_parts(2)  # 3 entries: two parts and the completion
    certs = await ledger.json("/api/v1/ledger/certificates")
    root, signing = ca.load_chain(certs["chain_pem"].encode())
    assert certs["root_fingerprint"] == ca.fingerprint(root)
    assert certs["signing_key_ids"] == [ca.fingerprint(c) for c in signing]

    first = signed_head_from_json(await ledger.json("/api/v1/ledger/head"))
    verify_head(first, root, signing)
    assert first.head.tree_size == 3
    assert signed_head_from_json(await ledger.json("/api/v1/ledger/head")) == first

    for i in range(3):
        proof = await ledger.json(f"/api/v1/ledger/proof/inclusion?index={i}&tree_size=3")
        assert proof["leaf_index"] == i
        path = [b64(h) for h in proof["audit_path"]]
        assert verify_inclusion(b64(proof["leaf_hash"]), i, 3, path, first.head.root_hash)

    ledger.rig.clock.advance(seconds=1)
    await ledger.pay_parts(1)
    second = signed_head_from_json(await ledger.json("/api/v1/ledger/head"))
    verify_head(second, root, signing)
    assert second.head.tree_size == 5
    assert second.head.timestamp_ms > first.head.timestamp_ms
    cons = await ledger.json("/api/v1/ledger/proof/consistency?first=3&second=5")
    path = [b64(h) for h in cons["consistency"]]
    assert verify_consistency(3, 5, first.head.root_hash, second.head.root_hash, path)
    assert not verify_consistency(3, 5, second.head.root_hash, first.head.root_hash, path)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("/api/v1/ledger/proof/inclusion?index=3&tree_size=3", "index"),
        ("/api/v1/ledger/proof/inclusion?index=0&tree_size=9", "index"),
        ("/api/v1/ledger/proof/inclusion?index=-1&tree_size=3", "index"),
        ("/api/v1/ledger/proof/inclusion?index=x&tree_size=3", "index"),
        ("/api/v1/ledger/proof/inclusion?tree_size=3", "index"),
        ("/api/v1/ledger/proof/consistency?first=4&second=3", "first"),
        ("/api/v1/ledger/proof/consistency?first=1&second=99", "first"),
    ],
)
async def test_a_proof_outside_the_tree_is_a_422_naming_the_field(
    ledger: Ledger, query: str, field: str
) -> None:
    await ledger.pay_parts(2)
    body = await ledger.json(query, status=422)
    assert body["error"] == "invalid_input"
    fields = {body.get("field")} | {d["field"] for d in body.get("details") or []}
    assert any(f and f.endswith(field) for f in fields), body


async def test_without_a_ca_the_ledger_says_it_is_unavailable(api: Any) -> None:
    response = await api.client.get("/api/v1/ledger/certificates")
    assert response.status_code == 503
    assert response.json()["error"] == "unavailable"


async def test_the_ledger_needs_no_key_and_shows_no_entry_contents(ledger: Ledger) -> None:
    await ledger.pay_parts(1)
    response = await ledger.client.get("/api/v1/ledger/proof/inclusion?index=0&tree_size=2")
    assert response.status_code == 200
    assert set(response.json()) == {"leaf_index", "tree_size", "leaf_hash", "audit_path"}
    assert "ord_" not in response.text
