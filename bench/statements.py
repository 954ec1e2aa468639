"""Benchmark 8: a payee's bank statement imported, against the same parts paid by gateway events.

In one process, on one SQLite file: parts held by transfer are confirmed by importing one
CAMT.053 statement that carries every part's reference (read, matched, settled line by line);
as many parts held at the operator's gateway are settled by its events (engine.apply_event),
the path every webhook takes. The ratio is parts settled per second by statement over parts
per second by gateway event; the same statement imported again must change nothing.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from core.domain.model import OrderId, PayeeId
from storage.migrate import migrate
from tests.support.harness import Rig, build_rig, open_store, request

PER_ORDER = 10
IBAN = "DE89370400440532013000"


@dataclass(frozen=True, slots=True)
class Result:
    parts: int
    statement_s: float  # reading and importing the statement
    read_s: float  # of which reading (parsing) the file
    gateway_s: float  # applying as many gateway events
    matched: int  # parts the statement confirmed
    again: int  # lines found imported before on the second import
    changed_again: int  # parts paid by the second import (must be 0)

    @property
    def ratio(self) -> float:
        return self.gateway_s / self.statement_s if self.statement_s else float("inf")


async def compare(folder: Path, parts: int) -> Result:
    url = f"sqlite+aiosqlite:///{folder / 'bench8.db'}"
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    await asyncio.to_thread(migrate, url)
    async with open_store(url) as store:
        rig = build_rig(store)
        payee = await rig.payee("Ann")
        await rig.engine.add_method(payee, "sepa", {"holder": "Ann Example", "iban": IBAN})
        references = await _held(rig, payee, parts, method="sepa")
        checkouts = await _held(rig, payee, parts, method=None)
        data = camt(references)

        started = time.perf_counter()
        statement = rig.engine.read_statement(data, "statement.xml")
        read_s = time.perf_counter() - started
        report = await rig.engine.import_statement(payee, statement)
        statement_s = time.perf_counter() - started

        started = time.perf_counter()
        for ref in checkouts:
            await rig.engine.apply_event(rig.gateway.pay(ref))
        gateway_s = time.perf_counter() - started

        again = await rig.engine.import_statement(payee, rig.engine.read_statement(data))
    return Result(parts, statement_s, read_s, gateway_s, report.matched, again.again, again.matched)


async def _held(rig: Rig, payee: PayeeId, parts: int, method: str | None) -> list[str]:
    """`parts` parts held by as many payers, in orders of PER_ORDER: their transfer references
    (a payee's method) or their checkouts (the gateway)."""
    found: list[str] = []
    orders = -(-parts // PER_ORDER)
    for o in range(orders):
        view = await rig.engine.create_order(
            payee, request(total=str(30 * PER_ORDER), payers=PER_ORDER, cur="EUR")
        )
        order_id: OrderId = view.order.id
        for i in range(min(PER_ORDER, parts - len(found))):
            who = f"tg:{method or 'card'}{o}x{i}"
            res = await rig.engine.reserve(view.order.token, who, method=method, source=who)
            ref = res.transfer.reference if res.transfer else res.sub.checkout_ref
            assert ref is not None, order_id
            found.append(ref)
    return found


def camt(references: list[str]) -> bytes:
    """One CAMT.053 with a booked 30.00 EUR credit per reference, in the free text."""
    entries = "".join(
        f"""<Ntry><Amt Ccy="EUR">30.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2026-12-07</Dt></BookgDt><NtryDtls><TxDtls><Amt Ccy="EUR">30.00</Amt>
<CdtDbtInd>CRDT</CdtDbtInd><RmtInf><Ustrd>Dinner {ref}</Ustrd></RmtInf></TxDtls></NtryDtls>
</Ntry>"""
        for ref in references
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>B8</MsgId><CreDtTm>2026-12-07T20:00:00Z</CreDtTm></GrpHdr>
<Stmt><Id>B8</Id><CreDtTm>2026-12-07T20:00:00Z</CreDtTm>
<Acct><Id><IBAN>{IBAN}</IBAN></Id></Acct>{entries}</Stmt></BkToCstmrStmt></Document>""".encode()
