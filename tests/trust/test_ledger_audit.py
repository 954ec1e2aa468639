"""`chipin ledger verify` and `chipin receipt verify` against real entries, heads and a CA.

Money moves through the engine on SQLite and PostgreSQL; heads are signed by Chipin's own
CA; then the database is tampered with by hand, the way an insider with SQL access could.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import cli, cli_trust
from core.domain.model import OrderId
from storage.db import make_engine
from storage.store import SqlStore
from tests.support.harness import Rig, build_rig, request
from tests.support.sealing import sealer_for_tests
from trust import authority as auth
from trust.keyring import Keyring
from trust.receipts import receipt_json

MASTER = b"the-current-chipin-secret-key-0123456789abcdef"


class Ledger:
    """A rig whose engine signs heads with the database's own CA."""

    def __init__(self, rig: Rig, db: AsyncEngine, authority: auth.Authority) -> None:
        self.rig = rig
        self.db = db
        self.authority = authority

    async def pay_order(self, payers: int) -> str:
        rig = self.rig
        payee = await rig.payee()
        view = await rig.engine.create_order(payee, request(total=str(10 * payers), payers=payers))
        for n in range(payers):
            res = await rig.engine.reserve(view.order.token, f"tg:{n}", source=f"tg:{n}")
            assert res.sub.checkout_ref is not None
            await rig.engine.apply_event(rig.gateway.pay(res.sub.checkout_ref))
        return view.order.id

    async def execute(self, *statements: str) -> None:
        async with self.db.begin() as conn:
            for statement in statements:
                await conn.execute(sa.text(statement))

    async def verify(self, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
        code = await cli_trust._verify_ledger(self.db, None)
        return code, capsys.readouterr().out


@pytest.fixture
async def ledger(db_url: str) -> AsyncIterator[Ledger]:
    db = make_engine(db_url)
    plain = build_rig(SqlStore(db, sealer_for_tests()))
    authority = await auth.open_authority(db, Keyring(MASTER), plain.clock.now())
    rig = plain.swap(signer=authority)
    found = Ledger(rig, db, authority)
    try:
        # 3 orders of 3: 12 entries (3 parts + completion each), heads at 4, 8 and 12.
        for _ in range(3):
            await found.pay_order(3)
            rig.clock.advance(seconds=5)
            await rig.engine.sign_head()
        yield found
    finally:
        await db.dispose()


async def test_an_untouched_ledger_verifies(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = await ledger.verify(capsys)
    assert code == 0, out
    assert "ledger verified: 12 entries, 3 signed heads" in out
    assert ledger.authority.root is not None


async def test_a_changed_amount_is_named(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    await ledger.execute("UPDATE ledger_entries SET amount_minor = 1 WHERE idx = 5")
    code, out = await ledger.verify(capsys)
    assert code == 1
    assert "first problem at entry 5: altered" in out
    assert "entries 4-7" in out  # and the signed head covering it no longer matches


async def test_a_consistent_rewrite_is_caught_by_the_signed_heads(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    """The insider also rewrites the recorded leaf hash: only the signatures catch it."""
    from core.domain.ledger.audit import entry_of
    from core.domain.ledger.merkle import leaf_hash
    from storage.repos.ledger import read_ledger

    rows, _, _ = await read_ledger(ledger.db)
    row = dict(rows[9])
    row["amount_minor"] = 1
    forged = leaf_hash(entry_of(row, 9).leaf()).hex()
    await ledger.execute(
        f"UPDATE ledger_entries SET amount_minor = 1, leaf_hash = '{forged}' WHERE idx = 9"
    )
    code, out = await ledger.verify(capsys)
    assert code == 1
    assert "first problem at entries 8-11: changed after head #3 (size 12)" in out


async def test_a_deleted_entry_is_named(ledger: Ledger, capsys: pytest.CaptureFixture[str]) -> None:
    await ledger.execute("DELETE FROM ledger_entries WHERE idx = 2")
    code, out = await ledger.verify(capsys)
    assert code == 1
    assert "first problem at entry 2: missing: deleted" in out


async def test_a_deleted_entry_with_renumbering_is_named(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    """The insider deletes entry 6 and closes the gap, counter included."""
    await ledger.execute(
        "DELETE FROM ledger_entries WHERE idx = 6",
        "UPDATE ledger_entries SET idx = idx - 1 WHERE idx > 6",
        "UPDATE ledger_state SET size = size - 1",
    )
    code, out = await ledger.verify(capsys)
    assert code == 1
    assert "first problem at entry 6: holds entry 7's record (an entry was deleted before it)" in (
        out
    )
    assert "signed 12 entries but the ledger has 11: deleted" in out


async def test_swapped_entries_are_named(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    await ledger.execute(
        "UPDATE ledger_entries SET idx = 1000 WHERE idx = 1",
        "UPDATE ledger_entries SET idx = 1 WHERE idx = 2",
        "UPDATE ledger_entries SET idx = 2 WHERE idx = 1000",
    )
    code, out = await ledger.verify(capsys)
    assert code == 1
    assert "first problem at entry 1: holds entry 2's record" in out
    assert "entry 2: holds entry 1's record" in out


async def test_an_inserted_entry_is_named(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    await ledger.execute(
        "INSERT INTO ledger_entries (idx, kind, at, amount_minor, currency, note, leaf_hash) "
        "VALUES (12, 'part.paid', '2026-01-01 12:00:00.000000', 999, 'USD', '', 'ab')"
    )
    code, out = await ledger.verify(capsys)
    assert code == 1
    assert "first problem at entry 12: inserted: beyond the ledger's recorded size" in out


async def test_a_replaced_head_is_named(ledger: Ledger, capsys: pytest.CaptureFixture[str]) -> None:
    await ledger.execute(
        "UPDATE ledger_heads SET root_hash = '" + "00" * 32 + "' WHERE tree_size = 8"
    )
    code, out = await ledger.verify(capsys)
    assert code == 1
    assert "first problem at head #2: signature: the signature does not match the head" in out


async def test_heads_signed_before_and_after_rotation_verify(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    rotated = await auth.rotate(ledger.db, Keyring(MASTER), ledger.rig.clock.now())
    assert rotated.key_id != ledger.authority.key_id
    rig = ledger.rig = ledger.rig.swap(signer=rotated)  # a restart with the new key
    await ledger.pay_order(2)
    after = await rig.engine.sign_head()
    assert after.key_id == rotated.key_id
    code, out = await ledger.verify(capsys)
    assert code == 0, out
    assert "15 entries, 4 signed heads" in out


async def _receipt_file(ledger: Ledger, tmp_path: Path) -> tuple[Path, dict[str, object]]:
    rig = ledger.rig
    order_id = await ledger.pay_order(2)
    async with rig.store.transaction() as tx:
        payment = (await tx.payments.payments_of_order(OrderId(order_id)))[0]
    receipt = await rig.engine.receipt(payment.id, payer_ref="tg:0")
    doc = receipt_json(receipt, ledger.authority.chain_pem())
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(doc))
    return path, doc


async def test_a_receipt_verifies_offline(
    ledger: Ledger, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = await _receipt_file(ledger, tmp_path)
    assert cli.main(["receipt", "verify", str(path)]) == 0
    out = capsys.readouterr().out
    assert "valid: receipt rcpt-12-" in out
    assert "part.paid, 1000 minor units of USD" in out
    assert "paid by tg:0" in out
    pin = ledger.authority.root
    from trust.ca import fingerprint

    assert cli.main(["receipt", "verify", str(path), "--root-fingerprint", fingerprint(pin)]) == 0
    capsys.readouterr()


@pytest.mark.parametrize(
    ("part", "field", "value", "reason"),
    [
        ("entry", "amount", 999, "the entry is not in the signed tree"),
        ("entry", "index", 3, "leaf_index must equal the entry index"),
        ("payer", "ref", "tg:99", "commitment mismatch"),
        ("head", "tree_size", 13, "tree_size differs"),
        ("head", "signature", "A" * 86 + "==", "signature does not match"),
    ],
)
async def test_a_changed_receipt_does_not_verify(
    ledger: Ledger,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    part: str,
    field: str,
    value: object,
    reason: str,
) -> None:
    path, doc = await _receipt_file(ledger, tmp_path)
    section = doc[part]
    assert isinstance(section, dict)
    section[field] = value
    path.write_text(json.dumps(doc))
    assert cli.main(["receipt", "verify", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("NOT VALID")
    assert reason in out


async def test_a_receipt_under_another_root_is_refused_when_pinned(
    ledger: Ledger, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = await _receipt_file(ledger, tmp_path)
    assert cli.main(["receipt", "verify", str(path), "--root-fingerprint", "ab" * 32]) == 1
    assert "not the one pinned" in capsys.readouterr().out


def test_an_unreadable_receipt_file_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["receipt", "verify", str(tmp_path / "nope.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


async def test_untouched_books_agree_with_the_ledger(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = await ledger.verify(capsys)
    assert code == 0, out
    assert "books consistent: 3 orders, 9 payments agree with each other and the ledger" in out


async def test_an_order_counting_fewer_payments_than_its_parts_is_named(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    """The ledger itself is untouched: only the books' own check can see this."""
    order_id = await ledger.pay_order(2)
    await ledger.execute(f"UPDATE orders SET paid_count = 1 WHERE id = '{order_id}'")
    code, out = await ledger.verify(capsys)
    assert code == 1
    assert "ledger verified" in out
    assert "BOOKS NOT CONSISTENT (4 orders, 11 payments)" in out
    assert f"order {order_id} (keep, completed, n=2): paid_count 1, but 2 parts paid" in out


async def test_a_deleted_payment_is_named(
    ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    order_id = await ledger.pay_order(2)
    await ledger.execute(
        f"DELETE FROM payments WHERE id IN (SELECT id FROM payments WHERE order_id = '{order_id}' "
        "ORDER BY id LIMIT 1)"
    )
    code, out = await ledger.verify(capsys)
    assert code == 1
    assert "BOOKS NOT CONSISTENT (4 orders, 10 payments)" in out
    assert f"order {order_id} (keep, completed, n=2): part " in out
    assert "is paid with live payments []" in out
