"""The sandbox's records: reads and one-statement conditional writes, in the caller's tx."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import RowMapping, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.domain.errors import GatewayFinal
from core.ports.store import CheckoutRequest, CheckoutStatus
from gateways.sandbox.events import EventData
from gateways.sandbox.tables import actions, checkouts, idempotency_keys

MAX_KEY_CHARS = 255


class PaymentState(StrEnum):
    """What became of the money of a paid checkout."""

    AUTHORISED = "authorised"
    CAPTURED = "captured"
    VOIDED = "voided"
    REFUNDED = "refunded"


class PayResult(StrEnum):
    """What a payer's press of Pay or Decline on the hosted page did."""

    PAID = "paid"
    AUTHORISED = "authorised"
    DECLINED = "declined"
    ALREADY_PAID = "already_paid"
    ALREADY_DECLINED = "already_declined"
    CANCELLED = "cancelled"
    NOT_FOUND = "not_found"


@dataclass(frozen=True, slots=True)
class CheckoutView:
    """One checkout as the sandbox knows it."""

    ref: str
    amount_minor: int
    currency: str
    description: str
    capture_manual: bool
    sub_order_id: str
    order_id: str
    status: CheckoutStatus
    payment_ref: str | None
    payment_state: PaymentState | None
    refunded_minor: int

    def event_data(self, amount_minor: int | None = None) -> EventData:
        """The data of an event about this checkout (`amount_minor` for a partial amount)."""
        return EventData(
            checkout_ref=self.ref,
            payment_ref=self.payment_ref,
            amount_minor=self.amount_minor if amount_minor is None else amount_minor,
            currency=self.currency,
            sub_order_id=self.sub_order_id,
            order_id=self.order_id,
        )


def new_ref(prefix: str) -> str:
    """A random, unguessable reference such as 'cs_...' (144 bits)."""
    return f"{prefix}_{secrets.token_urlsafe(18)}"


def fingerprint(operation: str, params: Mapping[str, Any]) -> str:
    """A digest of what a keyed call asked for, to tell a replay from a misuse of its key."""
    doc = json.dumps({"op": operation, **params}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(doc.encode()).hexdigest()


async def recall_key(conn: AsyncConnection, key: str, operation: str, digest: str) -> str | None:
    """The result stored under `key`, or None if new; GatewayFinal if it asked for other things."""
    if not key or len(key) > MAX_KEY_CHARS:
        raise GatewayFinal(f"idempotency key must be 1 to {MAX_KEY_CHARS} characters")
    row = (
        await conn.execute(
            select(
                idempotency_keys.c.operation,
                idempotency_keys.c.fingerprint,
                idempotency_keys.c.result,
            ).where(idempotency_keys.c.key == key)
        )
    ).first()
    if row is None:
        return None
    if row.operation != operation or row.fingerprint != digest:
        raise GatewayFinal(
            f"idempotency key reused with different parameters (first used for {row.operation})"
        )
    return str(row.result)


async def store_key(
    conn: AsyncConnection, key: str, operation: str, digest: str, result: str, now: datetime
) -> None:
    await conn.execute(
        insert(idempotency_keys).values(
            key=key, operation=operation, fingerprint=digest, result=result, created_at=now
        )
    )


async def insert_checkout(
    conn: AsyncConnection, ref: str, request: CheckoutRequest, now: datetime
) -> None:
    await conn.execute(
        insert(checkouts).values(
            ref=ref,
            amount_minor=request.amount.amount_minor,
            currency=request.amount.currency.code,
            description=request.description,
            capture_manual=request.capture_manual,
            sub_order_id=str(request.sub_order_id),
            order_id=str(request.order_id),
            status=CheckoutStatus.OPEN.value,
            refunded_minor=0,
            created_at=now,
            updated_at=now,
        )
    )


async def load_checkout(conn: AsyncConnection, ref: str) -> CheckoutView | None:
    row = (await conn.execute(select(checkouts).where(checkouts.c.ref == ref))).first()
    return None if row is None else _view(row._mapping)


async def load_payment(conn: AsyncConnection, payment_ref: str) -> CheckoutView | None:
    """The checkout a payment belongs to."""
    query = select(checkouts).where(checkouts.c.payment_ref == payment_ref)
    row = (await conn.execute(query)).first()
    return None if row is None else _view(row._mapping)


async def move_checkout(
    conn: AsyncConnection,
    ref: str,
    from_: CheckoutStatus,
    to: CheckoutStatus,
    now: datetime,
    **values: Any,
) -> bool:
    """from_ -> to in one conditional UPDATE; False if the checkout was no longer in from_."""
    result = await conn.execute(
        update(checkouts)
        .where(checkouts.c.ref == ref, checkouts.c.status == from_.value)
        .values(status=to.value, updated_at=now, **values)
    )
    return result.rowcount == 1


async def move_payment(
    conn: AsyncConnection,
    payment_ref: str,
    from_: PaymentState,
    now: datetime,
    **values: Any,
) -> bool:
    """Change a payment that is still in `from_`, in one conditional UPDATE."""
    result = await conn.execute(
        update(checkouts)
        .where(checkouts.c.payment_ref == payment_ref, checkouts.c.payment_state == from_.value)
        .values(updated_at=now, **values)
    )
    return result.rowcount == 1


async def add_refund(
    conn: AsyncConnection, view: CheckoutView, amount_minor: int, now: datetime
) -> bool:
    """Add a refund to a captured payment, if nothing refunded it meanwhile."""
    total = view.refunded_minor + amount_minor
    state = PaymentState.REFUNDED if total == view.amount_minor else PaymentState.CAPTURED
    c = checkouts.c
    result = await conn.execute(
        update(checkouts)
        .where(
            c.ref == view.ref,
            c.payment_state == PaymentState.CAPTURED.value,
            c.refunded_minor == view.refunded_minor,
        )
        .values(refunded_minor=total, payment_state=state.value, updated_at=now)
    )
    return result.rowcount == 1


async def add_action(
    conn: AsyncConnection, kind: str, payment_ref: str, amount_minor: int, key: str, now: datetime
) -> str:
    """Record a capture, void or refund as a new entry; returns its ref."""
    ref = new_ref({"capture": "cp", "void": "vd", "refund": "re"}[kind])
    await conn.execute(
        insert(actions).values(
            ref=ref,
            kind=kind,
            payment_ref=payment_ref,
            amount_minor=amount_minor,
            idempotency_key=key,
            created_at=now,
        )
    )
    return ref


async def require_checkout(conn: AsyncConnection, ref: str) -> CheckoutView:
    view = await load_checkout(conn, ref)
    if view is None:
        raise GatewayFinal(f"no such checkout {ref[:80]!r}")
    return view


async def require_payment(
    conn: AsyncConnection, payment_ref: str, expected: PaymentState, verb: str
) -> CheckoutView:
    """The payment's checkout, if the payment is in the state `verb` needs; else GatewayFinal."""
    view = await load_payment(conn, payment_ref)
    if view is None:
        raise GatewayFinal(f"no such payment {payment_ref[:80]!r}")
    if view.payment_state != expected:
        raise GatewayFinal(
            f"cannot {verb} payment {payment_ref}: it is {view.payment_state}, not {expected}"
        )
    return view


def refusal(view: CheckoutView | None) -> PayResult:
    """Why a checkout cannot be paid or declined now."""
    if view is None:
        return PayResult.NOT_FOUND
    if view.status == CheckoutStatus.FAILED:
        return PayResult.ALREADY_DECLINED
    if view.status == CheckoutStatus.CANCELLED:  # never paid, or its authorisation voided
        return PayResult.CANCELLED
    return PayResult.ALREADY_PAID


def _view(row: RowMapping) -> CheckoutView:
    state = row["payment_state"]
    return CheckoutView(
        ref=row["ref"],
        amount_minor=row["amount_minor"],
        currency=row["currency"],
        description=row["description"],
        capture_manual=bool(row["capture_manual"]),
        sub_order_id=row["sub_order_id"],
        order_id=row["order_id"],
        status=CheckoutStatus(row["status"]),
        payment_ref=row["payment_ref"],
        payment_state=None if state is None else PaymentState(state),
        refunded_minor=row["refunded_minor"],
    )
