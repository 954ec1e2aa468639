"""Handler tests of /history, /stats, /export and the receipt's proof file, in private chats."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image

from bot.views.charts import HEIGHT, WIDTH
from tests.support.figures import net_by_currency
from tests.support.harness import build_rig, request
from tests.support.ptb import ANN, BOB, CID, GROUP, MEI, BotRig, Call, Person, running_bot
from tests.support.trust_builders import memory_ca
from trust import ca
from trust.receipts import ReceiptInvalid, ReceiptWriter, verify_receipt

NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)

# how a part paid through the rig's fake gateway is shown (bot.views.texts.transfers)
GATEWAY = " · fake, through Chipin's payment gateway"


def _one_reply(calls: list[Call], chat_id: int, method: str = "sendMessage") -> Call:
    sent = [c for c in calls if c.method == method and c.chat_id == chat_id]
    assert len(sent) == 1, calls
    return sent[0]


async def collect(bot: BotRig, payee: Person, title: str, payers: list[Person]) -> str:
    """`payee` collects 10.00 from each payer (through the engine, as the gateway would)."""
    engine = bot.rig.engine
    payee_id = await engine.payee_named(f"tg:{payee.id}")
    view = await engine.create_order(
        payee_id, request(f"{10 * len(payers)}", len(payers), title=title)
    )
    for payer in payers:
        res = await engine.reserve(
            view.order.token, f"tg:{payer.id}", payer_name=payer.first_name, source=f"tg:{payer.id}"
        )
        assert res.sub.checkout_ref is not None
        await bot.pay(res.sub.checkout_ref)
    bot.rig.clock.advance(minutes=1)
    return view.order.id


async def _records(bot: BotRig) -> str:
    """Ann collects five orders from Bob (ten entries); she pays a part of Bob's party."""
    bot.rig.clock.at = NOW
    for i in range(5):
        await collect(bot, ANN, f"Ann's {i}", [BOB])
    return await collect(bot, BOB, "Bob's party", [ANN, CID])


# ---- /history ----


async def test_history_pages_with_older_and_newer_buttons(bot: BotRig) -> None:
    await _records(bot)

    first = _one_reply(await bot.send(ANN, "/history"), ANN.id)

    lines = first.text.splitlines()
    assert "page 1 of 2" in lines[0]
    assert len(lines) == 9
    assert lines[1] == f"↗ 2026-03-05 12:05 UTC · Bob's party · 10.00 USD · paid{GATEWAY}"
    assert lines[2] == "↙ 2026-03-05 12:04 UTC · Ann's 4 · 10.00 USD · order completed"
    assert lines[3] == f"↙ 2026-03-05 12:04 UTC · Ann's 4 · 10.00 USD · paid{GATEWAY} · Bob"
    assert [b["callback_data"] for b in first.buttons] == ["h:1::"]
    await bot.press(ANN, first, "h:1::")
    second = bot.api.edits(ANN.id)[-1]
    assert "page 2 of 2" in second.text
    assert len(second.text.splitlines()) == 4
    assert "Ann's 0" in second.text
    assert [b["callback_data"] for b in second.buttons] == ["h:0::"]
    await bot.press(ANN, first, "h:0::")
    assert bot.api.edits(ANN.id)[-1].text == first.text


async def test_history_shows_only_ones_own_records(bot: BotRig) -> None:
    await _records(bot)
    bob = _one_reply(await bot.send(BOB, "/history"), BOB.id)
    payee_lines = [line for line in bob.text.splitlines() if line.startswith("↙")]
    assert payee_lines
    assert all("Bob's party" in line for line in payee_lines)
    assert all("Ann's" not in line for line in payee_lines)
    assert bob.text.count("↗") == 5  # his payments to Ann
    cid = _one_reply(await bot.send(CID, "/history"), CID.id)
    assert cid.text.splitlines()[1:] == [
        f"↗ 2026-03-05 12:05 UTC · Bob's party · 10.00 USD · paid{GATEWAY}"
    ]
    assert "Ann" not in cid.text
    empty = _one_reply(await bot.send(MEI, "/history"), MEI.id)
    assert empty.text.startswith("还没有记录")


async def test_history_filters_by_month_and_order(bot: BotRig) -> None:
    party = await _records(bot)
    march = _one_reply(await bot.send(ANN, "/history 2026-03"), ANN.id)
    assert march.text.splitlines()[1] == "Month: 2026-03"
    assert [b["callback_data"] for b in march.buttons] == ["h:1:2026-03:"]
    other = _one_reply(await bot.send(ANN, "/history 2025-12"), ANN.id)
    assert other.text.startswith("No records match")
    assert other.buttons == []
    one = _one_reply(await bot.send(ANN, f"/history {party}"), ANN.id)
    assert one.text.splitlines()[2:] == [
        f"↗ 2026-03-05 12:05 UTC · Bob's party · 10.00 USD · paid{GATEWAY}"
    ]
    both = _one_reply(await bot.send(ANN, f"/history {party} 2026-03"), ANN.id)
    assert both.text.splitlines()[1] == f"Month: 2026-03 · Order id: <code>{party}</code>"
    bad = _one_reply(await bot.send(ANN, "/history 2026-13"), ANN.id)
    assert bad.text.startswith("⚠️")
    assert "is not a month" in bad.text


async def test_history_in_a_group_asks_for_a_private_chat(bot: BotRig) -> None:
    await _records(bot)
    for command in ("/history", "/stats", "/export"):
        calls = await bot.send(ANN, command, GROUP)
        reply = _one_reply(calls, GROUP)
        assert "private chat" in reply.text
        assert [c for c in calls if c.method in ("sendPhoto", "sendDocument")] == []


async def test_forged_history_pages_are_harmless(bot: BotRig) -> None:
    party = await _records(bot)
    first = _one_reply(await bot.send(ANN, "/history"), ANN.id)
    await bot.press(ANN, first, "h:1::")
    for data in ("h:abc", "h:-3", "h:", "h:１", "h:1:2026-13:", "h:1:garbage:", f"h:0::{'x' * 70}"):
        answer = await bot.press(ANN, first, data)
        assert answer.ok
        assert bot.api.edits(ANN.id)[-1].text == first.text  # the first page again
    assert (await bot.press(ANN, first, "h:99999999999")).ok
    # a page of someone else's order shows only the presser's own entries of it
    mine = _one_reply(await bot.send(CID, "/history"), CID.id)
    await bot.press(CID, mine, f"h:0::{party}")
    shown = bot.api.edits(CID.id)[-1].text
    assert "· paid" in shown
    assert "Ann" not in shown
    assert "order completed" not in shown
    assert bot.api.edits(BOB.id, ok_only=False) == []


# ---- /stats ----


async def test_stats_sends_the_figures_then_the_chart(bot: BotRig) -> None:
    await _records(bot)
    calls = await bot.send(ANN, "/stats")
    summary = _one_reply(calls, ANN.id)
    assert summary.text.splitlines()[:5] == [
        "📊 <b>Your collections</b>",
        "USD: collected 50.00 USD, refunded 0.00 USD, net <b>50.00 USD</b>",
        "1 payer paid",
        "Orders: 5 completed, 0 expired, 0 cancelled",
        "Average time to complete an order: less than a minute",
    ]
    assert "2026-03: 50.00 USD" in summary.text
    assert "• Ann's 4: net 10.00 USD, 1 part paid" in summary.text
    photo = _one_reply(calls, ANN.id, "sendPhoto")
    assert photo.text == "Net collected per month, in USD."
    ((_name, png),) = photo.uploads.values()
    image = Image.open(io.BytesIO(png))
    assert (image.format, image.size) == ("PNG", (WIDTH, HEIGHT))
    assert calls.index(summary) < calls.index(photo)


async def test_stats_for_someone_who_never_collected_and_for_a_bad_month(bot: BotRig) -> None:
    await _records(bot)
    calls = await bot.send(CID, "/stats")
    assert "not collected money" in _one_reply(calls, CID.id).text
    assert [c for c in calls if c.method == "sendPhoto"] == []
    bad = _one_reply(await bot.send(ANN, "/stats 2026-00"), ANN.id)
    assert "is not a month" in bad.text
    march = await bot.send(ANN, "/stats 2026-02")
    assert "Nothing collected in this period" in _one_reply(march, ANN.id).text
    assert [c for c in march if c.method == "sendPhoto"] == []  # nothing to chart
    chinese = _one_reply(await bot.send(MEI, "/stats"), MEI.id)
    assert "还没有用 Chipin 收过款" in chinese.text


# ---- /export ----


async def test_export_sends_a_csv_that_sums_to_the_stats(bot: BotRig) -> None:
    await _records(bot)
    calls = await bot.send(ANN, "/export")
    document = _one_reply(calls, ANN.id, "sendDocument")
    ((name, body),) = document.uploads.values()
    assert name == "chipin-records-20260305.csv"
    assert document.text == "Your records as CSV: 10 entries, oldest first."
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"), newline="")))
    assert len(rows) == 10
    net: dict[str, int] = defaultdict(int)
    for row in rows:
        net[row["currency"]] += int(row["signed_minor"])
    viewer = await bot.rig.engine.viewer(payer_ref=f"tg:{ANN.id}")
    assert viewer.payee_id is not None
    stats = await bot.rig.engine.stats(viewer.payee_id)
    assert dict(net) == net_by_currency(stats) == {"USD": 5000}
    assert {r["payer_name"] for r in rows if r["kind"] == "part.paid"} == {"Bob"}


async def test_export_with_nothing_to_export(bot: BotRig) -> None:
    await _records(bot)
    calls = await bot.send(CID, "/export")
    assert "Nothing to export yet" in _one_reply(calls, CID.id).text
    empty_month = await bot.send(ANN, "/export 2025-01")
    assert "Nothing to export yet" in _one_reply(empty_month, ANN.id).text
    assert [c for c in calls + empty_month if c.method == "sendDocument"] == []


# ---- the receipt and its proof file ----


def _receipt(bot: BotRig, user: Person) -> Call:
    found = [c for c in bot.api.sent(user.id) if "Payment received" in c.text]
    assert found
    return found[-1]


async def test_the_receipt_names_its_ledger_entry_and_offers_the_proof(bot: BotRig) -> None:
    await collect(bot, ANN, "Dinner", [BOB])
    receipt = _receipt(bot, BOB)
    assert "Receipt: <code>rcpt-0-" in receipt.text
    assert "Ledger entry: #0" in receipt.text
    (button,) = receipt.buttons
    assert button["text"] == "Proof file"
    assert button["callback_data"].startswith("rf:")

    answer = await bot.press(BOB, receipt, button["callback_data"])  # no authority yet

    assert answer.params["show_alert"] is True
    assert "not signing yet" in answer.params["text"]
    assert bot.api.sent(BOB.id, "sendDocument") == []


async def test_the_proof_file_is_the_receipt_json_for_its_payer(tmp_path: Path) -> None:
    async with running_bot(
        tmp_path, receipts=ReceiptWriter(lambda: "-----BEGIN CERTIFICATE-----\n")
    ) as bot:
        await collect(bot, ANN, "Dinner", [BOB])
        receipt = _receipt(bot, BOB)
        data = receipt.buttons[0]["callback_data"]

        answer = await bot.press(BOB, receipt, data)

        assert answer.ok
        assert not answer.params.get("text")
        (document,) = bot.api.sent(BOB.id, "sendDocument")
        ((name, body),) = document.uploads.values()
        doc = json.loads(body)
        rid = doc["receipt_id"]
        assert name == f"receipt-{rid}.json"
        assert f"Receipt: <code>{rid}</code>" in receipt.params["text"]
        command = f"chipin receipt verify receipt-{rid}.json"
        assert document.text == f"Check it offline: <code>{command}</code>"
        assert doc["payer"]["ref"] == f"tg:{BOB.id}"
        assert doc["entry"]["payment"] == data.removeprefix("rf:")
        assert doc["chain"] == "-----BEGIN CERTIFICATE-----\n"


async def test_a_forged_proof_button_gets_a_refusal(tmp_path: Path) -> None:
    async with running_bot(tmp_path, receipts=ReceiptWriter(lambda: "PEM")) as bot:
        await collect(bot, ANN, "Dinner", [BOB])
        data = _receipt(bot, BOB).buttons[0]["callback_data"]
        mine = _one_reply(await bot.send(CID, "/start"), CID.id)
        posted = await bot.post("/split 20 2 Taxi")

        for user, on, forged in [
            (CID, mine, data),  # Bob's payment, pressed by Cid in his own chat
            (CID, mine, "rf:pmt_nope"),
            (CID, mine, "rf:"),
            (BOB, posted.progress, data),  # Bob's own receipt, but on the group's message
        ]:
            answer = await bot.press(user, on, forged)
            assert answer.params["show_alert"] is True
            assert answer.params["text"] == "You have no receipt with this id."

        assert [c for c in bot.api.calls if c.method == "sendDocument"] == []


async def test_the_proof_file_verifies_offline_against_chipins_certificates(
    tmp_path: Path,
) -> None:
    authority = memory_ca(datetime.now(UTC))
    rig = build_rig().swap(signer=authority.signer)
    chain = ca.to_pem(authority.root) + ca.to_pem(authority.signer.cert)
    async with running_bot(tmp_path, rig, receipts=ReceiptWriter(lambda: chain)) as bot:
        await collect(bot, ANN, "Dinner", [BOB, CID])
        receipt = _receipt(bot, CID)
        await bot.press(CID, receipt, receipt.buttons[0]["callback_data"])
        (document,) = bot.api.sent(CID.id, "sendDocument")
    ((_name, body),) = document.uploads.values()
    doc = json.loads(body)

    checked = verify_receipt(doc, ca.fingerprint(authority.root))

    assert checked.payer_ref == f"tg:{CID.id}"
    assert checked.entry.amount_minor == 1000
    doc["entry"]["amount"] = 100_000  # the payer's copy is changed: it no longer proves
    with pytest.raises(ReceiptInvalid):
        verify_receipt(doc, ca.fingerprint(authority.root))
