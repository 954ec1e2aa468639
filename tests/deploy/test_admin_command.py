"""The system service's `chipin` command (docs/deploy/system/chipin, installed as
/usr/local/bin/chipin) runs Chipin's commands with the service's settings file, as the
service's user, and writes private files."""

from __future__ import annotations

import os
import pwd
import secrets
import stat
import subprocess
import sys
from pathlib import Path

from tests.deploy.tools import DEPLOY
from tests.support.backends import missing_here

WRAPPER = DEPLOY / "system" / "chipin"
SETTINGS = DEPLOY / "chipin.env"


def need_root() -> None:
    if os.geteuid() != 0:
        reason = "runuser, as the wrapper uses it, needs root"
        missing_here(reason)


def installed(tmp: Path) -> Path:
    """The wrapper and the settings file as the guide installs them, in `tmp`."""
    data = tmp / "lib"
    data.mkdir(mode=0o700)  # systemd's StateDirectory= makes it
    env = tmp / "chipin.env"
    text = SETTINGS.read_text().replace("/var/lib/chipin", str(data))
    env.write_text(text + f"CHIPIN_SECRET_KEY={secrets.token_urlsafe(48)}\n")
    env.chmod(0o600)
    chipin = Path(sys.executable).parent / "chipin"
    assert chipin.is_file(), "the venv's chipin command"
    wrapper = WRAPPER.read_text()
    for old, new in (
        ("/etc/chipin/chipin.env", str(env)),
        ("cd /var/lib/chipin", f"cd {data}"),
        ("runuser -u chipin", f"runuser -u {pwd.getpwuid(os.geteuid()).pw_name}"),
        ("/opt/chipin/.venv/bin/chipin", str(chipin)),
    ):
        assert wrapper.count(old) == 1, old
        wrapper = wrapper.replace(old, new)
    path = tmp / "chipin"
    path.write_text(wrapper)
    path.chmod(0o755)
    return path


def run(wrapper: Path, *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CHIPIN_", "TELEGRAM_"))}
    return subprocess.run(
        [str(wrapper), *args], env=clean, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_chipin_command_uses_the_service_settings_and_keeps_files_private(
    tmp_path: Path,
) -> None:
    need_root()
    wrapper = installed(tmp_path)

    for args in (("migrate",), ("apikey", "create", "--payee", "Ann")):
        done = run(wrapper, *args)
        assert done.returncode == 0, done.stderr[-2000:]
    assert "api key chp_" in done.stdout

    data = tmp_path / "lib"
    assert sorted(p.name for p in data.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [
        "chipin.db"
    ]  # the database where chipin.env says; no secret.key: the key is in the settings
    assert stat.S_IMODE((data / "chipin.db").stat().st_mode) == 0o600

    backup = run(wrapper, "backup", str(tmp_path / "backups"))
    assert backup.returncode == 0, backup.stderr
    assert backup.stdout.splitlines()[-1].startswith(
        "not copied: the secret key (CHIPIN_SECRET_KEY)"
    )
