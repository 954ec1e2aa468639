"""Builds OrderView values for the bot's presentation tests from core's dataclasses; checks HTML."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

from core.domain.model import (
    Mode,
    Order,
    OrderId,
    OrderState,
    PayeeId,
    SplitKind,
    SubOrder,
    SubOrderId,
    SubOrderState,
)
from core.domain.money import currency
from core.usecases.deps import OrderView

NOW = datetime(2025, 3, 5, 22, 39, tzinfo=UTC)
ORDER_ID = OrderId("ord_0123456789abcdef")
PAY_URL = "https://t.me/ChipinBot?start=AbCdEfGhIjKlMnOpQrStUvWx"
HOSTILE = "<b>Eve</b> & <script>"
HOSTILE_ESCAPED = "&lt;b&gt;Eve&lt;/b&gt; &amp; &lt;script&gt;"


def make_view(
    *,
    n: int = 6,
    total_minor: int = 24_000,
    paid: int = 0,
    held: int = 0,
    state: OrderState = OrderState.OPEN,
    mode: Mode = Mode.KEEP,
    title: str = "Dinner",
    code: str = "USD",
    refunded_minor: int = 0,
    expires_in: timedelta = timedelta(hours=1, minutes=20),
) -> OrderView:
    """An order of `n` equal parts: the first `paid` paid (oldest first), the next `held` held."""
    base, extra = divmod(total_minor, n)
    amounts = [base + (1 if i < extra else 0) for i in range(n)]
    subs = tuple(_sub(i, amounts[i], paid, held) for i in range(n))
    order = Order(
        id=ORDER_ID,
        token="AbCdEfGhIjKlMnOpQrStUvWx",
        payee_id=PayeeId("pay_1"),
        title=title,
        currency=currency(code),
        total_minor=total_minor,
        n=n,
        kind=SplitKind.EQUAL,
        mode=mode,
        state=state,
        password_hash=None,
        hold_s=900,
        created_at=NOW - timedelta(hours=2),
        expires_at=NOW + expires_in,
        paid_count=paid,
        paid_minor=sum(amounts[:paid]),
        refunded_minor=refunded_minor,
    )
    return OrderView(order, subs)


def _sub(i: int, amount_minor: int, paid: int, held: int) -> SubOrder:
    sub = SubOrder(
        id=SubOrderId(f"sub_{i:04d}"),
        order_id=ORDER_ID,
        idx=i,
        amount_minor=amount_minor,
        state=SubOrderState.AVAILABLE,
    )
    if i < paid:
        when = NOW - timedelta(minutes=paid - i)
        return replace(sub, state=SubOrderState.PAID, payer_ref=f"tg:{i}", paid_at=when)
    if i < paid + held:
        hold = NOW + timedelta(minutes=10)
        return replace(sub, state=SubOrderState.RESERVED, payer_ref=f"tg:{i}", hold_until=hold)
    return sub


class _Tags(HTMLParser):
    """Collects tags, to check the HTML Telegram will parse is balanced and allowed."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.bad: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("b", "code"):
            self.bad.append(tag)
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.bad.append("/" + tag)


def assert_telegram_html(text: str) -> None:
    parser = _Tags()
    parser.feed(text)
    parser.close()
    assert parser.bad == []
    assert parser.stack == []
    assert len(text) < 4096
