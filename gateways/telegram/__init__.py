"""Telegram Payments: invoices in the payer's private chat, Stars refunds, refunds owed by hand."""

from gateways.telegram.charges import Charge
from gateways.telegram.gateway import CHECKOUT_URL, StarRefunds, TelegramGateway
from gateways.telegram.payloads import InvoiceRef

__all__ = ["CHECKOUT_URL", "Charge", "InvoiceRef", "StarRefunds", "TelegramGateway"]
