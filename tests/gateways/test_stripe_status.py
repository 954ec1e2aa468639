"""`chipin status` asks Stripe a question that moves no money (the balance) and says whether
it answers; the API key is never printed."""

from __future__ import annotations

import re
from pathlib import Path

from tests.gateways.stripe_rig import (
    API_KEY,
    PUBLISHABLE_KEY,
    WEBHOOK_SECRET,
    Localstripe,
    free_port,
)
from tests.support.procs import chipin_env, run_chipin


def _status(tmp_path: Path, api_base: str) -> tuple[int, str]:
    env = chipin_env(
        tmp_path,
        free_port(),
        CHIPIN_GATEWAYS="stripe",
        STRIPE_API_KEY=API_KEY,
        STRIPE_PUBLISHABLE_KEY=PUBLISHABLE_KEY,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=api_base,
    )
    done = run_chipin(env, "status")
    assert API_KEY not in done.stdout + done.stderr
    assert WEBHOOK_SECRET not in done.stdout + done.stderr
    return done.returncode, done.stdout


def test_status_says_stripe_answers_in_test_mode(tmp_path: Path, localstripe: Localstripe) -> None:
    _, out = _status(tmp_path, localstripe.base_url)

    assert re.search(r"^  stripe +ok: answers \(test mode\); Connect off$", out, re.M), out
    assert re.search(r"^  STRIPE_API_KEY +set \(hidden\)$", out, re.M)


def test_status_says_when_stripe_does_not_answer(tmp_path: Path) -> None:
    code, out = _status(tmp_path, f"http://127.0.0.1:{free_port()}")

    assert code == 1
    assert re.search(r"^  stripe +FAILING: Stripe does not answer \(\w+\)$", out, re.M), out
