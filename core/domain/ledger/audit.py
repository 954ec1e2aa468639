"""Auditing the whole ledger: recompute every leaf and the tree, check every signed head.

Three kinds of evidence, from weakest to strongest:
- each entry's recorded leaf hash (written when it was appended): a changed field that
  left it alone is pinned to that exact entry, and an entry moved to another position is
  recognised, because every leaf commits to its own index;
- the ledger's size counter: entries missing below it, or present beyond it;
- the signed tree heads: whoever rewrites entries and their recorded hashes consistently
  still cannot match a signed root without Chipin's signing key. Such a change is pinned
  to the entries between the last head that still matches and the first that does not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from core.domain.ledger.entries import EntryKind, LedgerEntry, SignedHead
from core.domain.ledger.merkle import MerkleLog, leaf_hash, verify_consistency

MAX_PROBLEMS = 50


@dataclass(frozen=True, slots=True)
class Problem:
    where: str  # "entry 12", "entries 10-19", "head #3"
    what: str


@dataclass(slots=True)
class AuditReport:
    size: int
    heads: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, where: str, what: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(where, what))


# Checks a head's signature and certificate chain: None when good, else why not.
HeadCheck = Callable[[SignedHead], str | None]


def audit(
    rows: Sequence[Mapping[str, Any]],
    size: int,
    heads: Sequence[SignedHead],
    check_head: HeadCheck,
) -> AuditReport:
    """Audit raw ledger rows (as stored: idx, fields, leaf_hash) against size and heads."""
    report = AuditReport(size=size, heads=len(heads))
    by_idx = {int(r["idx"]): r for r in rows}
    hashes: list[bytes] = []
    for i in range(size):
        found = by_idx.get(i)
        if found is None:
            report.add(f"entry {i}", "missing: deleted from the ledger")
            hashes.append(b"\x00" * 32)
            continue
        # Looking for where a misplaced entry came from costs O(size): only while reporting.
        h, why = _check_entry(i, found, size, search=len(report.problems) < MAX_PROBLEMS)
        hashes.append(h)
        if why is not None:
            report.add(f"entry {i}", _explain(i, why))
    for extra in sorted(j for j in by_idx if not 0 <= j < size):
        report.add(f"entry {extra}", "inserted: beyond the ledger's recorded size")
    _check_heads(report, hashes, heads, check_head)
    return report


def _explain(i: int, why: str) -> str:
    if why.startswith("moved from "):
        j = int(why.removeprefix("moved from "))
        shift = "inserted before it" if j == i - 1 else "deleted before it" if j == i + 1 else ""
        tail = f" (an entry was {shift})" if shift else " (entries reordered)"
        return f"holds entry {j}'s record{tail}"
    return why


def entry_of(row: Mapping[str, Any], index: int) -> LedgerEntry:
    at = row["at"]
    if not isinstance(at, datetime):
        raise TypeError("at is not a time")
    return LedgerEntry(
        index=index,
        kind=EntryKind(row["kind"]),
        at=at,
        order_id=row["order_id"],
        payee_id=row["payee_id"],
        sub_order_id=row["sub_order_id"],
        payment_id=row["payment_id"],
        amount_minor=int(row["amount_minor"]),
        currency=str(row["currency"]),
        payer_commitment=row["payer_commitment"],
        note=str(row["note"]),
        method=row.get("method"),
        settled=row.get("settled"),
        account=row.get("account"),
        fee_minor=_optional_int(row.get("fee_minor")),
    )


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _check_entry(
    i: int, row: Mapping[str, Any], size: int, *, search: bool
) -> tuple[bytes, str | None]:
    """The entry's leaf hash as its fields say now, and what is wrong with it, if anything."""
    try:
        entry = entry_of(row, i)
    except (KeyError, ValueError, TypeError) as exc:
        return b"\x00" * 32, f"altered: unreadable fields ({type(exc).__name__})"
    h = leaf_hash(entry.leaf())
    recorded = str(row.get("leaf_hash") or "")
    if h.hex() == recorded:
        return h, None
    for j in (i - 1, i + 1, *(range(size) if search else ())):
        if j != i and 0 <= j < size and leaf_hash(replace(entry, index=j).leaf()).hex() == recorded:
            return h, f"moved from {j}"
    return h, "altered: its fields no longer match the leaf hash recorded when it was appended"


def _check_heads(
    report: AuditReport,
    hashes: Sequence[bytes],
    heads: Sequence[SignedHead],
    check_head: HeadCheck,
) -> None:
    tree = MerkleLog(hashes)
    good_size = 0  # the largest size a verified head vouches for
    previous: tuple[int, SignedHead] | None = None
    for n, signed in enumerate(heads, start=1):
        where = f"head #{n}"
        why = check_head(signed)
        if why is not None:
            report.add(where, f"signature: {why} (replaced or altered)")
            continue
        size = signed.head.tree_size
        if size > tree.size:
            report.add(where, f"signed {size} entries but the ledger has {tree.size}: deleted")
            continue
        if tree.root_at(size) != signed.head.root_hash:
            span = f"entries {good_size}-{size - 1}"
            report.add(span, f"changed after {where} (size {size}) was signed: root differs")
        else:
            good_size = max(good_size, size)
        if previous is not None:
            _check_step(report, tree, previous, (n, signed))
        previous = (n, signed)


def _check_step(
    report: AuditReport,
    tree: MerkleLog,
    old: tuple[int, SignedHead],
    new: tuple[int, SignedHead],
) -> None:
    (a, first), (b, second) = old, new
    s1, s2 = first.head.tree_size, second.head.tree_size
    if s2 < s1 or second.head.timestamp_ms < first.head.timestamp_ms:
        report.add(f"head #{b}", f"goes back from head #{a} (size or time)")
        return
    proof = tree.consistency_proof(s1, s2)
    if not verify_consistency(s1, s2, first.head.root_hash, second.head.root_hash, proof):
        report.add(f"heads #{a}-#{b}", "not consistent: the log was rewritten between them")
