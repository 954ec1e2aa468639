"""The Stripe gateway: PaymentIntents, Chipin's own pay page with Stripe.js, signed webhooks."""

from gateways.stripe.connect import CONNECT_TYPES, StripeConnect
from gateways.stripe.events import HANDLED_TYPES
from gateways.stripe.gateway import (
    DEFAULT_JS_URL,
    PayPage,
    StripeGateway,
    check_keys,
)
from gateways.stripe.signing import SIGNATURE_HEADER

__all__ = [
    "CONNECT_TYPES",
    "DEFAULT_JS_URL",
    "HANDLED_TYPES",
    "SIGNATURE_HEADER",
    "PayPage",
    "StripeConnect",
    "StripeGateway",
    "check_keys",
]
