"""Sample statement files for the reader tests, modelled on real banks' exports."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.domain.statements import StatementUnreadable
from gateways.statements import read_statement

SAMPLES = Path(__file__).resolve().parent


def sample(name: str) -> bytes:
    """The bytes of the sample file `name` in this folder."""
    return (SAMPLES / name).read_bytes()


def refused(data: bytes, filename: str | None = None) -> str:
    """The message a file the readers refuse gets."""
    with pytest.raises(StatementUnreadable) as caught:
        read_statement(data, filename)
    return caught.value.message
