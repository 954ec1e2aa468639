"""The Stripe gateway: PaymentIntents, Chipin's own pay page with Stripe.js, signed webhooks."""

from gateways.stripe.events import HANDLED_TYPES
from gateways.stripe.gateway import (
    DEFAULT_JS_URL,
    SIGNATURE_HEADER,
    PayPage,
    StripeGateway,
    check_keys,
)

__all__ = [
    "DEFAULT_JS_URL",
    "HANDLED_TYPES",
    "SIGNATURE_HEADER",
    "PayPage",
    "StripeGateway",
    "check_keys",
]
