"""Turning Stripe on: CHIPIN_GATEWAYS, the STRIPE_* settings checked at start-up, the wiring."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from tests.gateways.clean_env import settings
from tests.gateways.stripe_rig import API_KEY, PUBLISHABLE_KEY, WEBHOOK_SECRET
from tests.support.backends import copy_sqlite

STRIPE_ENV = {
    "STRIPE_API_KEY": API_KEY,
    "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
    "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
}


def problems(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(str(e["msg"]) for e in exc.value.errors())


def test_by_default_only_the_sandbox_is_on(env: pytest.MonkeyPatch) -> None:
    from bot.app.bootstrap import build_stripe  # the composition root, only where it is under test

    found = settings()
    assert (found.enabled_gateways, found.gateway) == (("sandbox",), "sandbox")
    assert build_stripe(found, b"k" * 32) is None


def test_one_gateway_named_alone_is_the_default(env: pytest.MonkeyPatch) -> None:
    for name, value in STRIPE_ENV.items():
        env.setenv(name, value)
    env.setenv("CHIPIN_GATEWAYS", "stripe")
    found = settings()
    assert (found.enabled_gateways, found.gateway) == (("stripe",), "stripe")


def test_several_gateways_at_once_keep_the_chosen_default(env: pytest.MonkeyPatch) -> None:
    for name, value in STRIPE_ENV.items():
        env.setenv(name, value)
    env.setenv("CHIPIN_GATEWAYS", " sandbox , stripe,sandbox")
    env.setenv("CHIPIN_GATEWAY", "stripe")
    found = settings()
    assert (found.enabled_gateways, found.gateway) == (("sandbox", "stripe"), "stripe")


def test_stripe_without_its_keys_is_refused_naming_them(env: pytest.MonkeyPatch) -> None:
    env.setenv("CHIPIN_GATEWAYS", "sandbox,stripe")
    env.setenv("STRIPE_PUBLISHABLE_KEY", PUBLISHABLE_KEY)
    with pytest.raises(ValidationError) as info:
        settings()
    assert "STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET not set" in problems(info)


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("STRIPE_API_KEY", "pk_test_oops", "STRIPE_API_KEY must be a secret"),
        ("STRIPE_PUBLISHABLE_KEY", "sk_test_oops", "STRIPE_PUBLISHABLE_KEY must be"),
        ("STRIPE_WEBHOOK_SECRET", "plain-value-123", "STRIPE_WEBHOOK_SECRET must be"),
        ("STRIPE_PUBLISHABLE_KEY", "pk_live_abc", "both be test or live"),
    ],
)
def test_a_key_of_the_wrong_kind_is_refused_without_quoting_it(
    env: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    for key, good in STRIPE_ENV.items():
        env.setenv(key, good)
    env.setenv(name, value)
    env.setenv("CHIPIN_GATEWAY", "stripe")
    with pytest.raises(ValidationError) as info:
        settings()
    assert says in problems(info)
    assert value not in str(info.value)  # nor any other input: hide_input_in_errors
    assert API_KEY not in str(info.value)


@pytest.mark.parametrize(
    ("gateways", "gateway", "says"),
    [
        ("sandbox,paypal", None, "unknown gateway 'paypal'"),
        ("sandbox", "stripe", "is not one of CHIPIN_GATEWAYS"),
    ],
)
def test_gateway_names_are_checked(
    env: pytest.MonkeyPatch, gateways: str, gateway: str | None, says: str
) -> None:
    for key, good in STRIPE_ENV.items():
        env.setenv(key, good)
    env.setenv("CHIPIN_GATEWAYS", gateways)
    if gateway:
        env.setenv("CHIPIN_GATEWAY", gateway)
    with pytest.raises(ValidationError) as info:
        settings()
    assert says in problems(info)


def test_the_secrets_are_hidden_in_the_settings_repr(env: pytest.MonkeyPatch) -> None:
    for key, good in STRIPE_ENV.items():
        env.setenv(key, good)
    env.setenv("CHIPIN_GATEWAY", "stripe")
    text = repr(settings())
    assert API_KEY not in text
    assert WEBHOOK_SECRET not in text


async def test_with_stripe_alone_the_sandbox_takes_no_payments(
    env: pytest.MonkeyPatch, tmp_path: Path, sqlite_template: Path
) -> None:
    """Real money on: a payer cannot pick the sandbox (and 'pay' with a click)."""
    from bot.app.bootstrap import bootstrap

    for key, good in STRIPE_ENV.items():
        env.setenv(key, good)
    env.setenv("CHIPIN_GATEWAYS", "stripe")
    env.setenv("CHIPIN_DATABASE_URL", copy_sqlite(sqlite_template, tmp_path))
    env.setenv("CHIPIN_PUBLIC_URL", "https://chipin.example")
    service = await bootstrap(settings(), bot=False)
    try:
        assert set(service.engine.deps.gateways) == {"stripe"}
        assert service.stripe is not None
        assert service.stripe.pay_url("pi_1").startswith("https://chipin.example/pay/stripe/pi_1.")
    finally:
        await service.close()


def test_connect_is_on_with_its_own_secret_and_the_fee_setting(env: pytest.MonkeyPatch) -> None:
    from bot.app.bootstrap import build_stripe

    for name, value in STRIPE_ENV.items():
        env.setenv(name, value)
    env.setenv("CHIPIN_GATEWAYS", "stripe")
    assert build_stripe(settings(), b"k" * 32).connect is None  # type: ignore[union-attr]
    env.setenv("STRIPE_CONNECT_WEBHOOK_SECRET", "whsec_connect_0123456789")
    env.setenv("STRIPE_CONNECT_FEE", "1.5%")
    found = settings()
    assert found.payout_fee_bps == 150
    gateway = build_stripe(found, b"k" * 32)
    assert gateway is not None
    assert gateway.connect is not None
    assert "whsec_connect" not in repr(gateway.connect)


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("STRIPE_CONNECT_WEBHOOK_SECRET", "sk_test_x", "Connect endpoint's signing secret"),
        ("STRIPE_CONNECT_WEBHOOK_SECRET", WEBHOOK_SECRET, "has a signing secret of its own"),
        ("STRIPE_CONNECT_FEE", "60", "from 0 to 50"),
        ("STRIPE_CONNECT_FEE", "lots", "not a percentage"),
    ],
)
def test_a_wrong_connect_setting_is_refused_naming_it(
    env: pytest.MonkeyPatch, name: str, value: str, says: str
) -> None:
    for key, secret in STRIPE_ENV.items():
        env.setenv(key, secret)
    env.setenv("CHIPIN_GATEWAYS", "stripe")
    env.setenv(name, value)
    with pytest.raises(ValidationError) as info:
        settings()
    assert says in problems(info)
    assert value not in problems(info) or name == "STRIPE_CONNECT_FEE"
