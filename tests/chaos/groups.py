"""Groups with orders posted by `chipin run` on the Bot API emulator, paid through their
links, and the check that every progress message caught up with its order's final state.
Shared by the Telegram-faults and the SIGKILL scenarios."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from tests.chaos.api import Checkout, ChipinApi
from tests.chaos.books import Row, rows
from tests.chaos.runs import Setup
from tests.telegram_emulator import Emulator, SentMessage

TIMEOUT_S = 6.5  # past python-telegram-bot's 5 s read timeout
POST_TRIES = 6
CATCH_UP_S = 90.0  # after the last fault: every progress message shows the final state


@dataclass(frozen=True, slots=True)
class Group:
    chat: int
    payee: int


async def make_groups(emu: Emulator, count: int) -> list[Group]:
    found = []
    for i in range(count):
        payee = await emu.create_user(f"Payee{i}", username=f"payee_{i}")
        members = [await emu.create_user(f"Friend{i}{j}") for j in range(2)]
        found.append(Group(await emu.create_group(f"Group {i}", [payee, *members]), payee))
    return found


async def posts(setup: Setup) -> list[Row]:
    """The bot's own record of what it posted: order, chat, progress message."""
    (found,) = await rows(
        setup.chipin_url,
        (
            "SELECT p.order_id, p.chat_id, p.progress_message_id, o.token, o.n, o.state,"
            " o.paid_count FROM order_posts p JOIN orders o ON o.id = p.order_id",
        ),
    )
    return found


async def post_order(
    emu: Emulator,
    setup: Setup,
    group: Group,
    text: str,
    fault: Callable[[Emulator], Awaitable[None]] | None = None,
) -> tuple[Row, int]:
    """The payee types /split until the bot has posted it: a post that failed is cancelled
    and the payee told to try again, and tries again. The post, and how many tries it took."""
    if fault is not None:
        await fault(emu)
    for tries in range(1, POST_TRIES + 1):
        said = await emu.send_message(group.payee, group.chat, text)
        end = time.monotonic() + TIMEOUT_S + 4
        while time.monotonic() < end:
            mine = [p for p in await posts(setup) if p["chat_id"] == group.chat]
            if mine:
                return mine[0], tries
            if await _told_to_try_again(emu, group.chat, int(said["message_id"])):
                break
            await asyncio.sleep(0.3)
    raise AssertionError(f"the order was not posted in {POST_TRIES} tries")


async def _told_to_try_again(emu: Emulator, chat: int, after_id: int) -> bool:
    return any(
        m.message_id > after_id and "try again" in (m.body or "") for m in await emu.messages(chat)
    )


async def pay_group_order(
    api: ChipinApi, post: Row, parts: int, rng: random.Random, spread_s: float
) -> int:
    """`parts` payers pay through the order's link (REST API and checkout page), spread over
    `spread_s`; each tries until paid, as a payer would when the service restarts under them."""
    await asyncio.sleep(rng.uniform(0, spread_s))
    for i in range(parts):
        await asyncio.sleep(rng.uniform(0.5, 3.0))
        payer = f"{post['order_id']}-payer{i}"
        for _ in range(20):
            a = await api.reserve(str(post["token"]), payer)
            if a.status == 409 and a.error == "already_paid":
                break
            assert a.status in (200, 201), a.body
            done = await api.checkout(str(a.body["checkout_url"]), "pay")
            if done in (Checkout.DONE, Checkout.ALREADY_PAID):
                break
            await asyncio.sleep(0.5)
        else:
            raise AssertionError(f"{payer} could not pay")
    return parts


def shows(message: SentMessage | None, post: Row) -> bool:
    """The progress message shows the order's final state."""
    body = message.body if message is not None else None
    if body is None or f"Paid {post['paid_count']}/{post['n']}" not in body:
        return False
    return ("Complete" in body) == (str(post["state"]) == "completed")


async def caught_up(emu: Emulator, setup: Setup) -> list[str]:
    """The posts whose progress message does not show the final state yet."""
    behind = []
    for post in await posts(setup):
        sent = {m.message_id: m for m in await emu.messages(int(post["chat_id"]))}
        if not shows(sent.get(int(post["progress_message_id"])), post):
            behind.append(f"{post['order_id']} ({post['state']} {post['paid_count']}/{post['n']})")
    return behind


async def wait_caught_up(emu: Emulator, setup: Setup) -> list[str]:
    end = time.monotonic() + CATCH_UP_S
    while True:
        behind = await caught_up(emu, setup)
        if not behind or time.monotonic() > end:
            return behind
        await asyncio.sleep(0.5)
