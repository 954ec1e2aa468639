"""Importing a payee's bank statement on every store: booked credits matched to transfers by
reference (wherever the bank put it, however it wrapped it) and amount, confirmed once; the
same file again changes nothing; what does not match is listed for the payee."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager

import pytest

from core.domain.errors import DomainError
from core.domain.ledger.entries import EntryKind
from core.domain.matches import LineOutcome
from core.domain.model import OrderId, OrderState, PayeeId, PaymentStatus, Settled, SubOrderState
from core.domain.payqr.rf import printable
from core.domain.statements import StatementUnreadable
from core.ports.store import Tx
from tests.support.harness import Rig, dump, request

SEPA = {"holder": "Ann Example", "iban": "DE89370400440532013000"}


def _tx(amount: str, remittance: str, *, cd: str = "CRDT") -> str:
    return f"""
          <TxDtls>
            <Amt Ccy="EUR">{amount}</Amt>
            <CdtDbtInd>{cd}</CdtDbtInd>
            <RltdPties><Dbtr><Pty><Nm>A Payer</Nm></Pty></Dbtr></RltdPties>
            <RmtInf>{remittance}</RmtInf>
          </TxDtls>"""


def _entry(amount: str, txs: str, *, status: str = "BOOK", cd: str = "CRDT") -> str:
    return f"""
      <Ntry>
        <Amt Ccy="EUR">{amount}</Amt>
        <CdtDbtInd>{cd}</CdtDbtInd>
        <Sts><Cd>{status}</Cd></Sts>
        <BookgDt><Dt>2026-12-07</Dt></BookgDt>
        <NtryDtls>{txs}
        </NtryDtls>
      </Ntry>"""


def camt(*entries: str) -> bytes:
    """A CAMT.053 v08 statement of the payee's account with these entries."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-12-07T20:00:00+01:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>S1</Id>
      <CreDtTm>2026-12-07T20:00:00+01:00</CreDtTm>
      <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>{"".join(entries)}
    </Stmt>
  </BkToCstmrStmt>
</Document>""".encode()


def structured(ref: str) -> str:
    return f"<Strd><CdtrRefInf><Ref>{ref}</Ref></CdtrRefInf></Strd>"


def wrapped(ref: str) -> str:
    """The reference printed in groups of four and cut across two free-text lines."""
    text = printable(ref)
    return f"<Ustrd>Dinner {text[:7]}</Ustrd><Ustrd>{text[7:]} thanks</Ustrd>"


async def _payee(rig: Rig) -> PayeeId:
    payee = await rig.payee()
    await rig.engine.add_method(payee, "sepa", SEPA)
    return payee


async def _refs(rig: Rig, payee: PayeeId, n: int, payers: int) -> tuple[OrderId, list[str]]:
    view = await rig.engine.create_order(payee, request(total="90", payers=n, cur="EUR"))
    refs = []
    for i in range(payers):
        res = await rig.engine.reserve(
            view.order.token, f"tg:{10 + i}", method="sepa", source=f"tg:{10 + i}"
        )
        assert res.transfer is not None
        refs.append(res.transfer.reference)
    return view.order.id, refs


async def _import(rig: Rig, payee: PayeeId, data: bytes) -> dict[str, int]:
    report = await rig.engine.import_statement(payee, rig.engine.read_statement(data, "s.xml"))
    return report.outcomes


async def _states(rig: Rig, order_id: OrderId) -> list[SubOrderState]:
    async with rig.store.transaction() as tx:
        return [s.state for s in await tx.sub_orders.get_sub_orders(order_id)]


async def test_booked_credits_confirm_their_parts_wherever_the_reference_is(rig: Rig) -> None:
    payee = await _payee(rig)
    order_id, refs = await _refs(rig, payee, n=3, payers=3)
    token = (await rig.engine.get_order(order_id, payee)).order.token
    await rig.engine.claim_transfer(token, "tg:10")
    data = camt(
        _entry("30.00", _tx("30.00", structured(refs[0]))),
        _entry("30.00", _tx("30.00", wrapped(refs[1]))),
        _entry("25.00", _tx("25.00", structured(refs[2]))),
        _entry("30.00", _tx("30.00", "<Ustrd>rent december</Ustrd>")),
        _entry("30.00", _tx("30.00", structured(refs[2])), status="PDNG"),
        _entry("30.00", _tx("30.00", structured(refs[2]), cd="DBIT"), cd="DBIT"),
    )
    assert await _import(rig, payee, data) == {
        "matched": 2,
        "underpaid": 1,
        "unmatched": 1,
    }
    assert await _states(rig, order_id) == [
        SubOrderState.PAID,
        SubOrderState.PAID,
        SubOrderState.RESERVED,
    ]
    view = await rig.engine.get_order(order_id, payee)
    assert (view.order.paid_count, view.order.paid_minor) == (2, 6000)
    async with rig.store.transaction() as tx:
        pays = await tx.payments.payments_of_order(order_id)
        entries = [e for p in pays for e in await tx.ledger.ledger_entries_of_payment(p.id)]
    assert {(p.settled_by, p.gateway, p.status) for p in pays} == {
        (Settled.STATEMENT, "sepa", PaymentStatus.CAPTURED)
    }
    assert {(e.kind, e.method, e.settled) for e in entries} == {
        (EntryKind.PART_PAID, "sepa", "statement")
    }
    assert all(e.note.startswith("statement line ") and len(e.note) == 79 for e in entries)
    listed = await rig.engine.statement_lines(payee)
    assert sorted(line.outcome for line in listed) == [
        LineOutcome.UNDERPAID,
        LineOutcome.UNMATCHED,
    ]
    under = next(line for line in listed if line.outcome == LineOutcome.UNDERPAID)
    assert (under.reference, under.amount_minor, under.counterparty) == (refs[2], 2500, "A Payer")


async def test_the_same_statement_again_changes_nothing(rig: Rig) -> None:
    payee = await _payee(rig)
    _order_id, refs = await _refs(rig, payee, n=3, payers=1)
    data = camt(
        _entry("30.00", _tx("30.00", structured(refs[0]))),
        _entry("12.00", _tx("12.00", "<Ustrd>something else</Ustrd>")),
    )
    assert await _import(rig, payee, data) == {"matched": 1, "unmatched": 1}
    before = await dump(rig.store)
    report = await rig.engine.import_statement(payee, rig.engine.read_statement(data))
    assert (report.outcomes, report.again, report.credits) == ({}, 2, 2)
    assert await dump(rig.store) == before


async def test_a_batched_entry_pays_each_of_its_transfers(rig: Rig) -> None:
    payee = await _payee(rig)
    order_id, refs = await _refs(rig, payee, n=3, payers=3)
    batch = "".join(_tx("30.00", structured(r)) for r in refs)
    assert await _import(rig, payee, camt(_entry("90.00", batch))) == {"matched": 3}
    view = await rig.engine.get_order(order_id, payee)
    assert (view.order.state, view.order.paid_count) == (OrderState.COMPLETED, 3)


async def test_a_transfer_the_payee_confirmed_first_is_not_counted_again(rig: Rig) -> None:
    payee = await _payee(rig)
    order_id, refs = await _refs(rig, payee, n=3, payers=1)
    confirmed = await rig.engine.confirm_transfer(payee, refs[0])
    assert await _import(rig, payee, camt(_entry("30.00", _tx("30.00", structured(refs[0]))))) == {
        "known": 1
    }
    async with rig.store.transaction() as tx:
        pays = await tx.payments.payments_of_order(order_id)
    assert [p.id for p in pays] == [confirmed.id]


async def test_money_for_a_full_order_is_listed_to_return_by_hand(rig: Rig) -> None:
    payee = await _payee(rig)
    order_id, refs = await _refs(rig, payee, n=1, payers=1)
    rig.clock.advance(minutes=16)
    await rig.engine.release_lapsed_holds()
    token = (await rig.engine.get_order(order_id, payee)).order.token
    card = await rig.engine.reserve(token, "tg:20", source="tg:20")
    assert card.sub.checkout_ref is not None
    await rig.engine.apply_event(rig.gateway.pay(card.sub.checkout_ref))
    assert await _import(rig, payee, camt(_entry("90.00", _tx("90.00", structured(refs[0]))))) == {
        "late": 1
    }
    owed = await rig.engine.owed_returns(payee)
    assert [(o.payment.amount_minor, o.payment.settled_by, o.payment.reason) for o in owed] == [
        (9000, Settled.STATEMENT, "order completed")
    ]


async def test_another_payees_reference_does_not_match(rig: Rig) -> None:
    payee = await _payee(rig)
    _order_id, refs = await _refs(rig, payee, n=2, payers=1)
    bob = await rig.payee("Bob")
    await rig.engine.add_method(bob, "sepa", SEPA)
    data = camt(_entry("45.00", _tx("45.00", structured(refs[0]))))
    assert await _import(rig, bob, data) == {"unmatched": 1}


async def test_an_mt940_statement_matches_a_wrapped_reference(rig: Rig) -> None:
    payee = await _payee(rig)
    order_id, refs = await _refs(rig, payee, n=3, payers=1)
    ref = printable(refs[0])
    mt940 = (
        ":20:STARTUMSE\n:25:37040044/0532013000\n:28C:00001/001\n:60F:C261206EUR0,00\n"
        ":61:2612071207CR30,00NTRFNONREF//1\n"
        f":86:166?00SEPA-GUTSCHRIFT?20SVWZ+Dinner {ref[:9]}\n?21{ref[9:]}?32A PAYER\n"
        ":62F:C261207EUR30,00\n-\n"
    ).encode()
    assert await _import(rig, payee, mt940) == {"matched": 1}
    assert (await _states(rig, order_id))[0] == SubOrderState.PAID


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"%PDF-1.7 not a statement",
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]><d>&e;</d>',
        camt()[:-40],
    ],
    ids=["empty", "pdf", "xxe", "cut"],
)
async def test_a_file_that_is_no_statement_is_refused_with_its_reason(
    rig: Rig, data: bytes
) -> None:
    with pytest.raises(StatementUnreadable) as caught:
        rig.engine.read_statement(data, "upload.xml")
    assert isinstance(caught.value, DomainError)
    assert caught.value.code == "statement_unreadable"
    assert len(caught.value.message) > 10


async def test_a_statement_and_a_confirmation_at_once_record_one_payment(rig: Rig) -> None:
    payee = await _payee(rig)
    order_id, refs = await _refs(rig, payee, n=3, payers=1)
    data = camt(_entry("30.00", _tx("30.00", structured(refs[0]))))
    statement = rig.engine.read_statement(data)
    report, confirmed = await asyncio.gather(
        rig.engine.import_statement(payee, statement), rig.engine.confirm_transfer(payee, refs[0])
    )
    assert sum(report.outcomes.values()) == 1
    assert set(report.outcomes) <= {"matched", "known"}
    async with rig.store.transaction() as tx:
        pays = await tx.payments.payments_of_order(order_id)
    assert [p.id for p in pays] == [confirmed.id]
    assert (await rig.engine.get_order(order_id, payee)).order.paid_count == 1


async def test_an_import_cut_short_goes_on_where_it_stopped(rig: Rig) -> None:
    payee = await _payee(rig)
    order_id, refs = await _refs(rig, payee, n=3, payers=3)
    data = camt(*(_entry("30.00", _tx("30.00", structured(r))) for r in refs))
    real = rig.engine.deps.store.transaction
    calls = 0

    def dying() -> AbstractAsyncContextManager[Tx]:
        nonlocal calls
        calls += 1
        if calls == 4:  # the known-lines read, two lines, then the process dies
            raise ConnectionError("the database went away")
        return real()

    rig.engine.deps.store.transaction = dying  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        await rig.engine.import_statement(payee, rig.engine.read_statement(data))
    rig.engine.deps.store.transaction = real  # type: ignore[method-assign]
    assert (await rig.engine.get_order(order_id, payee)).order.paid_count == 2
    report = await rig.engine.import_statement(payee, rig.engine.read_statement(data))
    assert (report.outcomes, report.again) == ({"matched": 1}, 2)
    view = await rig.engine.get_order(order_id, payee)
    assert (view.order.state, view.order.paid_count) == (OrderState.COMPLETED, 3)


async def test_a_reference_paid_twice_is_owed_back_once_the_first_is_recorded(rig: Rig) -> None:
    payee = await _payee(rig)
    order_id, refs = await _refs(rig, payee, n=3, payers=2)
    twice = camt(
        _entry("30.00", _tx("30.00", structured(refs[0]))),
        _entry("30.00", _tx("30.00", structured(refs[0]))),
    )
    assert await _import(rig, payee, twice) == {"matched": 1, "twice": 1}
    confirmed = await rig.engine.confirm_transfer(payee, refs[1])
    seen = camt(_entry("30.00", _tx("30.00", wrapped(refs[1]))))
    assert await _import(rig, payee, seen) == {"known": 1}
    again = camt(_entry("30.00", _tx("30.00", structured(refs[1])), status="BOOK"))
    assert await _import(rig, payee, again + b" ") == {"twice": 1}  # a later file, same money
    owed = await rig.engine.owed_returns(payee)
    assert [(o.payment.reason, o.payment.amount_minor) for o in owed] == [
        ("paid twice", 3000),
        ("paid twice", 3000),
    ]
    view = await rig.engine.get_order(order_id, payee)
    assert (view.order.paid_count, view.order.paid_minor) == (2, 6000)
    assert confirmed.counted
