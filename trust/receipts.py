"""Payer receipts as self-contained JSON, and their offline verification.

A receipt holds the ledger entry (the fields its leaf commits to), what opens the payer
commitment (the payer's id and salt), an RFC 6962 inclusion proof, the signed tree head
it proves into, and Chipin's certificate chain. `chipin receipt verify FILE` checks every
link: entry -> leaf hash -> proof -> root -> signature -> certificate -> root CA.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.domain.ledger.entries import (
    EntryKind,
    LedgerEntry,
    commitment,
    entry_fields,
    receipt_id,
)
from core.domain.ledger.merkle import leaf_hash, verify_inclusion
from core.usecases.ledger import Receipt
from trust.ca import fingerprint, load_chain
from trust.errors import ChainInvalid, HeadInvalid, TrustError
from trust.heads import signed_head_from_json, signed_head_json, verify_head

FORMAT = "chipin-receipt/1"


class ReceiptInvalid(TrustError):
    """The receipt does not prove what it says; `reason` says which link broke."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CheckedReceipt:
    receipt_id: str
    entry: LedgerEntry
    payer_ref: str
    tree_size: int
    root_fingerprint: str


@dataclass(frozen=True, slots=True)
class ReceiptWriter:
    """Receipts as their payers' JSON documents, with Chipin's chain as it is at the time."""

    chain_pem: Callable[[], str]

    def document(self, receipt: Receipt) -> dict[str, Any]:
        return receipt_json(receipt, self.chain_pem())


def receipt_json(receipt: Receipt, chain_pem: str) -> dict[str, Any]:
    e = receipt.entry
    return {
        "format": FORMAT,
        "receipt_id": receipt.receipt_id,
        "entry": {
            "index": e.index,
            "kind": e.kind.value,
            "at": e.at.isoformat(),
            **entry_fields(e),
        },
        "payer": {
            "ref": receipt.payer.payer_ref,
            "salt": receipt.payer.salt,
            "name": receipt.payer.payer_name,
        },
        "proof": {
            "leaf_index": receipt.proof.index,
            "tree_size": receipt.proof.tree_size,
            "path": [base64.b64encode(h).decode("ascii") for h in receipt.proof.path],
        },
        "head": signed_head_json(receipt.head),
        "chain": chain_pem,
    }


def verify_receipt(doc: Mapping[str, Any], root_fingerprint: str | None = None) -> CheckedReceipt:
    """Every link of the receipt holds, or ReceiptInvalid names the first that does not.

    Pass the root CA fingerprint Chipin publishes (`chipin ca show`) to pin the chain;
    without it, the receipt is only as trustworthy as the chain it carries.
    """
    if not isinstance(doc, Mapping):
        raise ReceiptInvalid(f"a receipt is a JSON object, not {type(doc).__name__}")
    if doc.get("format") != FORMAT:
        raise ReceiptInvalid(f"not a {FORMAT} document")
    entry = _entry(_obj(doc, "entry"))
    payer = _obj(doc, "payer")
    ref, salt = payer.get("ref"), payer.get("salt")
    if not isinstance(ref, str) or not isinstance(salt, str) or not _hex(salt):
        raise ReceiptInvalid("payer: ref and a hex salt are required")
    if entry.payer_commitment != commitment(ref, salt):
        raise ReceiptInvalid("the entry does not name this payer (commitment mismatch)")
    proof = _obj(doc, "proof")
    index, size = proof.get("leaf_index"), proof.get("tree_size")
    if index != entry.index or type(size) is not int:
        raise ReceiptInvalid("proof: leaf_index must equal the entry index; tree_size an int")
    path = _hashes(proof.get("path"))
    try:
        head = signed_head_from_json(_obj(doc, "head"))
        chain = doc.get("chain")
        if not isinstance(chain, str):
            raise ReceiptInvalid("chain: PEM text is required")
        root, signing = load_chain(chain.encode())
    except (HeadInvalid, ChainInvalid) as exc:
        raise ReceiptInvalid(str(exc)) from exc
    pinned = fingerprint(root)
    if root_fingerprint is not None and pinned != root_fingerprint.lower().replace(":", ""):
        raise ReceiptInvalid("the chain's root CA is not the one pinned")
    if head.head.tree_size != size:
        raise ReceiptInvalid("proof: tree_size differs from the signed head's")
    if not verify_inclusion(leaf_hash(entry.leaf()), index, size, path, head.head.root_hash):
        raise ReceiptInvalid("the entry is not in the signed tree (altered, or a bad proof)")
    try:
        verify_head(head, root, signing)
    except HeadInvalid as exc:
        raise ReceiptInvalid(f"signed head: {exc}") from exc
    named = receipt_id(entry, leaf_hash(entry.leaf()))
    if doc.get("receipt_id") != named:  # the id the bot quoted is bound to this very entry
        raise ReceiptInvalid(f"receipt_id is not this entry's ({named})")
    return CheckedReceipt(named, entry, ref, size, pinned)


def _obj(doc: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = doc.get(name)
    if not isinstance(value, Mapping):
        raise ReceiptInvalid(f"{name}: an object is required")
    return value


def _hex(value: str) -> bool:
    try:
        bytes.fromhex(value)
    except ValueError:
        return False
    return True


def _hashes(value: object) -> list[bytes]:
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ReceiptInvalid("proof: path must be a list of base64 hashes")
    out = []
    for item in value:
        try:
            raw = base64.b64decode(str(item), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ReceiptInvalid("proof: a path hash is not base64") from exc
        out.append(raw)
    return out


def _optional_text(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ReceiptInvalid("entry: method, settled and account are text")
    return value


def _optional_int(value: object) -> int | None:
    return None if value is None else _int(value)


def _entry(e: Mapping[str, Any]) -> LedgerEntry:
    try:
        return LedgerEntry(
            index=_int(e["index"]),
            kind=EntryKind(e["kind"]),
            at=datetime.fromisoformat(e["at"]),
            order_id=e["order"],
            payee_id=e["payee"],
            sub_order_id=e["sub"],
            payment_id=e["payment"],
            amount_minor=_int(e["amount"]),
            currency=str(e["currency"]),
            payer_commitment=e["payer"],
            note=str(e["note"]),
            method=_optional_text(e.get("method")),
            settled=_optional_text(e.get("settled")),
            account=_optional_text(e.get("account")),
            fee_minor=_optional_int(e.get("fee")),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise ReceiptInvalid(f"entry: malformed ({type(exc).__name__})") from exc


def _int(value: object) -> int:
    if type(value) is not int:
        raise TypeError("not an integer")
    return value
