"""Handler tests of paying straight to the payee: the payment QR and its details, "I've paid"
(with the UTR for UPI), the payee's Received / Not received, /claims, /returns, letting a
part go, and what receipts and the group's progress say."""

from __future__ import annotations

from core.domain.model import PaymentStatus, SubOrderState
from core.domain.payqr.rf import printable
from tests.bot.straight import (
    IBAN_PRINTED,
    UTR,
    decoded,
    pay_by_transfer,
    payee_with,
    reference_of,
)
from tests.support.ptb import ANN, BOB, CID, GROUP, BotRig, Call, Person

SEPA_LABEL = "Bank transfer (SEPA)"


async def _sub_state(bot: BotRig, token: str, user: Person) -> SubOrderState | None:
    view = await bot.rig.engine.public_order(token)
    found = [s.state for s in view.subs if s.payer_ref == f"tg:{user.id}"]
    return found[0] if found else None


async def _claimed(bot: BotRig, user: Person, token: str) -> tuple[Call, Call]:
    """`user` pays Ann's EUR order by SEPA and says so: the details, and Ann's letter."""
    _photo, details = await pay_by_transfer(bot, user, token, SEPA_LABEL)
    await bot.press(user, details, details.button("I've paid")["callback_data"])
    return details, bot.api.last(ANN.id)


# ---- the payer pays ----


async def test_a_payer_gets_the_payment_qr_and_the_same_details_as_text(bot: BotRig) -> None:
    await payee_with(bot)
    posted = await bot.post("/split 90 3 Dinner currency=EUR")

    photo, details = await pay_by_transfer(bot, BOB, posted.token, SEPA_LABEL)

    reference = reference_of(details)
    payload = decoded(photo)
    assert payload.split("\n") == [
        "BCD",
        "002",
        "1",
        "SCT",
        "COBADEFFXXX",
        "Ann Example",
        "DE89370400440532013000",
        "EUR30",
        "",
        reference,
    ]
    view = await bot.rig.engine.public_order(posted.token)
    how = await bot.rig.engine.transfer_instructions(posted.token, reference)
    assert payload == how.payload
    assert (photo.chat_id, details.chat_id) == (BOB.id, BOB.id)
    assert "banking app" in photo.text
    text = details.text
    assert f"IBAN: <code>{IBAN_PRINTED}</code>" in text
    assert "BIC: <code>COBADEFFXXX</code>" in text
    assert "Holder: <b>Ann Example</b>" in text
    assert "Amount: <b>30.00 EUR</b>" in text
    assert f"Reference: <code>{how.printed_reference}</code>" in text
    assert len(reference) == 14
    assert how.printed_reference.count(" ") == 3
    assert "Copy the reference exactly" in text
    assert "must be returned by Ann by hand" in text
    assert [b["text"] for b in details.buttons] == ["✅ I've paid", "↩️ Let my part go"]
    assert [s.state for s in view.subs].count(SubOrderState.RESERVED) == 1
    assert bot.api.sent(GROUP, "sendPhoto")[1:] == []  # nothing of it in the group


async def test_a_payer_who_paid_says_so_and_the_payee_is_asked(bot: BotRig) -> None:
    await payee_with(bot)
    posted = await bot.post("/split 90 3 Dinner currency=EUR")
    _photo, details = await pay_by_transfer(bot, BOB, posted.token, SEPA_LABEL)
    mark = bot.api.mark()

    await bot.press(BOB, details, details.button("I've paid")["callback_data"])

    told = [c for c in bot.api.since(mark) if c.method == "sendMessage" and c.chat_id == BOB.id]
    assert told[-1].text == (
        "✅ The payee has been asked to confirm; your part is held until they do or the order ends."
    )
    edited = [
        c for c in bot.api.edits(BOB.id) if c.params["message_id"] == details.message["message_id"]
    ]
    assert edited[-1].text.endswith("✅ You said you paid.")
    assert edited[-1].buttons == []
    assert await _sub_state(bot, posted.token, BOB) == SubOrderState.CLAIMED
    letter = bot.api.last(ANN.id)
    assert letter.text.startswith("🏦 <b>Bob says they paid 30.00 EUR</b> by Bank transfer (SEPA)")
    assert reference_of(letter) == reference_of(details)
    assert [b["text"] for b in letter.buttons] == ["✅ Received", "❌ Not received"]
    assert "🏦 1 transfer waiting for the payee's confirmation" in bot.api.edits(GROUP)[-1].text


async def test_received_counts_the_part_once_and_the_receipt_says_who_confirmed(
    bot: BotRig,
) -> None:
    await payee_with(bot)
    posted = await bot.post("/split 90 3 Dinner currency=EUR")
    _details, letter = await _claimed(bot, BOB, posted.token)

    answer = await bot.press(ANN, letter, letter.button("Received")["callback_data"])

    assert answer.params["text"] == "Confirmed."
    assert bot.api.edits(ANN.id)[-1].text.endswith("✅ You confirmed it: the part counts.")
    receipt = bot.api.last(BOB.id)
    assert "✅ <b>Payment received</b>" in receipt.text
    assert (
        "Paid straight to the payee: Bank transfer (SEPA), confirmed by the payee" in receipt.text
    )
    progress = bot.api.edits(GROUP)[-1].text
    assert "Paid 1/3" in progress
    assert (
        "🏦 Straight to the payee: Bob (Bank transfer (SEPA), confirmed by the payee)" in progress
    )
    mark = bot.api.mark()

    again = await bot.press(ANN, letter, letter.button("Received")["callback_data"])
    denied = await bot.press(ANN, letter, letter.button("Not received")["callback_data"])

    for press in (again, denied):
        assert press.params["text"] == "This transfer was decided already; nothing changed."
        assert press.params["show_alert"] is True
    assert [c.method for c in bot.api.since(mark)] == ["answerCallbackQuery"] * 2
    assert (await bot.rig.engine.public_order(posted.token)).order.paid_count == 1


async def test_not_received_frees_the_part_and_tells_the_payer(bot: BotRig) -> None:
    await payee_with(bot)
    posted = await bot.post("/split 90 3 Dinner currency=EUR")
    details, letter = await _claimed(bot, BOB, posted.token)
    reference = reference_of(details)

    answer = await bot.press(ANN, letter, letter.button("Not received")["callback_data"])

    assert answer.params["text"] == "The part is free again."
    assert bot.api.edits(ANN.id)[-1].text.endswith(
        "❌ You said it has not arrived: the part is free again, and Bob was told."
    )
    told = bot.api.last(BOB.id).text
    assert told.startswith("❌ Ann has not received your transfer of <b>30.00 EUR</b>")
    assert f"(reference <code>{reference[:4]} " in told
    assert "contact them with the reference" in told
    assert await _sub_state(bot, posted.token, BOB) is None
    second = await bot.press(ANN, letter, letter.button("Not received")["callback_data"])
    received = await bot.press(ANN, letter, letter.button("Received")["callback_data"])
    for press in (second, received):
        assert press.params["text"] == "This transfer was decided already; nothing changed."
    assert (await bot.rig.engine.public_order(posted.token)).order.paid_count == 0


async def test_only_the_payee_decides_and_only_in_their_own_chat(bot: BotRig) -> None:
    await payee_with(bot)
    posted = await bot.post("/split 90 3 Dinner currency=EUR")
    _details, letter = await _claimed(bot, BOB, posted.token)

    data = letter.button("Received")["callback_data"]
    in_group = await bot.press(CID, bot.api.sent(GROUP)[-1], data)
    on_anns = await bot.press(CID, letter, data)
    (help_,) = [c for c in await bot.send(CID, "/help") if c.chat_id == CID.id]
    in_his_own = await bot.press(CID, help_, data)  # forged data: not a transfer of his

    for press in (in_group, on_anns, in_his_own):
        assert press.params["show_alert"] is True
        assert press.params["text"] == "Only the person collecting can do that."
    assert await _sub_state(bot, posted.token, BOB) == SubOrderState.CLAIMED


async def test_received_after_the_order_ended_is_owed_back_by_hand(bot: BotRig) -> None:
    await payee_with(bot)
    posted = await bot.post("/split 90 3 Dinner currency=EUR expires=30m")
    details, letter = await _claimed(bot, BOB, posted.token)
    bot.rig.clock.advance(hours=1)
    await bot.rig.engine.tick()
    await bot.flush()

    reference = printable(reference_of(details))
    told = [m.text for m in bot.api.sent(BOB.id) if m.text.startswith("⌛")]
    assert told == [
        "⌛ <b>Dinner</b> ended before Ann confirmed your transfer of <b>30.00 EUR</b> "
        f"(reference <code>{reference}</code>), so your part does not count. If your "
        "money reached them, they must return it to you: Chipin cannot."
    ]
    await bot.press(ANN, letter, letter.button("Received")["callback_data"])
    confirmed = bot.api.edits(ANN.id)[-1].text
    missing = await bot.press(ANN, letter, letter.button("Not received")["callback_data"])

    assert missing.params["text"] == "This transfer was decided already; nothing changed."
    assert confirmed.endswith(
        "✅ You confirmed it, but its part could no longer count: the order had expired. "
        "Return the money by hand (see /returns)."
    )
    assert "1 payment to return by hand" in (await bot.send(ANN, "/returns"))[0].text


# ---- UPI: the UTR ----


async def test_a_upi_payer_is_asked_for_the_utr_until_it_is_12_digits(bot: BotRig) -> None:
    await payee_with(bot, "upi")
    posted = await bot.post("/split 300 3 Tea currency=INR")
    photo, details = await pay_by_transfer(bot, BOB, posted.token, "UPI")
    assert decoded(photo).startswith("upi://pay?pa=ann.e@okaxis")
    assert photo.text == (
        "📱 Scan this QR code in your UPI app (links to personal UPI IDs are often blocked)."
    )
    assert "UPI ID: <code>ann.e@okaxis</code>" in details.text

    await bot.press(BOB, details, details.button("I've paid")["callback_data"])
    assert "12-digit UTR" in bot.api.last(BOB.id).text
    assert await _sub_state(bot, posted.token, BOB) == SubOrderState.RESERVED

    bad = await bot.send(BOB, "12345")
    assert "⚠️ UTR: A UTR is the 12-digit number of the payment" in bad[-1].text
    assert "12-digit UTR" in bad[-1].text
    good = await bot.send(BOB, "4123 4567 8901")

    assert any("The payee has been asked to confirm" in c.text for c in good)
    assert await _sub_state(bot, posted.token, BOB) == SubOrderState.CLAIMED
    letter = bot.api.last(ANN.id)
    assert "by UPI for <b>Tea</b>" in letter.text
    assert f"UTR: <code>{UTR}</code>" in letter.text
    later = await bot.send(BOB, "hello")  # the dialog is over: text is text again
    assert "one QR code, many payers" in later[-1].text


# ---- letting the part go ----


async def test_let_my_part_go_frees_it_at_once(bot: BotRig) -> None:
    await payee_with(bot)
    posted = await bot.post("/split 90 3 Dinner currency=EUR")
    _photo, details = await pay_by_transfer(bot, BOB, posted.token, SEPA_LABEL)

    answer = await bot.press(BOB, details, details.button("Let my part go")["callback_data"])

    assert answer.params["text"] == "Your part is free again."
    assert bot.api.edits(BOB.id)[-1].text.endswith("↩️ You let your part go; nothing was paid.")
    assert await _sub_state(bot, posted.token, BOB) is None
    again = await bot.press(BOB, details, details.button("Let my part go")["callback_data"])
    assert again.params["show_alert"] is True
    assert "cannot be let go from here" in again.params["text"]


async def test_a_claimed_part_cannot_be_let_go_and_paying_again_says_it_is_claimed(
    bot: BotRig,
) -> None:
    await payee_with(bot)
    posted = await bot.post("/split 90 3 Dinner currency=EUR")
    details, _letter = await _claimed(bot, BOB, posted.token)

    answer = await bot.press(BOB, details, details.button("Let my part go")["callback_data"])
    assert answer.params["show_alert"] is True
    assert await _sub_state(bot, posted.token, BOB) == SubOrderState.CLAIMED

    await bot.start_paying(BOB, posted.token)
    await bot.enter(BOB, "204913")
    await bot.choose(BOB, SEPA_LABEL)
    assert "You said you paid your part of <b>Dinner</b> by transfer" in bot.api.last(BOB.id).text


# ---- /claims and /returns ----


async def test_claims_lists_what_waits_with_the_same_buttons(bot: BotRig) -> None:
    await payee_with(bot)
    posted = await bot.post("/split 90 3 Dinner currency=EUR")
    assert (await bot.send(ANN, "/claims"))[-1].text == (
        "No transfers are waiting for your confirmation."
    )
    await _claimed(bot, BOB, posted.token)
    await _claimed(bot, CID, posted.token)

    calls = [c for c in await bot.send(ANN, "/claims") if c.method == "sendMessage"]

    assert calls[0].text == "🏦 2 transfers are waiting for your confirmation:"
    assert [c.text.split("</b>")[0] for c in calls[1:]] == [
        "🏦 <b>Bob says they paid 30.00 EUR",
        "🏦 <b>Cid says they paid 30.00 EUR",
    ]
    await bot.press(ANN, calls[2], calls[2].button("Received")["callback_data"])
    assert bot.api.edits(ANN.id)[-1].text.endswith("✅ You confirmed it: the part counts.")
    assert await _sub_state(bot, posted.token, CID) == SubOrderState.PAID
    assert "in a private chat" in (await bot.send(ANN, "/claims", GROUP))[-1].text


async def test_returns_lists_money_to_give_back_by_hand_and_returned_marks_it(
    bot: BotRig,
) -> None:
    payee = await payee_with(bot)
    posted = await bot.post("/split 90 3 Dinner currency=EUR")
    details, letter = await _claimed(bot, BOB, posted.token)
    await bot.press(ANN, letter, letter.button("Not received")["callback_data"])
    assert (await bot.send(ANN, "/returns"))[-1].text == "You have no money to return by hand."
    # someone else holds the freed part now, so money that comes after all cannot count
    await bot.rig.engine.reserve(posted.token, "tg:999", source="tg:999")

    late = await bot.rig.engine.confirm_transfer(payee, reference_of(details))  # it came after all
    await bot.flush()

    assert late.status == PaymentStatus.REFUND_OWED
    owed_letter = bot.api.sent(ANN.id)[-1]
    assert "The money is in your own account, so only you can return it" in owed_letter.text
    assert [b["text"] for b in owed_letter.buttons] == ["↩️ Returned"]
    payer_letter = bot.api.last(BOB.id).text
    assert "so only Ann can return it, not Chipin" in payer_letter
    calls = [c for c in await bot.send(ANN, "/returns") if c.method == "sendMessage"]
    assert calls[0].text.startswith("↩️ <b>1 payment to return by hand.</b>")
    line = calls[1]
    assert "<b>30.00 EUR</b> for <b>Dinner</b>, by Bank transfer (SEPA)" in line.text
    assert f"Reference: <code>{late.payment_ref[:4]} " in line.text
    assert "the part had been let go before the money came" in line.text

    answer = await bot.press(ANN, line, line.button("Returned")["callback_data"])

    assert answer.params["text"] == "Marked as refunded."
    assert (await bot.send(ANN, "/returns"))[-1].text == "You have no money to return by hand."
    assert (await bot.rig.engine.payment_of("sepa", late.payment_ref)) is not None
