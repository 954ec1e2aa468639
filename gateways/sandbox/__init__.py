"""The embedded sandbox payment gateway: hosted checkout pages, its own books, signed webhooks."""

from gateways.sandbox.gateway import SandboxGateway
from gateways.sandbox.outbox import Backoff
from gateways.sandbox.records import CheckoutView, PaymentState, PayResult
from gateways.sandbox.signing import SIGNATURE_HEADER, sign_header

__all__ = [
    "SIGNATURE_HEADER",
    "Backoff",
    "CheckoutView",
    "PayResult",
    "PaymentState",
    "SandboxGateway",
    "sign_header",
]
