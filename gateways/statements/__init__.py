"""Bank statement files read into `core.domain.statements.Statement`: `read_statement` tells
CAMT.053, MT940 and OFX apart by their content and hands the file to its reader.

Every way a file can be wrong ends in StatementUnreadable with a message saying what is
wrong; the size is capped before anything is parsed.
"""

from __future__ import annotations

import codecs
import re
from pathlib import PurePath

from core.domain.statements import Statement, StatementUnreadable
from gateways.statements.camt import read_camt
from gateways.statements.mt940 import read_mt940
from gateways.statements.ofx import read_ofx

MAX_STATEMENT_BYTES = 5 * 1024 * 1024
_SNIFF = 64 * 1024
_CAMT = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.([0-9]{3})\.001\.([0-9]{2})")
_OFX = re.compile(r"OFXHEADER|(?:<\?xml[^>]{0,500}>\s*)?<(?:\?OFX|OFX>)", re.IGNORECASE)
_SPREADSHEETS = (".csv", ".xls", ".xlsx", ".ods")


def _head(data: bytes) -> str:
    """The start of the file as text good enough to recognise the format by."""
    start = data[:_SNIFF]
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return start.decode("utf-16", errors="ignore").lstrip()
    return start.removeprefix(codecs.BOM_UTF8).decode("latin-1").lstrip()


def _camt(head: str) -> bool:
    """True for a camt.053 of a version Chipin reads; refusing other camt messages."""
    found = _CAMT.search(head)
    if found is None:
        return False
    kind, version = found.groups()
    if kind != "053":
        raise StatementUnreadable(
            "this is a camt.{kind} message; Chipin reads camt.053 account statements",
            kind=kind,
        )
    if not "02" <= version <= "13":
        raise StatementUnreadable(
            "camt.053 version {version} is not one Chipin reads (02 to 13)", version=version
        )
    return True


def _not_a_statement(data: bytes, filename: str | None) -> StatementUnreadable:
    if data.startswith(b"%PDF"):
        return StatementUnreadable(
            "this is a PDF; download the statement as CAMT.053 (XML), MT940 or OFX instead"
        )
    if data.startswith(b"PK\x03\x04"):
        return StatementUnreadable("this is a ZIP archive; unpack it and upload the statement")
    if filename and PurePath(filename).suffix.lower() in _SPREADSHEETS:
        return StatementUnreadable(
            "spreadsheet exports differ from bank to bank; download the statement as "
            "CAMT.053 (XML), MT940 or OFX instead"
        )
    return StatementUnreadable("this is not a CAMT.053, MT940 or OFX statement")


def read_statement(data: bytes, filename: str | None = None) -> Statement:
    """The statement in an uploaded file, or StatementUnreadable saying why not.

    `filename` is only a hint for the message when the content is no statement at all.
    """
    if not data.strip():
        raise StatementUnreadable("the file is empty")
    if len(data) > MAX_STATEMENT_BYTES:
        raise StatementUnreadable(
            "the file is {size} MB; Chipin reads statements up to {limit} MB",
            size=f"{len(data) / 2**20:.1f}",
            limit=MAX_STATEMENT_BYTES // 2**20,
        )
    head = _head(data)
    if _OFX.match(head):
        return read_ofx(data)
    if head.startswith("<") and _camt(head):
        return read_camt(data)
    if head.startswith((":20:", "{1:")):
        return read_mt940(data)
    raise _not_a_statement(data, filename)
