"""Every file a running Chipin makes is its own user's alone (0600), the databases' -wal and
-shm included, whatever umask it was started with: they hold sealed data, wrapped keys and
password hashes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.support.procs import chipin_env, free_port, serving

pytestmark = pytest.mark.slow


def test_the_databases_and_their_wal_and_shm_are_0600_under_a_lax_umask(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = chipin_env(data, free_port())
    before = os.umask(0o022)  # what `chipin` inherits: files 0644, folders 0755
    try:
        with serving(env, tmp_path / "chipin.log"):
            made = {p.name: stat.S_IMODE(p.stat().st_mode) for p in data.iterdir()}
    finally:
        os.umask(before)

    assert {"chipin.db", "chipin.db-wal", "chipin.db-shm", "sandbox.db", "secret.key"} <= set(
        made
    ), made
    assert {name: mode for name, mode in made.items() if mode != 0o600} == {}
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
