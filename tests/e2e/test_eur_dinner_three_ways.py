"""End to end: a EUR dinner split three ways against `chipin serve` as a process. One payer pays
the payee's own SEPA account by its QR code and the payee confirms it; one pays the same way
and the payee's CAMT.053 statement (`chipin statement import`) matches it; one pays through
the operator's gateway. The order completes, and records, figures and the ledger say where
each share went."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import httpx
import pytest
import zxingcpp
from PIL import Image

from tests.e2e.test_money_path import create_order, get_order, reserve_and_pay, token_of, wait_for
from tests.support.procs import api_key, chipin, chipin_env, free_port, serving

pytestmark = pytest.mark.slow

IBAN = "DE89370400440532013000"


def _camt(reference: str) -> bytes:
    """The payee's bank statement: the transfer, its reference wrapped in the free text as
    banks do, and a salary credit that matches nothing."""
    spaced = " ".join(reference[i : i + 4] for i in range(0, len(reference), 4))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
 <BkToCstmrStmt>
  <GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-12-07T21:00:00+01:00</CreDtTm></GrpHdr>
  <Stmt>
   <Id>S1</Id><CreDtTm>2026-12-07T21:00:00+01:00</CreDtTm>
   <Acct><Id><IBAN>{IBAN}</IBAN></Id></Acct>
   <Ntry>
    <Amt Ccy="EUR">30.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
    <BookgDt><Dt>2026-12-07</Dt></BookgDt>
    <NtryDtls><TxDtls>
     <Amt Ccy="EUR">30.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
     <RltdPties><Dbtr><Pty><Nm>Cid Payer</Nm></Pty></Dbtr></RltdPties>
     <RmtInf><Ustrd>Dinner {spaced[:8]}</Ustrd><Ustrd>{spaced[8:]}</Ustrd></RmtInf>
    </TxDtls></NtryDtls>
   </Ntry>
   <Ntry>
    <Amt Ccy="EUR">2100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
    <BookgDt><Dt>2026-12-07</Dt></BookgDt>
    <NtryDtls><TxDtls>
     <Amt Ccy="EUR">2100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
     <RmtInf><Ustrd>Salary December</Ustrd></RmtInf>
    </TxDtls></NtryDtls>
   </Ntry>
  </Stmt>
 </BkToCstmrStmt>
</Document>""".encode()


def _reserve_transfer(base: str, token: str, payer: str) -> dict[str, Any]:
    r = httpx.post(f"{base}/api/v1/pay/{token}/reserve", json={"payer": payer, "method": "sepa"})
    assert r.status_code == 201, r.text
    reserved: dict[str, Any] = r.json()
    how = reserved["transfer"]
    png = httpx.get(how["qr_url"])
    assert png.status_code == 200
    (code,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert code.text == how["payload"]
    assert code.text.split("\n")[5:8] == ["Ann Example", IBAN, "EUR30"]
    claimed = httpx.post(
        f"{base}/api/v1/pay/{token}/claim",
        json={"payer": payer},
        headers={"Chipin-Hold": reserved["hold_secret"]},
    )
    assert claimed.status_code == 200, claimed.text
    return reserved


def test_a_eur_dinner_paid_three_ways(tmp_path: Path) -> None:
    port = free_port()
    env = chipin_env(tmp_path, port, CHIPIN_CURRENCY="EUR")
    base = f"http://127.0.0.1:{port}"
    chipin(env, "migrate")
    key = api_key(env, "Ann")
    auth = {"Authorization": f"Bearer {key}"}
    with serving(env, tmp_path / "chipin.log"):
        added = httpx.post(
            f"{base}/api/v1/methods",
            json={"kind": "sepa", "holder": "Ann Example", "iban": IBAN},
            headers=auth,
        )
        assert added.status_code == 201, added.text
        order = create_order(base, key, total="90", payers=3, currency="EUR", title="Dinner")
        token = token_of(order)

        confirmed = _reserve_transfer(base, token, "bea")
        matched = _reserve_transfer(base, token, "cid")
        claims = httpx.get(f"{base}/api/v1/claims", headers=auth).json()["items"]
        assert len(claims) == 2
        reference = confirmed["transfer"]["reference"]
        ok = httpx.post(f"{base}/api/v1/claims/{reference}/confirm", headers=auth)
        assert ok.status_code == 200, ok.text
        assert ok.json()["settled_by"] == "payee"

        statement = tmp_path / "statement.xml"
        statement.write_bytes(_camt(matched["transfer"]["reference"]))
        said = chipin(env, "statement", "import", str(statement), "--payee", "Ann")
        assert "2 booked credits" in said
        assert "1 matched" in said
        assert "1 unmatched" in said
        again = chipin(env, "statement", "import", str(statement), "--payee", "Ann")
        assert "2 imported before" in again

        reserve_and_pay(base, token, "dan")

        def completed() -> dict[str, Any] | None:
            now = get_order(base, key, order["id"])
            return now if now["state"] == "completed" else None

        done = wait_for(completed)
        assert (done["paid_count"], done["paid"]) == (3, "90.00")

        records = httpx.get(f"{base}/api/v1/records", headers=auth).json()["items"]
        paid = sorted(
            (r["method"], r["settled"], r["amount"]) for r in records if r["kind"] == "part.paid"
        )
        assert paid == [
            ("sandbox", "gateway", "30.00"),
            ("sepa", "payee", "30.00"),
            ("sepa", "statement", "30.00"),
        ]
        (totals,) = httpx.get(f"{base}/api/v1/stats", headers=auth).json()["totals"]
        assert (totals["currency"], totals["net"]) == ("EUR", "90.00")
        assert (totals["direct"], totals["through_operator"]) == ("60.00", "30.00")
        exported = httpx.get(f"{base}/api/v1/records.csv", headers=auth)
        rows = list(csv.DictReader(io.StringIO(exported.text)))
        assert sorted((r["method"], r["settled"]) for r in rows if r["kind"] == "part.paid") == [
            ("sandbox", "gateway"),
            ("sepa", "payee"),
            ("sepa", "statement"),
        ]
    assert "books consistent: 1 orders, 3 payments" in chipin(env, "ledger", "verify")
