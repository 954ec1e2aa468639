"""bootstrap builds every part once: overrides replace only their part, the bot and the
engine meet through parts made first (the update queue, the Bot API client), and every
periodic job is declared once, apart from the bot."""

from __future__ import annotations

import logging
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app.bootstrap import bootstrap
from bot.app.settings import Refused, Settings
from bot.chat.notify import EngineEvents, QueueNotifier
from core.domain.events import OrderCreated
from core.domain.model import OrderId
from core.ports.store import GatewayEvent
from storage.migrate import head_revision, schema_state
from tests.support.backends import copy_sqlite
from tests.support.fakes.clock import FakeClock
from tests.support.offline_api import TOKEN, OfflineBotApi, Person

JOBS = ["tick", "reconcile", "sign ledger head", "purge outbox"]
HEAD = head_revision()


def _settings(tmp_path: Path, sqlite_template: Path, **values: str) -> Settings:
    """Settings from these values only (the environment and `.env` are not read)."""
    return Settings.model_validate(
        {
            "CHIPIN_DATA_DIR": tmp_path,
            "CHIPIN_DATABASE_URL": copy_sqlite(sqlite_template, tmp_path),
            **values,
        }
    )


async def test_an_override_replaces_its_part_and_nothing_else(
    tmp_path: Path, sqlite_template: Path
) -> None:
    clock = FakeClock()
    service = await bootstrap(
        _settings(tmp_path, sqlite_template), bot=False, clock=clock, signer=None
    )
    try:
        deps = service.engine.deps
        assert (deps.clock, deps.signer) == (clock, None)
        assert deps.store is service.store
        assert list(deps.gateways) == ["sandbox"]
        assert deps.gateways["sandbox"] is service.sandbox
        assert service.bot is None
        assert [job.name for job in service.jobs] == JOBS
    finally:
        await service.close()


async def test_with_the_bot_events_go_on_its_update_queue_and_the_jobs_stay_off_its_jobqueue(
    tmp_path: Path, sqlite_template: Path
) -> None:
    settings = _settings(tmp_path, sqlite_template, TELEGRAM_BOT_TOKEN=TOKEN)
    service = await bootstrap(settings, bot=True, request=OfflineBotApi())
    try:
        assert service.bot is not None
        notifier = service.engine.deps.notifier
        assert isinstance(notifier, QueueNotifier)
        event = OrderCreated(OrderId("ord_1"), datetime.now(UTC))
        await notifier.publish([event])
        assert service.bot.update_queue.get_nowait() == EngineEvents((event,))
        assert [job.name for job in service.jobs] == JOBS  # they run whether the bot is up or not
        assert service.bot.job_queue is not None  # the reminders' queue
        assert service.bot.job_queue.jobs() == ()
    finally:
        await service.close()


async def test_stars_go_back_through_the_bot_the_service_runs(
    tmp_path: Path, sqlite_template: Path
) -> None:
    settings = _settings(
        tmp_path,
        sqlite_template,
        TELEGRAM_BOT_TOKEN=TOKEN,
        CHIPIN_GATEWAYS="telegram,sandbox",
        CHIPIN_CURRENCY="XTR",
    )
    api = OfflineBotApi()
    payer = Person(4242, "Pat", "pat_q")
    api.charged(payer, "stxC1", "XTR", 25, "not-ours")  # Telegram knows the charge
    async with await bootstrap(settings, bot=True, request=api) as service:
        assert service.bot is not None
        assert service.telegram is not None
        async with service.bot:
            event: GatewayEvent = await service.telegram.payment_event(
                charge_id="stxC1",
                payload="not-ours",
                amount_minor=25,
                currency="XTR",
                user_id=payer.id,
                payer_ref=f"tg:{payer.id}",
                payer_name=None,
            )
            await service.telegram.refund(event.payment_ref, 25, "refund_1")
    [call] = api.of("refundStarPayment")
    assert (call.params["user_id"], call.params["telegram_payment_charge_id"]) == (4242, "stxC1")


async def test_a_new_sqlite_database_gets_its_tables_from_within_the_running_loop(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings.model_validate({"CHIPIN_DATA_DIR": tmp_path})
    caplog.set_level(logging.INFO)
    async with await bootstrap(settings, bot=False) as service:
        assert await service.engine.outbox_depth() is not None
    said = [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith(("bot.app.bootstrap", "storage", "alembic"))
    ]
    assert said == [f"new database {tmp_path}/chipin.db: creating its tables (revision {HEAD})"]
    assert (await schema_state(settings.database_url)).at_head


@pytest.mark.parametrize(
    ("revision", "said"),
    [
        (
            "0014",
            "is at schema revision 0014, and this version of Chipin needs {head}: run "
            "`chipin migrate` (after a backup)",
        ),
        (
            "9999",
            "is at schema revision 9999, newer than this version of Chipin knows (its "
            "newest is {head})",
        ),
    ],
)
async def test_a_database_at_another_schema_is_refused_as_it_is(
    revision: str, said: str, tmp_path: Path, sqlite_template: Path
) -> None:
    settings = _settings(tmp_path, sqlite_template)
    with sqlite3.connect(tmp_path / "chipin.db") as db:
        db.execute("UPDATE alembic_version SET version_num = ?", (revision,))

    with pytest.raises(Refused) as refused:
        await bootstrap(settings, bot=False)
    assert said.format(head=HEAD) in str(refused.value)
    assert (await schema_state(settings.database_url)).current == revision
    assert not (tmp_path / "secret.key").exists()


async def test_a_key_is_never_made_beside_a_database_with_keys(
    tmp_path: Path, sqlite_template: Path
) -> None:
    settings = _settings(tmp_path, sqlite_template)
    async with await bootstrap(settings, bot=False):
        pass
    (tmp_path / "secret.key").rename(tmp_path / "elsewhere.key")

    with pytest.raises(
        Refused, match=f"the secret key is missing: .* {re.escape(str(tmp_path))}/secret\\.key"
    ):
        await bootstrap(settings, bot=False)
    assert not (tmp_path / "secret.key").exists()
    (tmp_path / "secret.key").write_text("not-the-key-the-database-was-made-with")
    with pytest.raises(Refused, match=r"secret\.key does not open this database.s keys"):
        await bootstrap(settings, bot=False)
