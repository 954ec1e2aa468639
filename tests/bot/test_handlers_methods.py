"""Handler tests of the payee's own side of money straight to them: /methods (add field by
field, refusals asked again, remove), bank statements sent as documents, and what /history
and /stats say of parts paid straight to the payee."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.domain.model import SubOrderState
from core.domain.payqr.rf import printable
from core.usecases.payments.statements import MAX_FILE_BYTES
from tests.bot.straight import (
    SEPA,
    bot_with_files,
    mt940,
    pay_by_transfer,
    payee_with,
    reference_of,
    send_document,
)
from tests.support.ptb import ANN, BOB, CID, GROUP, MEI, PIN, BotRig, Call

SEPA_LABEL = "Bank transfer (SEPA)"


@pytest.fixture
async def banking(tmp_path: Path) -> AsyncIterator[BotRig]:
    """The bot over an engine that reads bank statements."""
    async with bot_with_files(tmp_path) as bot:
        yield bot


def _texts(calls: list[Call], chat: int) -> list[str]:
    return [c.text for c in calls if c.chat_id == chat and c.method == "sendMessage"]


# ---- /methods ----


async def test_a_payee_adds_a_sepa_account_field_by_field_after_a_bad_iban(bot: BotRig) -> None:
    listing = (await bot.send(ANN, "/methods"))[-1]
    assert listing.text.startswith("🏦 You have no receiving methods.")
    assert [b["text"] for b in listing.buttons] == [
        "➕ Add Bank transfer (SEPA)",
        "➕ Add PIX",
        "➕ Add UPI",
    ]
    mark = bot.api.mark()
    await bot.press(ANN, listing, listing.button("SEPA")["callback_data"])
    warning, holder = _texts(bot.api.since(mark), ANN.id)
    assert warning.startswith("⚠️ Give the account holder's legal name exactly as your bank has it")
    assert "Verification of Payee" in warning
    assert holder.endswith("Who holds the account? Send the holder's name.")

    assert _texts(await bot.send(ANN, "Ann Example"), ANN.id) == [
        "➕ Bank transfer (SEPA)\nSend the IBAN of the account."
    ]
    refused, again = _texts(await bot.send(ANN, "DE89 3704 0044 0532 0130 01"), ANN.id)
    assert refused == "⚠️ IBAN: This IBAN's check digits are wrong; look for a typo."
    assert again.endswith("Send the IBAN of the account.")
    (bic,) = [c for c in await bot.send(ANN, SEPA["iban"]) if c.chat_id == ANN.id]
    assert "Send the BIC of the bank, or press Skip" in bic.text
    assert [b["text"] for b in bic.buttons] == ["Skip"]
    done = await bot.press(ANN, bic, bic.button("Skip")["callback_data"])

    assert done.params.get("show_alert") is None
    added = bot.api.last(ANN.id).text
    assert added.startswith(
        "✅ Added: Bank transfer (SEPA) · <code>DE89…3000</code> · Ann Example."
    )
    payee = await bot.rig.engine.payee_named(f"tg:{ANN.id}")
    (method,) = await bot.rig.engine.methods_of(payee)
    assert (method.kind, method.account, method.bic) == ("sepa", "DE89370400440532013000", None)
    later = await bot.send(ANN, "some text")  # the dialog is over
    assert "one QR code, many payers" in later[-1].text
    listing = (await bot.send(ANN, "/methods"))[-1]
    assert "• Bank transfer (SEPA) · <code>DE89…3000</code> · Ann Example" in listing.text
    assert [b["text"] for b in listing.buttons] == [
        "✖️ Remove Bank transfer (SEPA) DE89…3000",
        "➕ Add PIX",
        "➕ Add UPI",
    ]


async def test_a_refusal_at_the_end_asks_its_field_again(bot: BotRig) -> None:
    listing = (await bot.send(ANN, "/methods"))[-1]
    await bot.press(ANN, listing, listing.button("PIX")["callback_data"])
    await bot.send(ANN, "Ann Example")
    await bot.send(ANN, "ann@example.com")

    calls = await bot.send(ANN, "東京")  # no Latin letters: PIX cannot show it

    refused, again = _texts(calls, ANN.id)
    assert refused.startswith("⚠️ City: ")
    assert again.endswith("Send the city PIX shows payers (at most 15 letters).")
    assert _texts(await bot.send(ANN, "São Paulo"), ANN.id)[-1].startswith("✅ Added: PIX")


async def test_a_chinese_payee_reads_the_refusal_in_chinese(bot: BotRig) -> None:
    listing = (await bot.send(MEI, "/methods"))[-1]
    await bot.press(MEI, listing, listing.button("UPI")["callback_data"])
    await bot.send(MEI, "梅")

    refused, again = _texts(await bot.send(MEI, "not a vpa"), MEI.id)

    assert refused == "⚠️ UPI 账号有误：“UPI” 账号形如 “name@bank”（字母、数字、. - _）"
    assert again.endswith("请发送你的 UPI 账号，形如 “name@bank”。")


async def test_remove_takes_the_method_away_from_payers(bot: BotRig) -> None:
    await payee_with(bot)
    listing = (await bot.send(ANN, "/methods"))[-1]

    answer = await bot.press(ANN, listing, listing.button("Remove")["callback_data"])

    assert answer.params["text"] == "Removed. Transfers already begun keep their reference."
    edited = bot.api.edits(ANN.id)[-1]
    assert edited.text.startswith("🏦 You have no receiving methods.")
    again = await bot.press(ANN, listing, listing.button("Remove")["callback_data"])
    assert again.params["text"] == "This method is gone already."
    posted = await bot.post("/split 90 3 Dinner currency=EUR")
    await bot.reserve(BOB, posted.token)  # one payment method left: no choice, no transfer


async def test_a_second_method_of_a_kind_is_refused(bot: BotRig) -> None:
    await payee_with(bot)
    listing = (await bot.send(ANN, "/methods"))[-1]
    data = "ma:sepa"  # an old list's Add button

    await bot.press(ANN, listing, data)

    assert bot.api.last(ANN.id).text == (
        "You have a Bank transfer (SEPA) method already. Remove it with /methods first to add "
        "another."
    )


# ---- bank statements ----


async def test_a_statement_matches_a_claimed_transfer_and_the_receipt_says_so(
    banking: BotRig,
) -> None:
    await payee_with(banking)
    posted = await banking.post("/split 90 3 Dinner currency=EUR")
    _photo, details = await pay_by_transfer(banking, BOB, posted.token, SEPA_LABEL)
    await banking.press(BOB, details, details.button("I've paid")["callback_data"])
    reference = reference_of(details)
    statement = mt940(
        [
            ("30,00", f"Dinner {printable(reference)}"),
            ("12,50", "Rent share"),
            ("29,00", f"Dinner {reference}"),
        ]
    )

    calls = await send_document(banking, ANN, statement, "march.sta")

    (reply,) = [c for c in calls if c.chat_id == ANN.id and c.method == "sendMessage"]
    assert reply.text.splitlines()[:4] == [
        "📄 <b>Statement imported</b> (MT940): 3 incoming payments.",
        "✅ Matched to a part: 1",
        "🔁 Already imported: 0",
        "🔎 To check: 2",
    ]
    assert "<b>Lines to check</b>" in reply.text
    assert "• 2024-03-05 · 12.50 EUR · Rent share · no reference of yours" in reply.text
    assert "· 29.00 EUR · " in reply.text
    assert "less than its part" in reply.text
    view = await banking.rig.engine.public_order(posted.token)
    assert [s.state for s in view.subs if s.payer_ref == f"tg:{BOB.id}"] == [SubOrderState.PAID]
    receipt = banking.api.last(BOB.id).text
    assert "Bank transfer (SEPA), matched on the payee's bank statement" in receipt
    progress = banking.api.edits(GROUP)[-1].text
    assert "Bob (Bank transfer (SEPA), matched on the payee's bank statement)" in progress

    again = await send_document(banking, ANN, statement, "march.sta")

    assert _texts(again, ANN.id)[-1].splitlines()[1:4] == [
        "✅ Matched to a part: 0",
        "🔁 Already imported: 3",
        "🔎 To check: 0",
    ]


async def test_a_file_from_someone_without_a_method_is_not_taken_for_a_statement(
    banking: BotRig,
) -> None:
    calls = await send_document(banking, BOB, b"%PDF-1.7 my transfer receipt", "paid.pdf")

    assert _texts(calls, BOB.id) == [
        "📄 Files sent here are read as bank statements of payees who take transfers. Add your "
        "account with /methods first; to prove a payment to a payee, send it to them."
    ]
    assert banking.api.of("getFile") == []


async def test_a_file_that_is_no_statement_changes_nothing(banking: BotRig) -> None:
    await payee_with(banking)
    await payee_with(banking, "upi", user=MEI)
    calls = await send_document(banking, ANN, b"%PDF-1.7 not a statement", "march.pdf")

    assert _texts(calls, ANN.id) == [
        "⚠️ I could not read this statement: This is a PDF; download the statement as CAMT.053 "
        "(XML), MT940 or OFX instead. Nothing was imported."
    ]
    broken = mt940([("30,00", "x")]).replace(b":61:240305C30,00", b":61:2403X")
    told = _texts(await send_document(banking, MEI, broken, "m.sta"), MEI.id)[-1]
    assert told.startswith("⚠️ 我无法读取这份对账单：第 ")
    assert "不符合 “MT940” 格式" in told


async def test_a_file_over_5_mb_is_refused_before_it_is_downloaded(banking: BotRig) -> None:
    await payee_with(banking)
    big = b"x" * (MAX_FILE_BYTES + 1)

    calls = await send_document(banking, ANN, big, "huge.xml")

    assert _texts(calls, ANN.id) == [
        "⚠️ This file is too big: I read bank statements up to 5 MB. Nothing was imported."
    ]
    assert banking.api.of("getFile") == []


async def test_without_a_statement_reader_the_payee_is_told(tmp_path: Path) -> None:
    async with bot_with_files(tmp_path, statements=False) as bot:
        await payee_with(bot)
        calls = await send_document(bot, ANN, mt940([("1,00", "x")]), "m.sta")

    assert _texts(calls, ANN.id) == [
        "Bank statements cannot be imported here. Nothing was imported."
    ]


# ---- records ----


async def test_history_and_stats_say_what_went_straight_to_the_payee(bot: BotRig) -> None:
    await payee_with(bot)
    posted = await bot.post("/split 90 3 Dinner currency=EUR")
    _photo, details = await pay_by_transfer(bot, BOB, posted.token, SEPA_LABEL)
    await bot.press(BOB, details, details.button("I've paid")["callback_data"])
    letter = bot.api.last(ANN.id)
    await bot.press(ANN, letter, letter.button("Received")["callback_data"])
    await bot.start_paying(CID, posted.token)  # another part, through the gateway
    await bot.enter(CID, PIN)
    await bot.enter(CID, PIN)
    await bot.choose(CID, "fake")
    await bot.pay_checkout(bot.api.last(CID.id))

    payee_history = (await bot.send(ANN, "/history"))[-1].text.splitlines()
    payer_history = (await bot.send(BOB, "/history"))[-1].text.splitlines()
    stats = (await bot.send(ANN, "/stats"))[0].text.splitlines()

    direct = " · paid · Bank transfer (SEPA), confirmed by the payee"
    assert next(x for x in payee_history if direct in x).endswith(f"{direct} · Bob")
    assert payer_history[1].endswith(direct)
    assert [x for x in payee_history if x.endswith("through Chipin's payment gateway · Cid")]
    assert stats[1:3] == [
        "EUR: collected 60.00 EUR, refunded 0.00 EUR, net <b>60.00 EUR</b>",
        "  of which 30.00 EUR straight to you, 30.00 EUR through Chipin",
    ]
