"""Settings that cannot work stop `chipin` at start-up, in one line naming the setting.

From CHIPIN_PASSWORD_COST 18 on, with r=8 and p=3, every hash needs more than scrypt's
256 MiB cap: every password would fail at run time.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.app.cli import main


@pytest.mark.parametrize("cost", ["18", "20", "40"])
def test_a_cost_over_the_cap_stops_chipin_at_start_up_in_one_line(
    cost: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(os.environ):
        if name.startswith(("CHIPIN_", "TELEGRAM_", "STRIPE_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env, and nothing written where the tests run
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # main sets it; restored after the test
    monkeypatch.setenv("CHIPIN_PASSWORD_COST", cost)

    with pytest.raises(SystemExit) as stopped:
        main(["migrate"])

    assert stopped.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"chipin: bad setting CHIPIN_PASSWORD_COST: Value error, {cost} needs")
    assert line.endswith("the largest cost that fits is 17")
    assert list(tmp_path.iterdir()) == []
