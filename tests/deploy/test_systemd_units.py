"""The guide's systemd units (docs/deploy/{system,user}/) pass `systemd-analyze verify`, and
the system services' hardening keeps systemd's exposure score at "OK" (2.0) or better."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.deploy.tools import DEPLOY, need_tool
from tests.support.backends import missing_here

SYSTEM = DEPLOY / "system"
USER_UNIT = DEPLOY / "user" / "chipin.service"
SYSTEM_UNITS = ("chipin.service", "chipin-backup.service", "chipin-backup.timer")
SYSTEM_CHIPIN = "/opt/chipin/.venv/bin/chipin"
USER_CHIPIN = "%h/chipin/.venv/bin/chipin"
MOST_EXPOSURE = 20  # tenths: systemd calls 2.0 and under "OK"


def stand_in(tmp: Path) -> Path:
    """An executable where the unit's `chipin` is: verify checks every command exists."""
    path = tmp / "bin" / "chipin"
    path.parent.mkdir(exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def installed(units: list[Path], chipin_path: str, tmp: Path) -> list[Path]:
    """The units as installed side by side, their `chipin` a stand-in."""
    chipin = stand_in(tmp)
    copies = []
    for unit in units:
        copy = tmp / unit.name
        copy.write_text(unit.read_text().replace(chipin_path, str(chipin)))
        copies.append(copy)
    return copies


def analyze(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    tool = need_tool("systemd-analyze", "systemd")
    runtime = tmp / "run"  # a user manager needs a runtime directory, even offline
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "SYSTEMD_PAGER": "", "NO_COLOR": "1"}
    return subprocess.run(
        [str(tool), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def test_the_system_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    units = installed([SYSTEM / name for name in SYSTEM_UNITS], SYSTEM_CHIPIN, tmp_path)
    assert SYSTEM_CHIPIN not in "".join(u.read_text() for u in units)
    done = analyze("verify", "--man=no", *map(str, units), tmp=tmp_path)
    # verify reports unknown keys and bad values as warnings only: none is allowed
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_the_user_service_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    [unit] = installed([USER_UNIT], USER_CHIPIN, tmp_path)
    assert USER_CHIPIN not in unit.read_text()
    done = analyze("verify", "--user", "--man=no", str(unit), tmp=tmp_path)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


@pytest.mark.parametrize("name", ["chipin.service", "chipin-backup.service"])
def test_the_system_services_are_hardened(name: str, tmp_path: Path) -> None:
    [unit] = installed([SYSTEM / name], SYSTEM_CHIPIN, tmp_path)
    version = analyze("--version", tmp=tmp_path).stdout.split()[1]
    if int(version) < 250:  # `security --offline` came with systemd 250
        reason = f"systemd-analyze {version} cannot score a unit file offline (needs 250)"
        missing_here(reason)
    done = analyze(
        "security", "--offline=true", f"--threshold={MOST_EXPOSURE}", str(unit), tmp=tmp_path
    )
    score = re.search(rf"Overall exposure level for {re.escape(name)}: ([\d.]+)", done.stdout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert score is not None, done.stdout[-3000:]
    assert float(score.group(1)) <= MOST_EXPOSURE / 10


def test_the_system_service_keeps_its_data_private() -> None:
    """What the guide promises: a user of its own, data 0700 and the only place it may
    write, files 0600, the settings read by systemd as root, no privileges to gain."""
    lines = set((SYSTEM / "chipin.service").read_text().splitlines())
    for line in (
        "User=chipin",
        "EnvironmentFile=/etc/chipin/chipin.env",
        "WorkingDirectory=/var/lib/chipin",
        "StateDirectory=chipin",
        "StateDirectoryMode=0700",
        "UMask=0077",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/chipin",
        "ProtectHome=yes",
    ):
        assert line in lines, line
    settings = (DEPLOY / "chipin.env").read_text().splitlines()
    assert "CHIPIN_DATA_DIR=/var/lib/chipin" in settings
    assert "CHIPIN_DATABASE_URL=sqlite+aiosqlite:////var/lib/chipin/chipin.db" in settings
    user_lines = set(USER_UNIT.read_text().splitlines())
    for line in ("EnvironmentFile=%h/chipin/.env", "UMask=0077", "NoNewPrivileges=yes"):
        assert line in user_lines, line
