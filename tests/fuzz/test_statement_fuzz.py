"""Hypothesis against the statement readers: any bytes, bytes behind each format's marker,
and the sample files mutated (bytes flipped, cut short, entity declarations and field
markers slipped in) end in a Statement or in StatementUnreadable, never another exception,
and quickly; hostile files near the size cap take time in proportion to their size.
"""

from __future__ import annotations

import gc
import time
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.domain.statements import StatementUnreadable, line_hashes
from core.domain.text import is_storable
from gateways.statements import read_statement
from tests.fuzz.conftest import fuzz_examples
from tests.gateways.statements import SAMPLES

FILES = sorted(
    path.read_bytes()
    for path in SAMPLES.iterdir()
    if path.suffix in (".xml", ".sta", ".mt940", ".ofx")
)
CAMT = b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.053.001.08'>"
MARKERS = [
    b":20:",
    b"{1:F01COBADEFFAXXX0000000000}{4:\n:20:X\n",
    b"OFXHEADER:100\n\n<OFX>",
    b'<?xml version="1.0"?><?OFX OFXHEADER="200"?><OFX>',
    CAMT,
    CAMT + b"<BkToCstmrStmt><Stmt><Ntry>",
]
INSERTS = [
    b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    b'<!ENTITY lol "lol">',
    b"&e;",
    b"&#0;",
    b"&#xD800;",
    b"&#1114112;",
    b"<![CDATA[",
    b"\x00",
    b"\xff\xfe",
    b"\xc3",
    b'<?xml version="1.0" encoding="bogus"?>',
    b":61:2403040304CR250,00NTRF",
    b":86:166?00X?20EREF+",
    b":60F:C240301",
    b"?2",
    b"{4:",
    b"-}",
    b"<STMTTRN>",
    b"</STMTTRN>",
    b"<TRNAMT>",
    b"<CURRENCY><CURSYM>",
    b"CHARSET:",
    b"<Ntry>",
    b"</Ntry>",
    b"<TxDtls>",
    b"<Amt Ccy='EUR'>",
    b"NaN",
    b"9" * 30,
    b"RC",
    b"-",
    b",",
    b".",
    b"\n",
]

FUZZ = settings(
    max_examples=fuzz_examples(200),
    deadline=timedelta(seconds=1),  # a reader that blows up on size shows as a missed deadline
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def read_or_refuse(data: bytes) -> None:
    """The contract: a Statement with storable texts, or StatementUnreadable with a message."""
    try:
        statement = read_statement(data)
    except StatementUnreadable as refusal:
        message = refusal.message
    else:
        assert len(line_hashes(statement, "fuzz")) == len(statement.lines)
        texts = [
            text
            for line in statement.lines
            for text in (*line.remittance, *line.creditor_refs, *line.end_to_end_ids)
        ]
        assert all(map(is_storable, texts))
        assert all(texts)
        return
    assert message


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(FILES)))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        at = draw(st.integers(min_value=0, max_value=len(data)))
        kind = draw(st.sampled_from(["flip", "cut", "delete", "insert"]))
        if kind == "flip":
            data[at : at + 1] = bytes([draw(st.integers(min_value=0, max_value=255))])
        elif kind == "cut":
            del data[at:]
        elif kind == "delete":
            del data[at : at + draw(st.integers(min_value=1, max_value=40))]
        else:
            data[at:at] = draw(st.sampled_from(INSERTS))
    return bytes(data)


@FUZZ
@given(st.binary(max_size=2048))
def test_any_bytes_are_read_or_refused(data: bytes) -> None:
    read_or_refuse(data)


@FUZZ
@given(
    st.sampled_from(MARKERS),
    st.one_of(st.binary(max_size=1024), st.text(max_size=512).map(str.encode)),
)
def test_anything_behind_a_format_marker_is_read_or_refused(marker: bytes, tail: bytes) -> None:
    read_or_refuse(marker + tail)


@FUZZ
@given(mutated())
def test_mutated_samples_are_read_or_refused(data: bytes) -> None:
    read_or_refuse(data)


SIZE = 2 * 2**20  # the mt940 package took 6 s on 2 MB of :86: fields (quadratic); this ~0.7 s


def _seconds(head: bytes, unit: bytes, size: int) -> float:
    """The reader's time on a file of `size` bytes, with the garbage collector off: its
    passes grow with the objects alive, and made a linear reader look quadratic (2 MB of :86:
    fields: 0.87 s with it, 0.33 s without; a quarter of that: 0.10 s and 0.08 s)."""
    data = head + unit * ((size - len(head)) // len(unit))
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        read_or_refuse(data)
        return time.perf_counter() - started
    finally:
        gc.enable()


@pytest.mark.parametrize(
    ("head", "unit"),
    [
        (b":20:X\n:60F:C240301EUR1,00\n:61:2403010301CR1,00NTRF\n", b":86:abcdefgh\n"),
        (b":20:X\n:60F:C240301EUR1,00\n:61:2403010301CR1,00NTRF", b"a"),
        (b"OFXHEADER:100\n\n<OFX>", b"<A>"),
        (CAMT, b"<a>"),
    ],
    ids=["mt940-many-86", "mt940-long-61", "ofx-open-tags", "camt-deep"],
)
def test_hostile_files_near_the_size_cap_take_time_in_proportion_to_size(
    head: bytes, unit: bytes
) -> None:
    # The fastest of a few runs each: a shared machine's pauses (other processes, the
    # collector) land on single runs and once made a linear reader look quadratic.
    quarter = min(_seconds(head, unit, SIZE // 4) for _ in range(3))
    full = min(_seconds(head, unit, SIZE) for _ in range(2))
    assert full < 8 * quarter + 0.5  # linear: about 4 times as long; quadratic: 16 times
