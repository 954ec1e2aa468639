"""A seeded stream of orders and payers over HTTP: fills, declines, late payers, cancels."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tests.chaos.api import Checkout, ChipinApi, token_of

PAYER_DEADLINE_S = 60.0  # a payer gives up after this long (the order may then stay open)
EXTRA_DEADLINE_S = 4.0  # a payer beyond N tries this long, then leaves
PAUSE_S = 0.3


class Kind(StrEnum):
    FILL = "fill"  # N payers (some decline first) and a few more beyond N: completes
    CANCEL = "cancel"  # some pay, then the payee cancels while the rest are paying
    OPEN = "open"  # one payer reserves and walks away: the order stays open
    EXPIRE = "expire"  # a one-minute order, part paid, left to expire


@dataclass(frozen=True, slots=True)
class Payer:
    name: str
    declines_first: bool = False


@dataclass(frozen=True, slots=True)
class OrderPlan:
    index: int
    kind: Kind
    mode: str
    n: int
    total_minor: int
    payers: tuple[Payer, ...]  # the first n are the order's own; the rest come too late
    paid_before_cancel: int = 0  # CANCEL: how many pay before the payee cancels

    def body(self) -> dict[str, Any]:
        total = f"{self.total_minor // 100}.{self.total_minor % 100:02d}"
        body: dict[str, Any] = {
            "title": f"chaos {self.index} {self.kind}",
            "total": total,
            "payers": self.n,
            "mode": self.mode,
        }
        if self.kind == Kind.EXPIRE:
            body["expires_in"] = 60
        return body


def plan_order(rng: random.Random, index: int, *, expiring: bool) -> OrderPlan:
    """The next order of the stream; the same seed gives the same sequence of plans."""
    kinds = [Kind.FILL] * 6 + [Kind.CANCEL] * 3 + [Kind.OPEN] * 1
    if expiring:
        kinds += [Kind.EXPIRE] * 2
    kind = rng.choice(kinds)
    n = rng.randint(2, 4) if kind != Kind.EXPIRE else 3
    extra = rng.randint(0, 2) if kind == Kind.FILL else 0
    payers = tuple(
        Payer(f"p{index}-{i}", declines_first=i < n and rng.random() < 0.2)
        for i in range(n + extra)
    )
    return OrderPlan(
        index=index,
        kind=kind,
        mode=rng.choice(("keep", "all")),
        n=n,
        total_minor=rng.randint(1000, 50_000),
        payers=payers,
        paid_before_cancel=rng.randint(1, n - 1) if kind == Kind.CANCEL else 0,
    )


@dataclass(slots=True)
class Tally:
    """What the stream did, as the clients saw it."""

    orders: Counter[str] = field(default_factory=Counter)  # by kind
    payers: Counter[str] = field(default_factory=Counter)  # by outcome
    presses: Counter[str] = field(default_factory=Counter)  # checkout results
    order_ids: list[str] = field(default_factory=list)
    active: set[str] = field(default_factory=set)  # payers still at it
    last: dict[str, str] = field(default_factory=dict)  # each payer's last step, for failures

    def stuck(self) -> str:
        return "; ".join(f"{name}: {self.last.get(name, '-')}" for name in sorted(self.active))


class Stream:
    """Drives orders through one payee's API key, `concurrency` at a time."""

    def __init__(self, api: ChipinApi, key: str, seed: int, tally: Tally) -> None:
        self.api, self.key, self.seed, self.tally = api, key, seed, tally
        self._rng = random.Random(seed)  # the plans: the same sequence for the same seed
        self._jitter = random.Random(seed + 1)  # timing inside orders, drawn concurrently

    async def run(
        self,
        *,
        concurrency: int,
        enough: Callable[[int], bool],
        expiring_until: float = 0.0,
    ) -> int:
        """Start orders until `enough(started)`; EXPIRE orders only before `expiring_until`
        (monotonic time). Returns how many orders were started."""
        started = 0
        running: set[asyncio.Task[None]] = set()
        while not enough(started):
            if len(running) >= concurrency:
                done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()  # an order that failed fails the run
                continue
            plan = plan_order(self._rng, started, expiring=time.monotonic() < expiring_until)
            running.add(asyncio.create_task(self.order(plan)))
            started += 1
        if running:
            await asyncio.gather(*running)
        return started

    async def order(self, plan: OrderPlan) -> None:
        order = await self.api.create_order(
            self.key, f"chaos-{self.seed}-{plan.index}", **plan.body()
        )
        self.tally.orders[plan.kind.value] += 1
        self.tally.order_ids.append(str(order["id"]))
        token = token_of(order)
        if plan.kind == Kind.CANCEL:
            await self._cancel_race(plan, str(order["id"]), token)
        elif plan.kind in (Kind.OPEN, Kind.EXPIRE):
            walker, *rest = plan.payers
            await self._reserve_only(token, walker.name)
            await asyncio.gather(*(self.pay_part(token, p) for p in rest[: plan.n - 2]))
        else:
            own, extra = plan.payers[: plan.n], plan.payers[plan.n :]
            await asyncio.gather(
                *(self.pay_part(token, p) for p in own),
                *(self.pay_part(token, p, deadline_s=EXTRA_DEADLINE_S) for p in extra),
            )

    async def pay_part(
        self, token: str, payer: Payer, deadline_s: float = PAYER_DEADLINE_S
    ) -> None:
        """Reserve and pay (declining once first, if planned) until paid or turned away."""
        self.tally.active.add(payer.name)
        outcome = await self._pay_part(token, payer, deadline_s)
        self.tally.active.discard(payer.name)
        self.tally.payers[outcome] += 1

    async def _pay_part(self, token: str, payer: Payer, deadline_s: float) -> str:
        declined = not payer.declines_first
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            a = await self.api.reserve(token, payer.name)
            self.tally.last[payer.name] = f"reserve {a.status} {a.error}"
            if a.status == 409:
                if a.error == "already_paid":
                    return "paid"
                if a.error != "order_full" or "held" not in a.body:
                    return f"turned away ({a.error})"
            elif a.status in (200, 201) and a.body.get("checkout_url"):
                action = "pay" if declined else "decline"
                result = await self.api.checkout(str(a.body["checkout_url"]), action)
                self.tally.presses[f"{action}: {result}"] += 1
                self.tally.last[payer.name] = f"{action} {result} {a.body['checkout_url']}"
                if action == "decline":
                    declined = True
                elif result in (Checkout.DONE, Checkout.ALREADY_PAID):
                    return "paid"
            else:
                raise AssertionError(f"reserve answered {a.status}: {a.body}")
            await asyncio.sleep(PAUSE_S)  # someone else is paying, or our decline is settling
        return "gave up"

    async def _reserve_only(self, token: str, name: str) -> str | None:
        a = await self.api.reserve(token, name)
        if a.status in (200, 201):
            self.tally.payers["walked away"] += 1
            url = a.body.get("checkout_url")
            return str(url) if url else None
        self.tally.payers[f"turned away ({a.error})"] += 1
        return None

    async def _cancel_race(self, plan: OrderPlan, order_id: str, token: str) -> None:
        """Some pay; the rest hold checkouts and press Pay while the payee cancels."""
        first, racers = (
            plan.payers[: plan.paid_before_cancel],
            plan.payers[plan.paid_before_cancel :],
        )
        await asyncio.gather(*(self.pay_part(token, p) for p in first))
        urls = [await self._reserve_only(token, p.name) for p in racers]

        async def press(url: str) -> None:
            await asyncio.sleep(self._jitter.uniform(0, 0.2))
            result = await self.api.checkout(url, "pay")
            self.tally.presses[f"racing pay: {result}"] += 1

        async def cancel() -> None:
            await asyncio.sleep(self._jitter.uniform(0, 0.2))
            a = await self.api.cancel(self.key, order_id)
            assert a.status in (200, 409), (a.status, a.body)  # 409: a retry after it went through
            self.tally.orders["cancelled by payee"] += 1

        await asyncio.gather(cancel(), *(press(u) for u in urls if u is not None))
