"""Static codes in SQL: the collector's names are sealed and survive a seal-key rotation."""

from __future__ import annotations

from dataclasses import replace

from cryptography.fernet import Fernet

from core.domain.codes import (
    CodeId,
    CodeKind,
    CodeSpec,
    CodeState,
    Collection,
    CollectionId,
    StaticCode,
)
from core.domain.model import Payee, PayeeId
from core.domain.money import currency
from storage.sealing import reseal_all
from storage.store import SqlStore
from tests.storage.helpers import T0
from tests.storage.personal import raw_text
from tests.support.sealing import INDEX_KEY, SEAL_KEY
from trust.pii import Sealer

BAR, CLUB = "Ann's Bar", "Chess Club Ann"


async def test_collector_names_are_sealed_and_survive_a_key_rotation(store: SqlStore) -> None:
    payee = Payee(PayeeId("pay_1"), "tg:777001", T0)
    collection = Collection(CollectionId("col_1"), payee.id, BAR, ("fake",), T0)
    code = StaticCode(CodeId("sc_1"), "t" * 24, "K7PQ3MXD", CodeState.UNBOUND, T0)
    spec = CodeSpec(CodeKind.TIP, "Tips", currency("USD"), 100, 10_000)
    bound = replace(
        code,
        state=CodeState.ACTIVE,
        collection_id=collection.id,
        binding_id="bnd_1",
        spec=spec,
        bound_at=T0,
        display_name=CLUB,
    )
    async with store.transaction() as tx:
        await tx.payees.add_payee(payee)
        await tx.codes.add_collection(collection)
        await tx.codes.add_codes([code])
        assert await tx.codes.bind_code(bound)
    assert not [v for v in await raw_text(store.engine) if BAR in v or CLUB in v]

    new_key = Fernet.generate_key()
    await reseal_all(store.engine, Sealer(INDEX_KEY, [new_key, SEAL_KEY]))
    newest_only = SqlStore(store.engine, Sealer(INDEX_KEY, [new_key]))
    async with newest_only.transaction() as tx:
        assert await tx.codes.get_collection(collection.id) == collection
        assert await tx.codes.get_code(code.id) == bound
