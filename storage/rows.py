"""Mapping between table rows and the frozen dataclasses of core.domain.model, sealing personal
data.

Personal values never reach the database in the clear (storage.sealing says which column
holds what): a value that is looked up is stored as its keyed blind index beside a sealed
copy (`*_sealed`); a value that is only shown is stored sealed. Reading opens the sealed
copy and checks it against the index, so a wrong index key or a value moved from another
row fails loudly instead of mixing people up.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from core.domain.errors import InvariantViolation, invariant
from core.domain.model import (
    Mode,
    Order,
    OrderId,
    OrderState,
    Payee,
    PayeeId,
    Payment,
    PaymentId,
    PaymentStatus,
    Settled,
    SplitKind,
    SubOrder,
    SubOrderId,
    SubOrderState,
)
from core.domain.money import currency
from core.ports.store import Sealer
from storage.sqlite_loop import LoopConnection

# A transaction's connection: PostgreSQL's through asyncpg, SQLite's on the loop.
Conn = AsyncConnection | LoopConnection


class TxBase:
    """What the SQL repositories of one transaction share: its connection and sealer."""

    def __init__(self, conn: Conn, sealer: Sealer) -> None:
        self._conn = conn
        self._sealer = sealer

    @property
    def _dialect(self) -> str:
        return self._conn.dialect.name


def aware(value: Any) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise TypeError(f"expected an aware datetime from the database, got {value!r}")
    return value


_UNSEALED = "{what} holds personal data in the clear: run storage.sealing.seal_plain_rows"


def indexed(sealer: Sealer, value: str | None) -> str | None:
    return sealer.index(value) if value is not None else None


def sealed(sealer: Sealer, value: str | None) -> str | None:
    return sealer.seal(value) if value is not None else None


def opened(sealer: Sealer, token: str | None) -> str | None:
    """A nullable sealed-only column's value, opened."""
    return sealer.open(token) if token is not None else None


def open_indexed(sealer: Sealer, what: str, index: str | None, token: str | None) -> str | None:
    """The clear value of a blind-index column and its sealed copy, checked against the index.

    `what` names the row and column (ids only: it goes into the error message).
    """
    if token is None:
        invariant(index is None, _UNSEALED.format(what=what))
        return None
    value = sealer.open(token)
    matches = index is not None and hmac.compare_digest(sealer.index(value), index)
    invariant(matches, f"{what}: index and sealed value disagree (another index key, or tampering)")
    return value


def open_sealed(sealer: Sealer, what: str, token: str | None, clear: str | None) -> str | None:
    """The opened value of a sealed-only column; `clear` is its pre-0005 column, always NULL."""
    invariant(clear is None, _UNSEALED.format(what=what))
    return sealer.open(token) if token is not None else None


def payee_from(row: RowMapping, sealer: Sealer) -> Payee:
    name = open_indexed(sealer, f"payee {row['id']} name", row["name"], row["name_sealed"])
    if name is None:  # unreachable: name is NOT NULL, and a clear row raised above
        raise InvariantViolation(f"payee {row['id']} has no name")
    return Payee(PayeeId(row["id"]), name, aware(row["created_at"]))


def payee_values(payee: Payee, sealer: Sealer) -> dict[str, Any]:
    return {
        "id": payee.id,
        "name": sealer.index(payee.name),
        "name_sealed": sealer.seal(payee.name),
        "created_at": payee.created_at,
    }


def order_from(row: RowMapping, sealer: Sealer | None) -> Order:
    """`sealer` None: the payee's display name stays sealed (None here), for a reader without
    the keys that needs none (storage.books)."""
    name = row["payee_display_name_sealed"]
    return Order(
        id=OrderId(row["id"]),
        token=row["token"],
        payee_id=PayeeId(row["payee_id"]),
        title=row["title"],
        currency=currency(row["currency"]),
        total_minor=row["total_minor"],
        n=row["n"],
        kind=SplitKind(row["kind"]),
        mode=Mode(row["mode"]),
        state=OrderState(row["state"]),
        password_hash=row["password_hash"],
        hold_s=row["hold_s"],
        created_at=aware(row["created_at"]),
        expires_at=aware(row["expires_at"]),
        closed_at=row["closed_at"],
        paid_count=row["paid_count"],
        paid_minor=row["paid_minor"],
        refunded_minor=row["refunded_minor"],
        idempotency_key=row["idempotency_key"],
        holds_per_source=row["holds_per_source"],
        card_account=row["card_account"],
        payee_display_name=opened(sealer, name) if sealer is not None else None,
        request_hash=row["request_hash"],
    )


def order_values(order: Order, sealer: Sealer) -> dict[str, Any]:
    return {
        "id": order.id,
        "token": order.token,
        "payee_id": order.payee_id,
        "title": order.title,
        "currency": order.currency.code,
        "total_minor": order.total_minor,
        "n": order.n,
        "kind": order.kind.value,
        "mode": order.mode.value,
        "state": order.state.value,
        "password_hash": order.password_hash,
        "hold_s": order.hold_s,
        "created_at": order.created_at,
        "expires_at": order.expires_at,
        "closed_at": order.closed_at,
        "paid_count": order.paid_count,
        "paid_minor": order.paid_minor,
        "refunded_minor": order.refunded_minor,
        "idempotency_key": order.idempotency_key,
        "holds_per_source": order.holds_per_source,
        "card_account": order.card_account,
        "payee_display_name_sealed": sealed(sealer, order.payee_display_name),
        "request_hash": order.request_hash,
    }


def sub_order_from(row: RowMapping, sealer: Sealer) -> SubOrder:
    what = f"sub-order {row['id']}"
    return SubOrder(
        id=SubOrderId(row["id"]),
        order_id=OrderId(row["order_id"]),
        idx=row["idx"],
        amount_minor=row["amount_minor"],
        state=SubOrderState(row["state"]),
        payer_ref=open_indexed(sealer, f"{what} payer", row["payer_ref"], row["payer_sealed"]),
        hold_until=row["hold_until"],
        hold_seq=row["hold_seq"],
        gateway=row["gateway"],
        checkout_ref=row["checkout_ref"],
        checkout_url=row["checkout_url"],
        paid_at=row["paid_at"],
        payer_name=open_sealed(
            sealer, f"{what} payer name", row["payer_name_sealed"], row["payer_name"]
        ),
        assignee=open_indexed(sealer, f"{what} assignee", row["assignee"], row["assignee_sealed"]),
        hold_secret_hash=row["hold_secret_hash"],
    )


def sub_order_values(sub: SubOrder, sealer: Sealer) -> dict[str, Any]:
    return {
        "id": sub.id,
        "order_id": sub.order_id,
        "idx": sub.idx,
        "amount_minor": sub.amount_minor,
        "state": sub.state.value,
        "payer_ref": indexed(sealer, sub.payer_ref),
        "payer_sealed": sealed(sealer, sub.payer_ref),
        "hold_until": sub.hold_until,
        "hold_seq": sub.hold_seq,
        "gateway": sub.gateway,
        "checkout_ref": sub.checkout_ref,
        "checkout_url": sub.checkout_url,
        "paid_at": sub.paid_at,
        "payer_name_sealed": sealed(sealer, sub.payer_name),
        "assignee": indexed(sealer, sub.assignee),
        "assignee_sealed": sealed(sealer, sub.assignee),
        "hold_secret_hash": sub.hold_secret_hash,
    }


def payment_from(row: RowMapping) -> Payment:
    order_id = row["order_id"]
    sub_order_id = row["sub_order_id"]
    return Payment(
        id=PaymentId(row["id"]),
        gateway=row["gateway"],
        payment_ref=row["payment_ref"],
        checkout_ref=row["checkout_ref"],
        order_id=OrderId(order_id) if order_id is not None else None,
        sub_order_id=SubOrderId(sub_order_id) if sub_order_id is not None else None,
        amount_minor=row["amount_minor"],
        currency=row["currency"],
        status=PaymentStatus(row["status"]),
        counted=bool(row["counted"]),
        reason=row["reason"],
        created_at=aware(row["created_at"]),
        updated_at=aware(row["updated_at"]),
        attempts=row["attempts"],
        last_error=row["last_error"],
        settled_by=Settled(row["settled_by"]),
        payout_account=row["payout_account"],
        fee_minor=int(row["fee_minor"] or 0),
    )


def payment_values(payment: Payment) -> dict[str, Any]:
    return {
        "id": payment.id,
        "gateway": payment.gateway,
        "payment_ref": payment.payment_ref,
        "checkout_ref": payment.checkout_ref,
        "order_id": payment.order_id,
        "sub_order_id": payment.sub_order_id,
        "amount_minor": payment.amount_minor,
        "currency": payment.currency,
        "status": payment.status.value,
        "counted": payment.counted,
        "reason": payment.reason,
        "created_at": payment.created_at,
        "updated_at": payment.updated_at,
        "attempts": payment.attempts,
        "last_error": payment.last_error,
        "settled_by": payment.settled_by.value,
        "payout_account": payment.payout_account,
        "fee_minor": payment.fee_minor,
    }
