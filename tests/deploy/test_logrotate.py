"""The guide's logrotate file (docs/deploy/logrotate/chipin) rotates Chipin's log file in
place: the old lines move to chipin.log.1, and the file Chipin writes to starts empty."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.deploy.tools import DEPLOY, need_tool

RULES = DEPLOY / "logrotate" / "chipin"


def test_logrotate_moves_the_lines_away_and_keeps_the_file(tmp_path: Path) -> None:
    logrotate = need_tool("logrotate", "logrotate")
    logs = tmp_path / "log"
    logs.mkdir(mode=0o700)
    log = logs / "chipin.log"
    log.write_text("2026-12-07 03:15:00,000 INFO chipin: database is up to date\n")
    rules = RULES.read_text()
    assert rules.count("/var/log/chipin/chipin.log") == 1
    conf = tmp_path / "chipin.logrotate"
    conf.write_text(rules.replace("/var/log/chipin/chipin.log", str(log)))
    conf.chmod(0o644)  # logrotate refuses rules others may write

    done = subprocess.run(
        [str(logrotate), "--force", "--state", str(tmp_path / "state"), str(conf)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert (done.returncode, done.stderr) == (0, "")
    assert log.read_text() == ""  # the same file, truncated: Chipin's descriptor stays good
    assert (logs / "chipin.log.1").read_text().endswith("database is up to date\n")
