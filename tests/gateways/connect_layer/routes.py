"""The layer's routes and middlewares on localstripe's aiohttp app (added before it runs)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from localstripe.resources import store
from localstripe.server import (
    api_create,
    api_delete,
    api_list_all,
    api_retrieve,
    api_update,
    get_post_data,
    unflatten_data,
)
from localstripe.webhooks import _webhooks as platform_webhooks

from tests.gateways.connect_layer import accounts, balance, hooks, links, patches
from tests.gateways.connect_layer.common import fail, listing, only, respond
from tests.gateways.connect_layer.money import (
    ApplicationFee,
    FeeRefund,
    Transfer,
    TransferReversal,
)

Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


def install(app: web.Application) -> None:
    # After localstripe's error middleware (its UserError answers), before its API-key
    # check: the onboarding page is for browsers, as connect.stripe.com is.
    app.middlewares.insert(1, _open_onboarding)
    # Innermost: a few of localstripe's routes served by the layer instead.
    app.middlewares.append(_overrides)
    add = app.router.add_route
    url = "/v1/accounts"
    add("POST", url, api_create(accounts.Account, url))
    add("GET", url + "/{id}", api_retrieve(accounts.Account, url))
    add("POST", url + "/{id}", api_update(accounts.Account, url))
    add("DELETE", url + "/{id}", api_delete(accounts.Account, url))
    add("GET", url, api_list_all(accounts.Account, url))
    for cls, url in ((Transfer, "/v1/transfers"), (ApplicationFee, "/v1/application_fees")):
        add("GET", url + "/{id}", api_retrieve(cls, url))
        add("GET", url, api_list_all(cls, url))
    add("GET", "/v1/transfers/{id}/reversals", _children(Transfer, TransferReversal, "reversals"))
    add("GET", "/v1/application_fees/{id}/refunds", _children(ApplicationFee, FeeRefund, "refunds"))
    add("POST", "/v1/account_links", links.create)
    add("GET", links.ONBOARDING_PATH + "{link_id}", links.page)
    add("POST", links.ONBOARDING_PATH + "{link_id}", links.submit)
    add("POST", "/_config/connect_webhooks/{id}", _register_connect_webhook)
    add("DELETE", "/_config/connect_webhooks/{id}", _unregister_connect_webhook)
    add("DELETE", "/_config/webhooks/{id}", _unregister_platform_webhook)
    add("POST", "/_config/accounts/{id}", _control_account)
    add("POST", "/_config/account_links/expire", _expire_link)


@web.middleware
async def _open_onboarding(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(links.ONBOARDING_PATH):
        return await request.match_info.handler(request)
    return await handler(request)


@web.middleware
async def _overrides(request: web.Request, handler: Handler) -> web.StreamResponse:
    resource = request.match_info.route.resource
    served = _OVERRIDES.get((request.method, resource.canonical if resource else ""))
    return await (served or handler)(request)


async def _balance(request: web.Request) -> web.StreamResponse:
    account_id = request.headers.get("Stripe-Account")
    if not account_id:
        return respond(balance.balance_doc(balance.of_platform(), balance.PLATFORM_CURRENCY))
    account = store.get(f"account:{account_id}")
    if account is None:
        raise fail(
            403,
            f"The provided key does not have access to account '{account_id}' (or that "
            "account does not exist). Application access may have been revoked.",
            code="account_invalid",
        )
    doc = balance.balance_doc(balance.of_account(account.id), account.default_currency)
    return respond(doc)


async def _capture(request: web.Request) -> web.StreamResponse:
    data = await get_post_data(request) or {}
    data.update(unflatten_data(request.query) or {})
    expand = data.pop("expand", None)
    intent = patches.capture(request.match_info["id"], data)
    return respond(intent._export(expand=expand))


_OVERRIDES: dict[tuple[str, str], Route] = {
    ("GET", "/v1/balance"): _balance,
    ("POST", "/v1/payment_intents/{id}/capture"): _capture,
}


def _children(parent: Any, child: Any, name: str) -> Route:
    field = "transfer" if child is TransferReversal else "fee"

    async def serve(request: web.Request) -> web.StreamResponse:
        found = parent._api_retrieve(request.match_info["id"])
        data = unflatten_data(request.query)
        data.pop("expand", None)
        limit, after = data.pop("limit", None), data.pop("starting_after", None)
        only(data, set())
        url = f"/v1/{parent.object}s/{found.id}/{name}"
        kept = listing(child.object, url, limit, after, lambda o: getattr(o, field) == found.id)
        return respond(kept._export())

    return serve


async def _register_connect_webhook(request: web.Request) -> web.StreamResponse:
    """Like localstripe's `/_config/webhooks/{id}`: `url`, `secret`, optional `events`."""
    data = await get_post_data(request) or {}
    url, secret, events = data.get("url"), data.get("secret"), data.get("events")
    if not isinstance(url, str) or not url.startswith("http"):
        raise fail(400, "Bad request: url", param="url")
    if not isinstance(secret, str) or not secret:
        raise fail(400, "Bad request: secret", param="secret")
    if events is not None and not isinstance(events, list):
        raise fail(400, "Bad request: events", param="events")
    kinds = tuple(str(e) for e in events) if events is not None else None
    hooks.register(request.match_info["id"], hooks.Endpoint(url, secret, kinds))
    return web.Response()


async def _unregister_connect_webhook(request: web.Request) -> web.StreamResponse:
    if not hooks.unregister(request.match_info["id"]):
        raise fail(404, "Not Found")
    return web.Response()


async def _unregister_platform_webhook(request: web.Request) -> web.StreamResponse:
    if platform_webhooks.pop(request.match_info["id"], None) is None:
        raise fail(404, "Not Found")
    return web.Response()


async def _control_account(request: web.Request) -> web.StreamResponse:
    account = accounts.Account._api_retrieve(request.match_info["id"])
    data = await get_post_data(request) or {}
    before = accounts.snapshot(account)
    accounts.control(account, dict(data))
    hooks.account_updated(account, before)
    return respond(account._export())


async def _expire_link(request: web.Request) -> web.StreamResponse:
    data = await get_post_data(request) or {}
    url = data.get("url")
    if not isinstance(url, str) or not links.expire(url):
        raise fail(404, "No such account link", param="url")
    return web.Response()
