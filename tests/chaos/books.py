"""Reads Chipin's database and the sandbox gateway's, and checks one against the other.

The checks, for every order and every payment the gateway took:
- paid sub-orders never exceed N, and equal the order's paid_count (and paid_minor);
- every payment the gateway took is in Chipin's books exactly once, and ends counted
  (kept) or given back (refunded or voided) exactly once, at the gateway as in Chipin;
- no capture, void or refund was made twice at the gateway;
- mode `all`: captured for all N parts or for none;
- the ledger's money in minus money back per order equals paid_minor - refunded_minor.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from core.domain.ledger.entries import MONEY_BACK, MONEY_IN, EntryKind

Row = Mapping[str, Any]
PENDING = ("capture_pending", "refund_pending", "void_pending")
KEPT = ("captured", "authorised")
GIVEN_BACK = ("refunded", "voided")
COUNTED_SUBS = ("paid", "refunded")
# Chipin's final payment status -> the sandbox's payment_state for the same money.
SAME_AT_GATEWAY = {
    "captured": "captured",
    "authorised": "authorised",
    "refunded": "refunded",
    "voided": "voided",
}


@dataclass(frozen=True, slots=True)
class Books:
    orders: list[Row]
    subs: list[Row]
    payments: list[Row]
    ledger: list[Row]
    checkouts: list[Row]
    actions: list[Row]
    outbox_pending: int


async def rows(url: str, queries: Iterable[str]) -> list[list[Row]]:
    """Each query's rows, read on a connection of its own (closed afterwards)."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return [
                [dict(r._mapping) for r in (await conn.execute(text(q))).all()] for q in queries
            ]
    finally:
        await engine.dispose()


async def read_books(chipin_url: str, sandbox_url: str) -> Books:
    orders, subs, payments, ledger = await rows(
        chipin_url,
        (
            "SELECT id, n, mode, state, paid_count, paid_minor, refunded_minor, expires_at"
            " FROM orders",
            "SELECT id, order_id, state, amount_minor, checkout_ref FROM sub_orders",
            "SELECT id, payment_ref, checkout_ref, order_id, sub_order_id, amount_minor,"
            " status, counted FROM payments WHERE gateway = 'sandbox'",
            "SELECT idx, kind, order_id, payment_id, amount_minor FROM ledger_entries",
        ),
    )
    checkouts, actions, pending = await rows(
        sandbox_url,
        (
            "SELECT ref, order_id, sub_order_id, status, payment_ref, payment_state,"
            " amount_minor, refunded_minor FROM sandbox_checkouts",
            "SELECT kind, payment_ref, amount_minor FROM sandbox_actions",
            "SELECT count(*) AS n FROM sandbox_outbox WHERE delivered_at IS NULL",
        ),
    )
    return Books(orders, subs, payments, ledger, checkouts, actions, int(pending[0]["n"]))


async def unsettled(chipin_url: str, sandbox_url: str) -> dict[str, int]:
    """Work still under way: webhooks not delivered, payments mid capture/refund/void."""
    pending, still_open = await rows(
        chipin_url,
        (
            "SELECT count(*) AS n FROM payments WHERE status IN "
            "('capture_pending', 'refund_pending', 'void_pending')",
            "SELECT expires_at FROM orders WHERE state = 'open'",
        ),
    )
    (outbox,) = await rows(
        sandbox_url, ("SELECT count(*) AS n FROM sandbox_outbox WHERE delivered_at IS NULL",)
    )
    now = datetime.now(UTC)
    overdue = sum(1 for o in still_open if _utc(o["expires_at"]) < now)
    return {
        "webhooks": int(outbox[0]["n"]),
        "payments": int(pending[0]["n"]),
        "orders past their expiry": overdue,
    }


def _utc(value: object) -> datetime:
    """A stored time as an aware UTC datetime (SQLite keeps naive UTC text)."""
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def _group(rows: Iterable[Row], key: str) -> dict[Any, list[Row]]:
    out: dict[Any, list[Row]] = {}
    for r in rows:
        out.setdefault(r[key], []).append(r)
    return out


def problems(b: Books) -> list[str]:
    """Everything that breaks an invariant; empty when the books agree."""
    found = []
    if b.outbox_pending:
        found.append(f"{b.outbox_pending} webhooks never delivered")
    found += [
        f"payment {p['id']} still {p['status']}" for p in b.payments if p["status"] in PENDING
    ]
    found += _order_problems(b)
    found += _payment_problems(b)
    found += _action_problems(b)
    return found


def _order_problems(b: Books) -> list[str]:
    subs, pays = _group(b.subs, "order_id"), _group(b.payments, "order_id")
    net = _ledger_net(b.ledger)
    captures = {a["payment_ref"] for a in b.actions if a["kind"] == "capture"}
    completed = {e["order_id"] for e in b.ledger if e["kind"] == EntryKind.ORDER_COMPLETED}
    found: list[str] = []
    for o in b.orders:
        oid, n = o["id"], o["n"]
        counted_subs = [s for s in subs.get(oid, []) if s["state"] in COUNTED_SUBS]
        counted = [p for p in pays.get(oid, []) if p["counted"]]
        back = [p for p in counted if p["status"] in GIVEN_BACK]
        facts = {
            "paid sub-orders": len(counted_subs),
            "counted payments": len(counted),
            "paid_minor from sub-orders": sum(s["amount_minor"] for s in counted_subs),
            "paid_minor from payments": sum(p["amount_minor"] for p in counted),
        }
        want = {
            "paid sub-orders": o["paid_count"],
            "counted payments": o["paid_count"],
            "paid_minor from sub-orders": o["paid_minor"],
            "paid_minor from payments": o["paid_minor"],
        }
        found += [f"order {oid}: {k} {facts[k]} != {want[k]}" for k in facts if facts[k] != want[k]]
        if o["paid_count"] > n:
            found.append(f"order {oid}: {o['paid_count']} paid of {n}")
        if len({p["sub_order_id"] for p in counted}) != len(counted):
            found.append(f"order {oid}: one sub-order counted two payments")
        if sum(p["amount_minor"] for p in back) != o["refunded_minor"]:
            found.append(f"order {oid}: refunded_minor {o['refunded_minor']} != money given back")
        if o["state"] == "completed" and o["paid_count"] != n:
            found.append(f"order {oid}: completed with {o['paid_count']} of {n}")
        if o["state"] == "cancelled" and len(back) != len(counted):
            kept = [(p["id"], p["status"]) for p in counted if p not in back]
            found.append(f"order {oid}: cancelled but kept {kept}")
        if o["mode"] == "all":
            found += _all_mode_problems(o, counted, captures, completed)
        if net.get(oid, 0) != o["paid_minor"] - o["refunded_minor"]:
            found.append(
                f"order {oid}: ledger says {net.get(oid, 0)} kept, the order "
                f"{o['paid_minor'] - o['refunded_minor']}"
            )
    return found


def _all_mode_problems(
    o: Row, counted: list[Row], captures: set[str], completed: set[str]
) -> list[str]:
    """Mode all: nothing captured before all N were in; a completed order captures all N.

    A payee may still cancel a completed order (every payment then goes back: captured
    ones refunded, those not captured yet voided), so a cancelled order may show captures,
    but only if the ledger says it completed first.
    """
    made = sum(1 for p in counted if p["payment_ref"] in captures)
    if made and o["id"] not in completed:
        return [f"order {o['id']} (all): captured {made} of {o['n']} and never completed"]
    if o["state"] == "completed" and made != o["n"]:
        return [f"order {o['id']} (all): completed, captured {made} of {o['n']}"]
    if o["state"] == "expired" and any(p["status"] in KEPT for p in counted):
        return [f"order {o['id']} (all): expired short and kept money"]
    return []


def _payment_problems(b: Books) -> list[str]:
    ours = _group(b.payments, "payment_ref")
    found: list[str] = []
    taken = [c for c in b.checkouts if c["payment_ref"] is not None]
    for c in taken:
        mine = ours.get(c["payment_ref"], [])
        if len(mine) != 1:
            found.append(f"gateway payment {c['payment_ref']}: {len(mine)} records in Chipin")
            continue
        p = mine[0]
        if p["amount_minor"] != c["amount_minor"]:
            found.append(f"payment {p['id']}: amount differs from the gateway's")
        if not p["counted"] and p["status"] not in GIVEN_BACK:
            found.append(f"payment {p['id']}: late and not given back ({p['status']})")
        if SAME_AT_GATEWAY.get(p["status"]) != c["payment_state"]:
            found.append(
                f"payment {p['id']}: {p['status']} in Chipin, {c['payment_state']} at the gateway"
            )
        refunded = c["refunded_minor"]
        if refunded not in (0, c["amount_minor"]) or (refunded > 0) != (p["status"] == "refunded"):
            found.append(f"payment {p['id']}: refunded {refunded} of {c['amount_minor']}")
    known = {c["payment_ref"] for c in taken}
    found += [
        f"payment {p['id']}: the gateway never took it"
        for p in b.payments
        if p["payment_ref"] not in known
    ]
    return found


def _action_problems(b: Books) -> list[str]:
    found: list[str] = []
    for ref, acts in _group(b.actions, "payment_ref").items():
        kinds = Counter(a["kind"] for a in acts)
        twice = [k for k, count in kinds.items() if count > 1]
        if twice:
            found.append(f"gateway payment {ref}: {', '.join(twice)} made twice")
        if kinds["capture"] and kinds["void"]:
            found.append(f"gateway payment {ref}: both captured and voided")
    return found


def _ledger_net(entries: list[Row]) -> dict[str, int]:
    net: dict[str, int] = {}
    for e in entries:
        kind = EntryKind(e["kind"])
        sign = 1 if kind in MONEY_IN else -1 if kind in MONEY_BACK else 0
        if e["order_id"] is not None and sign:
            net[e["order_id"]] = net.get(e["order_id"], 0) + sign * int(e["amount_minor"])
    return net


def figures(b: Books) -> dict[str, int]:
    """The run's size as the databases tell it."""
    states = Counter(str(o["state"]) for o in b.orders)
    statuses = Counter(str(p["status"]) for p in b.payments)
    acts = Counter(str(a["kind"]) for a in b.actions)
    return {
        "orders": len(b.orders),
        **{f"orders {k}": v for k, v in sorted(states.items())},
        "gateway payments": sum(1 for c in b.checkouts if c["payment_ref"] is not None),
        "declined checkouts": sum(1 for c in b.checkouts if c["status"] == "failed"),
        "counted": sum(1 for p in b.payments if p["counted"]),
        "late (refunded/voided)": sum(1 for p in b.payments if not p["counted"]),
        **{f"payments {k}": v for k, v in sorted(statuses.items())},
        **{f"gateway {k}s": v for k, v in sorted(acts.items())},
        "ledger entries": len(b.ledger),
    }
