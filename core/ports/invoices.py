"""Telegram Payments as the bot uses them: invoice payloads, provider tokens, Stars refunds.

The telegram gateway (gateways/telegram) implements `Invoices`; the bot implements
`StarRefunds` (refundStarPayment) and the composition root gives it to the gateway when
both are built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from core.ports.store import GatewayEvent


@dataclass(frozen=True, slots=True)
class InvoiceRef:
    """What a verified invoice payload says: the part, and what its invoice asks."""

    sub_order_id: str
    amount_minor: int
    currency: str


class Invoices(Protocol):
    """What the bot needs of the telegram gateway to send invoices and take their payments."""

    def read_payload(self, payload: str) -> InvoiceRef | None:
        """The part an invoice payload names; None if Chipin did not make the payload."""
        ...

    def provider_token_for(self, currency: str) -> str:
        """What sendInvoice takes as provider_token: '' for Stars, else the provider's."""
        ...

    async def payment_event(
        self,
        *,
        charge_id: str,
        payload: str,
        amount_minor: int,
        currency: str,
        user_id: int,
        payer_ref: str,
        payer_name: str | None,
    ) -> GatewayEvent:
        """A `successful_payment`, written down (who paid), as the event the engine applies."""
        ...


class StarRefunds(Protocol):
    """refundStarPayment, as the bot makes it; raises GatewayRetryable or GatewayFinal."""

    async def __call__(self, user_id: int, charge_id: str) -> None: ...
