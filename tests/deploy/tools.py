"""The system tools the deploy tests check the guide's files with: systemd-analyze (Debian
package systemd) and nginx (package nginx), from the system only, never a download.
Without one a test skips with the reason, except under CI=true, where it fails.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.backends import missing_here

# nginx lives in /usr/sbin, which is not on every user's PATH.
SBIN = ("/usr/sbin", "/sbin")


def need_tool(name: str, package: str) -> Path:
    """The tool's path; skip (or, under CI=true, fail) naming the package that brings it."""
    found = shutil.which(name) or next(
        (str(Path(d) / name) for d in SBIN if (Path(d) / name).is_file()), None
    )
    if found is None:
        reason = f"{name} missing: apt-get install -y {package}"
        missing_here(reason)
    return Path(found)


REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "docs" / "deploy"
GUIDE = REPO / "docs" / "DEPLOY.md"
