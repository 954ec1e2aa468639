"""The public links Chipin hands out: built in one place so every surface agrees on them."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit


@dataclass(frozen=True, slots=True)
class Links:
    """Absolute URLs under the listener's public base URL (no trailing slash)."""

    base_url: str

    @classmethod
    def under(cls, public_base_url: str) -> Links:
        """Check the base URL once at start-up: a bad one fails loudly, not as dead QR codes."""
        base = public_base_url.strip().rstrip("/")
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("public_base_url must be an absolute http(s) URL")
        if parts.query or parts.fragment:
            raise ValueError("public_base_url must not have a query or a fragment")
        return cls(base)

    def pay(self, token: str) -> str:
        """The public payment link of an order: what its QR code encodes."""
        return f"{self.base_url}/pay/{quote(token, safe='')}"

    def qr(self, order_id: str) -> str:
        """Where the payee's API key fetches the order's QR image."""
        return f"{self.base_url}/api/v1/orders/{quote(order_id, safe='')}/qr.png"

    def transfer_qr(self, token: str, reference: str) -> str:
        """The payment QR image of one transfer: what the payer's banking app scans."""
        path = f"{quote(token, safe='')}/transfers/{quote(reference, safe='')}"
        return f"{self.base_url}/api/v1/pay/{path}/qr.png"

    def payout_return(self, token: str) -> str:
        """Where Stripe's hosted sign-up sends the payee back (gateways.stripe.connect)."""
        return f"{self.base_url}/payouts/stripe/return/{quote(token, safe='')}"

    def payout_refresh(self, token: str) -> str:
        """Where a payee gets a new sign-up link for an expired or used one."""
        return f"{self.base_url}/payouts/stripe/refresh/{quote(token, safe='')}"
