"""Settings behave as documented, and those that cannot work stop `chipin` at start-up in
one line naming the setting, with exit status 2 (tests/bot/test_operator_mistakes.py runs
the mistakes as real processes).

From CHIPIN_PASSWORD_COST 18 on, with r=8 and p=3, every hash needs more than scrypt's
256 MiB cap: every password would fail at run time.
"""

from __future__ import annotations

import logging
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.app import cli
from bot.app.cli import main
from bot.app.settings import Refused, Settings, load_secret, prepare_data_dir
from storage.db import shown


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
    assert line.startswith(f"chipin: bad setting CHIPIN_PASSWORD_COST: {cost} needs")
    assert line.endswith("the largest cost that fits is 17")
    assert list(tmp_path.iterdir()) == []


# ---- every setting documented, in .env.example and the README's table ----

REPO = Path(__file__).resolve().parents[2]
ALIASES = sorted(str(f.validation_alias) for f in Settings.model_fields.values())


def _clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith(("CHIPIN_", "TELEGRAM_", "STRIPE_")) or name == "FORWARDED_ALLOW_IPS":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_env_example_and_the_readme_table_list_every_setting_once() -> None:
    example = (REPO / ".env.example").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]

    assert sorted(re.findall(r"^([A-Z_]+)=", example, re.M)) == ALIASES
    assert sorted(re.findall(r"^\| `([A-Z_]+)` \|", table, re.M)) == ALIASES


def test_a_dot_env_copied_from_env_example_gives_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clean(monkeypatch, tmp_path)
    copied = Settings(_env_file=REPO / ".env.example")  # type: ignore[call-arg]
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]

    assert copied.model_dump() == defaults.model_dump()
    assert copied.secret_key is None  # `KEY=`: unset
    assert copied.telegram_bot_token is None


# ---- CHIPIN_DATA_DIR holds every file ----


def test_the_data_dir_holds_the_default_databases_and_the_key(tmp_path: Path) -> None:
    folder = tmp_path / "somewhere"
    settings = Settings.model_validate(
        {"CHIPIN_DATA_DIR": folder, "CHIPIN_GATEWAYS": "telegram", "CHIPIN_CURRENCY": "XTR"}
        | {"TELEGRAM_BOT_TOKEN": "1:x"}
    )

    assert settings.database_url == f"sqlite+aiosqlite:///{folder}/chipin.db"
    assert settings.sandbox_db_url == f"sqlite+aiosqlite:///{folder}/sandbox.db"
    assert settings.telegram_db_url == f"sqlite+aiosqlite:///{folder}/telegram.db"
    assert not folder.exists()  # made by `chipin`, not by reading the settings
    load_secret(settings)
    assert [p.name for p in folder.iterdir()] == ["secret.key"]


def test_the_data_dir_is_made_private_but_not_its_parent(tmp_path: Path) -> None:
    made = Settings.model_validate({"CHIPIN_DATA_DIR": tmp_path / "data"})
    prepare_data_dir(made, cwd=tmp_path)
    assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700

    deep = Settings.model_validate({"CHIPIN_DATA_DIR": tmp_path / "no" / "data"})
    with pytest.raises(Refused, match=r"CHIPIN_DATA_DIR=.*: its parent folder .* does not exist"):
        prepare_data_dir(deep, cwd=tmp_path)
    assert not (tmp_path / "no").exists()


def test_moving_the_data_dir_away_from_the_database_in_dot_data_is_refused(
    tmp_path: Path,
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "chipin.db").write_bytes(b"")
    moved = Settings.model_validate({"CHIPIN_DATA_DIR": tmp_path / "srv"})

    with pytest.raises(Refused) as refused:
        prepare_data_dir(moved, cwd=tmp_path)
    assert str(refused.value) == (
        f"CHIPIN_DATA_DIR={tmp_path}/srv has no chipin.db, but ./data/chipin.db exists in "
        f"{tmp_path} (with its secret.key): move ./data/* to {tmp_path}/srv, or unset "
        "CHIPIN_DATA_DIR to keep using ./data"
    )
    assert not (tmp_path / "srv").exists()
    # the database named, or already moved: nothing is left behind
    url = f"sqlite+aiosqlite:///{tmp_path}/data/chipin.db"
    named = Settings.model_validate(
        {"CHIPIN_DATA_DIR": tmp_path / "srv", "CHIPIN_DATABASE_URL": url}
    )
    prepare_data_dir(named, cwd=tmp_path)
    (tmp_path / "srv" / "chipin.db").write_bytes(b"")
    prepare_data_dir(moved, cwd=tmp_path)


# ---- the forms a database URL is written in ----


@pytest.mark.parametrize(
    ("written", "used"),
    [
        ("postgres://chipin:pw@db:5433/pay", "postgresql+asyncpg://chipin:pw@db:5433/pay"),
        ("postgresql://chipin@db/pay", "postgresql+asyncpg://chipin@db/pay"),
        ("postgresql://c@db/pay?sslmode=require", "postgresql+asyncpg://c@db/pay?ssl=require"),
        ("postgresql+asyncpg://chipin@db/pay", "postgresql+asyncpg://chipin@db/pay"),
        ("sqlite:///./data/x.db", "sqlite+aiosqlite:///./data/x.db"),
        ("sqlite:////srv/chipin/x.db", "sqlite+aiosqlite:////srv/chipin/x.db"),
        ("sqlite+aiosqlite:///./data/x.db", "sqlite+aiosqlite:///./data/x.db"),
    ],
)
def test_database_urls_are_taken_in_the_forms_operators_write(written: str, used: str) -> None:
    settings = Settings.model_validate(
        {"CHIPIN_DATABASE_URL": written, "CHIPIN_SANDBOX_DATABASE_URL": written}
    )
    assert (settings.database_url, settings.sandbox_database_url) == (used, used)


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("mysql://chipin:pw@db/pay", "unsupported database 'mysql'"),
        ("postgresql+psycopg2://chipin:pw@db/pay", "unsupported database 'postgresql+psycopg2'"),
        ("sqlite://", "SQLite needs a file path"),
        ("sqlite+aiosqlite:///:memory:", "SQLite needs a file path"),
        ("db.example.com/pay", "this is not a database URL"),
    ],
)
def test_other_database_urls_are_refused_without_repeating_them(
    written: str, said: str, chipin_refuses: Refusal
) -> None:
    line = chipin_refuses(CHIPIN_DATABASE_URL=written)
    assert line.startswith(f"chipin: bad setting CHIPIN_DATABASE_URL: {said}")
    assert "pw" not in line
    assert "db.example" not in line


def test_a_database_is_named_in_a_refusal_without_its_password() -> None:
    assert shown("postgresql+asyncpg://chipin:pa55@db:5433/pay") == (
        "postgresql+asyncpg://chipin:***@db:5433/pay"
    )
    assert shown("sqlite+aiosqlite:////srv/chipin/chipin.db") == "/srv/chipin/chipin.db"


# ---- CHIPIN_PUBLIC_URL, CHIPIN_LOG_LEVEL, CHIPIN_SECRET_KEY ----


@pytest.mark.parametrize(
    "url",
    [
        "https://pay.example.com",
        "https://pay.example.com/",
        "https://pay.example.com:8443/chipin",
        "http://localhost:8080",
        "http://127.0.0.1:8080",
    ],
)
def test_public_urls_with_a_scheme_and_a_host_are_taken(url: str) -> None:
    assert Settings.model_validate({"CHIPIN_PUBLIC_URL": url}).public_url == url


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("pay.example.com", "'pay.example.com' has no scheme: write https://pay.example.com"),
        ("localhost:8080", "'localhost:8080' has no scheme: write https://localhost:8080"),
        ("ftp://pay.example.com", "must start with https:// (or http://), not ftp://"),
        ("https://pay.example.com/?a=1", "has a query or a fragment"),
        ("https://pay.example.com/#top", "has a query or a fragment"),
        ("https://", "is not a host with an optional port"),
        ("https://pay.example.com:99999", "is not a host with an optional port"),
        ("https://ann:pa55@pay.example.com", "must not hold a user name or password"),
        ("ann:pa55@pay.example.com", "must not hold a user name or password"),
    ],
)
def test_public_urls_without_a_scheme_or_with_junk_are_refused(
    url: str, said: str, chipin_refuses: Refusal
) -> None:
    line = chipin_refuses(CHIPIN_PUBLIC_URL=url)
    assert line.startswith("chipin: bad setting CHIPIN_PUBLIC_URL: ")
    assert said in line
    assert "pa55" not in line


def test_a_log_level_is_one_of_five(chipin_refuses: Refusal) -> None:
    assert Settings.model_validate({"CHIPIN_LOG_LEVEL": "warning"}).log_level == "WARNING"
    assert chipin_refuses(CHIPIN_LOG_LEVEL="LOUD") == (
        "chipin: bad setting CHIPIN_LOG_LEVEL: unknown log level 'LOUD'; use one of DEBUG, "
        "INFO, WARNING, ERROR, CRITICAL"
    )


def test_a_short_secret_key_is_refused_without_repeating_it(chipin_refuses: Refusal) -> None:
    line = chipin_refuses(CHIPIN_SECRET_KEY="short-and-guessable")
    assert line.startswith("chipin: bad setting CHIPIN_SECRET_KEY: must be at least 32 characters")
    assert "guessable" not in line


def test_a_setting_refused_by_the_whole_names_its_settings(chipin_refuses: Refusal) -> None:
    line = chipin_refuses(FORWARDED_ALLOW_IPS="10.0.0.1")
    assert line.startswith("chipin: FORWARDED_ALLOW_IPS is set, but Chipin believes")


Refusal = Callable[..., str]


@pytest.fixture
def chipin_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Refusal:
    """The one line `chipin migrate` stops with (exit status 2) under these settings alone;
    it wrote nothing."""
    _clean(monkeypatch, tmp_path)
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # main sets it; restored after the test

    def refuses(**values: str) -> str:
        for name, value in values.items():
            monkeypatch.setenv(name, value)
        with pytest.raises(SystemExit) as stopped:
            main(["migrate"])
        assert stopped.value.code == 2
        [line] = capsys.readouterr().err.splitlines()
        assert list(tmp_path.iterdir()) == []
        return line

    return refuses


# ---- no secret in what `chipin` prints, an unexpected error's traceback included ----


def test_an_unexpected_error_prints_its_traceback_with_every_secret_masked(
    chipin_refuses: Refusal,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    token, key = "123456:AAH-the-bots-secret", "k" * 40
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)
    monkeypatch.setenv("CHIPIN_SECRET_KEY", key)
    monkeypatch.setenv("CHIPIN_DATABASE_URL", "postgres://chipin:pa55word@db.invalid/pay")

    def bug(settings: Settings, cwd: Path | None = None) -> None:
        raise RuntimeError(f"GET https://api.telegram.org/bot{token}/getMe with {key} pa55word")

    monkeypatch.setattr(cli, "prepare_data_dir", bug)

    assert main(["migrate"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert "RuntimeError" in err
    assert "/bot<TELEGRAM_BOT_TOKEN>/getMe with <CHIPIN_SECRET_KEY> <password>" in err
    for secret in (token, token.partition(":")[2], key, "pa55word"):
        assert secret not in err
    assert err.endswith("chipin: stopped by an unexpected error (above, secrets masked)\n")


def test_the_log_masks_every_secret_too() -> None:
    masks = cli.Masks([("TELEGRAM_BOT_TOKEN", "1:abcd"), ("TELEGRAM_BOT_TOKEN", "abcd")])
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "url %s", ("/bot1:abcd/",), None)
    formatter = cli._MaskingFormatter("%(message)s", masks)
    assert formatter.format(record) == "url /bot<TELEGRAM_BOT_TOKEN>/"
    assert masks.hide("abcd and 1:abcd") == "<TELEGRAM_BOT_TOKEN> and <TELEGRAM_BOT_TOKEN>"
