"""Chipin's settings, from the environment and `.env`: built once at start-up and passed down."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.domain.errors import InvalidInput
from core.domain.money import CURRENCIES, STARS
from core.domain.passwords import MAX_MEMORY_BYTES, ScryptParams, largest_cost, scrypt_memory
from core.domain.payouts import parse_fee_percent
from gateways.stripe import DEFAULT_JS_URL, check_keys
from web.clients import check_proxies

log = logging.getLogger(__name__)

GATEWAYS = ("sandbox", "stripe", "telegram")


class Settings(BaseSettings):
    """Every setting, its default and its meaning; README's table mirrors this class."""

    # hide_input_in_errors: a refused setting's message never repeats a key or token.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", hide_input_in_errors=True)

    database_url: str = Field(
        default="sqlite+aiosqlite:///./data/chipin.db", validation_alias="CHIPIN_DATABASE_URL"
    )
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
        """The URL people and gateways reach Chipin at."""
        return (self.public_url or f"http://{self.listen}").rstrip("/")

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


def load_secret(settings: Settings) -> bytes:
    """CHIPIN_SECRET_KEY, else the key kept in the data folder (made on first run, mode 0600)."""
    if settings.secret_key is not None:
        value = settings.secret_key.get_secret_value()
        if len(value) < 32:
            raise ValueError("CHIPIN_SECRET_KEY must be at least 32 characters")
        return value.encode()
    path = settings.data_dir / "secret.key"
    if path.exists():
        return path.read_bytes().strip()
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
