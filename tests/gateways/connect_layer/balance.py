"""`GET /v1/balance`: the platform's, or with `Stripe-Account: acct_…` a connected account's.

localstripe's own balance is a constant (2000 eur, not even in Stripe's shape); this one is
computed from what happened, per currency, all of it available at once:

- a connected account: transfers in − their reversals − application fees + fee refunds;
- the platform: localstripe's balance transactions (charges in, refunds out) − transfers
  out + reversals back + application fees in − fee refunds out.

So after a destination charge refunded in full with `reverse_transfer` and
`refund_application_fee`, both balances are back where they were: the platform never pays
the refund.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from tests.gateways.connect_layer.common import stored

PLATFORM_CURRENCY = "usd"


def of_account(account_id: str) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for transfer in stored("transfer"):
        if transfer.destination == account_id:
            totals[transfer.currency] += transfer.amount - transfer.amount_reversed
    for fee in stored("application_fee"):
        if fee.account == account_id:
            totals[fee.currency] -= fee.amount - fee.amount_refunded
    return dict(totals)


def of_platform() -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for txn in stored("balance_transaction"):
        if txn.status == "available":
            totals[txn.currency] += txn.net
    for transfer in stored("transfer"):
        totals[transfer.currency] -= transfer.amount - transfer.amount_reversed
    for fee in stored("application_fee"):
        totals[fee.currency] += fee.amount - fee.amount_refunded
    return dict(totals)


def balance_doc(totals: dict[str, int], default_currency: str) -> dict[str, Any]:
    currencies = sorted(totals) or [default_currency]
    return {
        "object": "balance",
        "available": [
            {"amount": totals.get(c, 0), "currency": c, "source_types": {"card": totals.get(c, 0)}}
            for c in currencies
        ],
        "connect_reserved": [],
        "livemode": False,
        "pending": [{"amount": 0, "currency": c, "source_types": {"card": 0}} for c in currencies],
    }
