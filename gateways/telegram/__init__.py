"""Telegram Payments: invoices in the payer's private chat, Stars refunds, refunds owed by hand."""

from gateways.telegram.charges import Charge
from gateways.telegram.gateway import CHECKOUT_URL, TelegramGateway

__all__ = ["CHECKOUT_URL", "Charge", "TelegramGateway"]
