"""Engine tests run over the in-memory store (and, where storage exists, every SQL backend)."""

from __future__ import annotations

import pytest

from tests.harness import Rig, build_rig


@pytest.fixture
def rig() -> Rig:
    return build_rig()
