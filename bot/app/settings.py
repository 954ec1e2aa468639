"""Chipin's settings, from the environment and `.env`: built once at start-up and passed down."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import tempfile
from pathlib import Path
from typing import Literal, get_args
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.domain.errors import InvalidInput
from core.domain.money import CURRENCIES, STARS
from core.domain.passwords import MAX_MEMORY_BYTES, ScryptParams, largest_cost, scrypt_memory
from core.domain.payouts import parse_fee_percent
from gateways.stripe import DEFAULT_JS_URL, check_keys
from storage.db import UnsupportedDatabase, normalize_url
from web.clients import check_proxies

log = logging.getLogger(__name__)

GATEWAYS = ("sandbox", "stripe", "telegram")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MIN_SECRET_KEY = 32  # characters of CHIPIN_SECRET_KEY
KEY_RECIPE = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


class Refused(Exception):
    """Chipin cannot start (or carry out a command) as set up: a setting, a file, the database
    or a key. `chipin` prints the message as one line and exits with status 2; the message
    names what to change or the command to run, and never holds a secret."""


class Settings(BaseSettings):
    """Every setting, its default and its meaning; README's table mirrors this class."""

    # hide_input_in_errors: a refused setting's message never repeats a key or token.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", hide_input_in_errors=True)

    # empty: CHIPIN_DATA_DIR/chipin.db (filled in by _default_database)
    database_url: str = Field(default="", validation_alias="CHIPIN_DATABASE_URL")
    listen: str = Field(default="127.0.0.1:8080", validation_alias="CHIPIN_LISTEN")
    public_url: str = Field(default="", validation_alias="CHIPIN_PUBLIC_URL")
    currency: str = Field(default="USD", validation_alias="CHIPIN_CURRENCY")
    gateway: str = Field(default="sandbox", validation_alias="CHIPIN_GATEWAY")
    gateways: str = Field(default="", validation_alias="CHIPIN_GATEWAYS")
    secret_key: SecretStr | None = Field(default=None, validation_alias="CHIPIN_SECRET_KEY")
    old_secret_keys: SecretStr | None = Field(
        default=None, validation_alias="CHIPIN_OLD_SECRET_KEYS"
    )
    data_dir: Path = Field(default=Path("./data"), validation_alias="CHIPIN_DATA_DIR")
    sandbox_database_url: str = Field(default="", validation_alias="CHIPIN_SANDBOX_DATABASE_URL")
    sandbox_webhook_url: str = Field(default="", validation_alias="CHIPIN_SANDBOX_WEBHOOK_URL")
    max_amount: int = Field(default=100_000, validation_alias="CHIPIN_MAX_AMOUNT", ge=1, le=10**9)
    tick_s: float = Field(default=2.0, validation_alias="CHIPIN_TICK_S", gt=0, le=3600)
    reconcile_s: float = Field(default=60.0, validation_alias="CHIPIN_RECONCILE_S", gt=0, le=86400)
    head_s: float = Field(default=10.0, validation_alias="CHIPIN_HEAD_S", gt=0, le=86400)
    password_cost: int = Field(default=15, validation_alias="CHIPIN_PASSWORD_COST", ge=10)
    log_level: str = Field(default="INFO", validation_alias="CHIPIN_LOG_LEVEL")
    trusted_proxies: str = Field(default="", validation_alias="CHIPIN_TRUSTED_PROXIES")
    # uvicorn's own proxy setting, which Chipin does not heed: refused, so nobody relies on it
    forwarded_allow_ips: str = Field(default="", validation_alias="FORWARDED_ALLOW_IPS")
    # off: clients on this host may hold parts without the per-client limits (load tests)
    loopback_limits: bool = Field(default=True, validation_alias="CHIPIN_LOOPBACK_LIMITS")
    telegram_bot_token: SecretStr | None = Field(
        default=None, validation_alias="TELEGRAM_BOT_TOKEN"
    )
    telegram_base_url: str | None = Field(default=None, validation_alias="TELEGRAM_BASE_URL")
    telegram_webhook: bool = Field(default=False, validation_alias="TELEGRAM_WEBHOOK")
    telegram_payment_provider_token: SecretStr | None = Field(
        default=None, validation_alias="TELEGRAM_PAYMENT_PROVIDER_TOKEN"
    )
    stripe_api_key: SecretStr | None = Field(default=None, validation_alias="STRIPE_API_KEY")
    stripe_publishable_key: str = Field(default="", validation_alias="STRIPE_PUBLISHABLE_KEY")
    stripe_webhook_secret: SecretStr | None = Field(
        default=None, validation_alias="STRIPE_WEBHOOK_SECRET"
    )
    stripe_api_base: str = Field(default="", validation_alias="STRIPE_API_BASE")
    stripe_js_url: str = Field(default=DEFAULT_JS_URL, validation_alias="STRIPE_JS_URL")
    # Stripe Connect: payees' own accounts (core.domain.payouts); off while the secret is unset
    stripe_connect_webhook_secret: SecretStr | None = Field(
        default=None, validation_alias="STRIPE_CONNECT_WEBHOOK_SECRET"
    )
    stripe_connect_fee_percent: str = Field(default="0", validation_alias="STRIPE_CONNECT_FEE")

    @field_validator(
        "secret_key",
        "old_secret_keys",
        "telegram_bot_token",
        "telegram_payment_provider_token",
        "stripe_api_key",
        "stripe_webhook_secret",
        "stripe_connect_webhook_secret",
        "telegram_base_url",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`KEY=` (as .env.example has it) means unset, not an empty key or token."""
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_KEY:
            raise ValueError(
                f"must be at least {MIN_SECRET_KEY} characters (make one with {KEY_RECIPE}), or "
                "unset to keep a generated key in CHIPIN_DATA_DIR/secret.key"
            )
        return value

    @field_validator("database_url", "sandbox_database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        """The forms operators write (postgres://, sqlite:///) as the drivers Chipin uses."""
        if not value.strip():
            return ""
        try:
            return normalize_url(value)
        except UnsupportedDatabase as exc:
            raise ValueError(str(exc)) from None

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        return check_public_url(value)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"unknown log level {value!r}; use one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("data_dir")
    @classmethod
    def _home(cls, value: Path) -> Path:
        return value.expanduser()

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            self.database_url = self.default_database_url
            self.__pydantic_fields_set__.discard("database_url")  # still the default
        return self

    @property
    def default_database_url(self) -> str:
        """The database when CHIPIN_DATABASE_URL is unset: chipin.db in CHIPIN_DATA_DIR."""
        return f"sqlite+aiosqlite:///{self.data_dir / 'chipin.db'}"

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        code = value.strip().upper()
        if code not in CURRENCIES:
            raise ValueError(f"unknown currency {value!r}; use one of {', '.join(CURRENCIES)}")
        return code

    @field_validator("gateway")
    @classmethod
    def _known_gateway(cls, value: str) -> str:
        if value not in GATEWAYS:
            raise ValueError(f"unknown gateway {value!r}; use one of {', '.join(GATEWAYS)}")
        return value

    @model_validator(mode="after")
    def _gateways_on(self) -> Settings:
        """CHIPIN_GATEWAYS names known gateways, CHIPIN_GATEWAY is one of them (the first by
        default), and every enabled gateway has its settings."""
        names = self.enabled_gateways
        unknown = [n for n in names if n not in GATEWAYS]
        if unknown:
            raise ValueError(
                f"CHIPIN_GATEWAYS: unknown gateway {unknown[0]!r}; use {', '.join(GATEWAYS)}"
            )
        if "gateway" not in self.model_fields_set and self.gateways.strip():
            self.gateway = names[0]
        elif self.gateway not in names:
            raise ValueError(f"CHIPIN_GATEWAY={self.gateway} is not one of CHIPIN_GATEWAYS")
        if "stripe" in names:
            self._check_stripe()
        if "telegram" in names:
            self._check_telegram()
        return self

    def _check_telegram(self) -> None:
        if self.telegram_bot_token is None:
            raise ValueError(
                "the telegram gateway is on but TELEGRAM_BOT_TOKEN is not set: Telegram "
                "Payments work only through the bot (create one with @BotFather)"
            )
        if self.currency != STARS and not self.provider_token():
            raise ValueError(
                f"the telegram gateway is on and CHIPIN_CURRENCY={self.currency}, but "
                "TELEGRAM_PAYMENT_PROVIDER_TOKEN is not set: get one from @BotFather (your bot, "
                "Bot Settings, Payments), or take Telegram Stars with CHIPIN_CURRENCY=XTR"
            )

    def provider_token(self) -> str:
        """TELEGRAM_PAYMENT_PROVIDER_TOKEN, or '' when unset (Telegram Stars only)."""
        token = self.telegram_payment_provider_token
        return token.get_secret_value() if token is not None else ""

    def _check_stripe(self) -> None:
        missing = [
            name
            for name, value in (
                ("STRIPE_API_KEY", self.stripe_api_key),
                ("STRIPE_PUBLISHABLE_KEY", self.stripe_publishable_key),
                ("STRIPE_WEBHOOK_SECRET", self.stripe_webhook_secret),
            )
            if not value
        ]
        if missing:
            raise ValueError(
                f"the stripe gateway is on but {', '.join(missing)} not set: copy them from the "
                "Stripe dashboard (Developers: API keys, and the webhook endpoint's signing secret)"
            )
        check_keys(
            self.stripe_secret("api"), self.stripe_publishable_key, self.stripe_secret("webhook")
        )
        connect = self.stripe_secret("connect")
        if connect and not connect.startswith("whsec_"):
            raise ValueError(
                "STRIPE_CONNECT_WEBHOOK_SECRET must be the Connect endpoint's signing secret "
                "(whsec_...), not the account endpoint's"
            )
        if connect and connect == self.stripe_secret("webhook"):
            raise ValueError(
                "STRIPE_CONNECT_WEBHOOK_SECRET is the same as STRIPE_WEBHOOK_SECRET: the Connect "
                "endpoint (events on connected accounts) has a signing secret of its own"
            )

    @property
    def payout_fee_bps(self) -> int:
        """STRIPE_CONNECT_FEE (a percentage of each card part paid into a payee's account)
        in basis points; checked at start-up."""
        try:
            return parse_fee_percent(self.stripe_connect_fee_percent)
        except InvalidInput as exc:
            raise ValueError(f"STRIPE_CONNECT_FEE: {exc}") from None

    def stripe_secret(self, which: Literal["api", "webhook", "connect"]) -> str:
        """STRIPE_API_KEY ('api'), STRIPE_WEBHOOK_SECRET ('webhook') or
        STRIPE_CONNECT_WEBHOOK_SECRET ('connect'), or '' when unset."""
        value = {
            "api": self.stripe_api_key,
            "webhook": self.stripe_webhook_secret,
            "connect": self.stripe_connect_webhook_secret,
        }[which]
        return value.get_secret_value() if value is not None else ""

    @property
    def enabled_gateways(self) -> tuple[str, ...]:
        """The gateways payers can use: CHIPIN_GATEWAYS, or CHIPIN_GATEWAY alone."""
        names = [n.strip().lower() for n in self.gateways.split(",") if n.strip()]
        return tuple(dict.fromkeys(names)) or (self.gateway,)

    @field_validator("stripe_connect_fee_percent")
    @classmethod
    def _fee_fits(cls, value: str) -> str:
        try:
            parse_fee_percent(value)
        except InvalidInput as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("password_cost")
    @classmethod
    def _cost_fits(cls, value: int) -> int:
        """Refused here, in one line, rather than every password failing at run time."""
        need = scrypt_memory(ScryptParams(log2_n=value))
        if need > MAX_MEMORY_BYTES:
            raise ValueError(
                f"{value} needs {need:,} bytes of memory per password hash, over scrypt's cap "
                f"of {MAX_MEMORY_BYTES:,} (256 MiB); the largest cost that fits is {largest_cost()}"
            )
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        check_proxies(value)
        return value

    @model_validator(mode="after")
    def _no_uvicorn_proxies(self) -> Settings:
        if self.forwarded_allow_ips.strip() and not self.trusted_proxies.strip():
            raise ValueError(
                "FORWARDED_ALLOW_IPS is set, but Chipin believes X-Forwarded-For only from "
                "CHIPIN_TRUSTED_PROXIES: name your reverse proxies there (e.g. "
                "CHIPIN_TRUSTED_PROXIES=127.0.0.1)"
            )
        return self

    @property
    def trusted_proxy_list(self) -> tuple[str, ...]:
        """The proxies whose X-Forwarded-For is believed (addresses or CIDR networks)."""
        return check_proxies(self.trusted_proxies)

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"CHIPIN_LISTEN must be host:port, not {value!r}")
        return value

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0]

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])

    @property
    def base_url(self) -> str:
        """The URL people and gateways reach Chipin at: CHIPIN_PUBLIC_URL, else the
        listener's own address (127.0.0.1 when it listens on every interface: no browser
        opens http://0.0.0.0)."""
        return (self.public_url or self.local_url).rstrip("/")

    @property
    def local_url(self) -> str:
        """The listener's own address, for the embedded sandbox to post its webhooks to."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host  # noqa: S104
        return f"http://{host}:{self.port}"

    @property
    def sandbox_db_url(self) -> str:
        if self.sandbox_database_url:
            return self.sandbox_database_url
        if self.database_url.startswith("sqlite"):
            return f"sqlite+aiosqlite:///{self.data_dir / 'sandbox.db'}"
        return self.database_url

    @property
    def telegram_db_url(self) -> str:
        """The telegram gateway's own records (who paid each charge)."""
        if self.database_url.startswith("sqlite"):
            return f"sqlite+aiosqlite:///{self.data_dir / 'telegram.db'}"
        return self.database_url

    def max_amount_minor(self) -> int:
        return self.max_amount * CURRENCIES[self.currency].unit


def check_public_url(value: str) -> str:
    """CHIPIN_PUBLIC_URL as given, if it is an http(s) address a browser can open and paths
    can follow: a scheme, a host, an optional port and path, no query or fragment."""
    url = value.strip()
    if not url:
        return ""
    example = "https://pay.example.com"
    authority = (url.partition("://")[2] if "://" in url else url).split("/", 1)[0]
    if "@" in authority:  # never repeated: it may hold a password
        raise ValueError(f"must not hold a user name or password: write e.g. {example}")
    if "://" not in url:
        host = url.lstrip("/")
        raise ValueError(
            f"{url!r} has no scheme: write https://{host} (or http://{host} for a test "
            "on this machine)"
        )
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"must start with https:// (or http://), not {parts.scheme}://")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if not parts.hostname or port == -1:
        raise ValueError(f"{url!r} is not a host with an optional port: write e.g. {example}")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ValueError(
            f"{url!r} has a query or a fragment: give the address alone, e.g. {example}"
        )
    return url


def prepare_data_dir(settings: Settings, cwd: Path | None = None) -> None:
    """CHIPIN_DATA_DIR made ready to hold Chipin's files, or Refused in one line: created (mode
    0700) when only it is missing, never its parents; a folder Chipin can write in; and not a
    move that would leave the database of earlier starts behind in ./data.

    Only when Chipin keeps something there: the generated secret key, or SQLite files."""
    uses_dir = settings.secret_key is None or settings.database_url.startswith("sqlite")
    if not uses_dir:
        return
    folder = settings.data_dir
    where = f"CHIPIN_DATA_DIR={folder}" + (
        "" if folder.is_absolute() else f" ({folder.absolute()})"
    )
    _left_behind(settings, cwd or Path.cwd())
    if not folder.exists():
        parent = folder.absolute().parent
        if not parent.is_dir():
            raise Refused(
                f"{where}: its parent folder {parent} does not exist; create it first, or "
                "point CHIPIN_DATA_DIR at a folder that exists"
            )
        try:
            folder.mkdir(mode=0o700)
        except OSError as exc:
            raise Refused(f"{where}: cannot create it ({_why(exc)})") from None
        log.info("created the data folder %s", folder.absolute())
    if not folder.is_dir():
        raise Refused(f"{where} is a file, not a folder: point it at a folder")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise Refused(f"{where}: Chipin cannot write in it ({_why(exc)})") from None


def _left_behind(settings: Settings, cwd: Path) -> None:
    """Refused when CHIPIN_DATA_DIR moved the default database away from the one that earlier
    starts (with the default ./data) made in the working directory."""
    if settings.database_url != settings.default_database_url:
        return  # CHIPIN_DATABASE_URL says where the database is
    old, moved = cwd / "data", settings.data_dir.absolute()
    if moved == old.absolute() or not (old / "chipin.db").exists():
        return
    if (moved / "chipin.db").exists():
        return
    raise Refused(
        f"CHIPIN_DATA_DIR={settings.data_dir} has no chipin.db, but ./data/chipin.db exists "
        f"in {cwd} (with its secret.key): move ./data/* to {moved}, or unset CHIPIN_DATA_DIR "
        "to keep using ./data"
    )


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def secret_texts(settings: Settings | None) -> list[tuple[str, str]]:
    """Every secret the settings hold, as (setting name, text): for masking them out of any
    text printed. Without settings (they could not be read), the environment's. The bot
    token's part after the colon, each old key, the generated key file and a database
    password count too."""
    found: list[tuple[str, str]] = []
    for name, field in Settings.model_fields.items():
        if SecretStr not in get_args(field.annotation):
            continue
        alias = str(field.validation_alias or name)
        value = getattr(settings, name) if settings is not None else os.environ.get(alias)
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        parts = (text or "").split(",") if alias == "CHIPIN_OLD_SECRET_KEYS" else [text or ""]
        found.extend((alias, part.strip()) for part in parts)
        if alias == "TELEGRAM_BOT_TOKEN":
            found.append((alias, (text or "").partition(":")[2]))
    if settings is not None:
        key_file = settings.data_dir / "secret.key"
        if settings.secret_key is None and key_file.is_file():
            with contextlib.suppress(OSError):
                found.append(("secret.key", key_file.read_text(errors="replace").strip()))
        found.append(("password", _password_of(settings.database_url)))
        found.append(("password", _password_of(settings.sandbox_database_url)))
    return [(name, text) for name, text in found if len(text) >= 4]  # not every "a" in a text


def _password_of(url: str) -> str:
    parts = urlsplit(url)
    try:
        return parts.password or ""
    except ValueError:
        return ""


def load_secret(settings: Settings) -> bytes:
    """CHIPIN_SECRET_KEY, else the key kept in the data folder (made on first run, mode 0600).

    Whether a key may be made at all (not beside a database whose keys are wrapped under
    another one) is for the caller to know first: bot.app.bootstrap.check_secret."""
    if settings.secret_key is not None:  # its length was checked with the settings
        return settings.secret_key.get_secret_value().encode()
    path = settings.data_dir / "secret.key"
    if path.exists():
        try:
            kept = path.read_bytes().strip()
        except OSError as exc:
            raise Refused(f"cannot read the secret key {path.absolute()} ({_why(exc)})") from None
        if not kept:
            raise Refused(
                f"the secret key file {path.absolute()} is empty: restore it from the backup "
                "made with the database"
            )
        return kept
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(48))
    log.info("generated a new secret key in %s (keep it; back it up with the database)", path)
    return path.read_bytes().strip()


def load_old_secrets(settings: Settings) -> list[bytes]:
    """CHIPIN_OLD_SECRET_KEYS (comma-separated): earlier secret keys that still unwrap keys."""
    if settings.old_secret_keys is None:
        return []
    parts = settings.old_secret_keys.get_secret_value().split(",")
    return [p.strip().encode() for p in parts if p.strip()]


def derive(secret: bytes, label: str) -> bytes:
    """A sub-key for one purpose (password pepper, webhook signing), so no key serves two."""
    return hmac.new(secret, label.encode(), hashlib.sha256).digest()
