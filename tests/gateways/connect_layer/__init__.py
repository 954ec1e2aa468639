"""Stripe Connect for localstripe: connected accounts, hosted onboarding, destination
charges with their transfers, application fees and refunds, and Connect webhooks.

Test code only, never shipped: it runs inside the localstripe process (GPL-3), where
tests/gateways/localstripe_launcher.py calls `install(app)` before the server starts.
localstripe itself answers 400 to every Connect parameter.

What it adds, following Stripe's API reference:

- accounts: `/v1/accounts` (create, retrieve, update, delete, list); a new Express
  account is restricted: nothing enabled, its `requirements` all due and past due
  (`disabled_reason` "requirements.past_due"), its requested capabilities inactive.
- links: `POST /v1/account_links`, and the onboarding page each link opens.
- patches: `transfer_data`, `application_fee_amount`, `on_behalf_of`, `transfer_group`
  on PaymentIntents; `reverse_transfer`, `refund_application_fee` on refunds.
- money: the transfer and the fee made at capture, the reversals and fee refunds of
  refunds; `/v1/transfers[/{id}[/reversals]]`, `/v1/application_fees[/{id}[/refunds]]`.
- balance: `GET /v1/balance`, the platform's or (`Stripe-Account`) an account's, computed
  from all of the above (it replaces localstripe's constant one).
- hooks: `account.updated` (top-level `account`, `data.previous_attributes`) to the
  endpoints of `POST /_config/connect_webhooks/{id}` only, signed as localstripe signs;
  and localstripe's platform webhooks sent to each endpoint independently, with a
  timeout (one endpoint that never answers held up the others).

Test controls, without keys like localstripe's own `/_config/`:
`POST /_config/accounts/{id}` (charges_enabled, payouts_enabled, details_submitted,
disabled_reason, currently_due[], past_due[], eventually_due[], current_deadline,
capabilities[name]=active|inactive|pending; sends account.updated),
`POST /_config/account_links/expire` (url), `DELETE /_config/connect_webhooks/{id}` and
`DELETE /_config/webhooks/{id}` (unregister). State lives in the process only.
"""

from __future__ import annotations

from aiohttp import web

from tests.gateways.connect_layer import hooks, patches, routes

__all__ = ["install"]


def install(app: web.Application) -> None:
    """Add the layer to localstripe's app (before it starts: its routes freeze then)."""
    patches.install()
    hooks.install()
    routes.install(app)
