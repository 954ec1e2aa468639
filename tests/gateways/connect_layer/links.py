"""Account Links and the hosted onboarding they open (a stand-in for connect.stripe.com).

`POST /v1/account_links` answers a link to `{this server}/connect/onboarding/{link_id}`
(the base is the request's own Host). The page names the account and has two buttons:
"Agree and submit" completes onboarding, "Submit without ID document" leaves the account
restricted (accounts.complete, accounts.without_document). Submitting updates the account,
sends `account.updated`, and answers 303 to the link's `return_url`.

A link is single use, as Stripe's: once visited (GET), a second visit, and once submitted,
any request, is sent 303 to its `refresh_url`; so is every request after `expires_at`
(created + 300 s, or at once after `POST /_config/account_links/expire` with its `url`).
"""

from __future__ import annotations

import html
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from localstripe.resources import store
from localstripe.server import get_post_data

from tests.gateways.connect_layer import accounts, hooks
from tests.gateways.connect_layer.common import as_text, fail, missing, only, respond

ONBOARDING_PATH = "/connect/onboarding/"
LIFETIME_S = 300
TYPES = ("account_onboarding", "account_update")
OUTCOMES: dict[str, Callable[[Any], None]] = {
    "agree": accounts.complete,
    "no_document": accounts.without_document,
}
PARAMS = frozenset(
    {"account", "collect", "collection_options", "refresh_url", "return_url", "type"}
)


@dataclass
class Link:
    account: str
    refresh_url: str
    return_url: str
    type: str
    expires_at: int
    visited: bool = False
    used: bool = False

    def expired(self) -> bool:
        return time.time() >= self.expires_at


_links: dict[str, Link] = {}


async def create(request: web.Request) -> web.StreamResponse:
    data = await get_post_data(request) or {}
    data.pop("expand", None)
    only(data, PARAMS)
    account_id = as_text(data.get("account"), "account")
    if not account_id:
        raise missing("account")
    kind = as_text(data.get("type"), "type")
    if not kind:
        raise missing("type")
    if kind not in TYPES:
        raise fail(
            400, "Invalid type: must be one of account_onboarding or account_update", param="type"
        )
    refresh_url = _url(data.get("refresh_url"), "refresh_url")
    return_url = _url(data.get("return_url"), "return_url")
    collect = as_text(data.get("collect"), "collect")
    if collect not in (None, "currently_due", "eventually_due"):
        raise fail(
            400, "Invalid collect: must be one of currently_due or eventually_due", param="collect"
        )
    account = store.get(f"account:{account_id}")
    if account is None:
        raise fail(
            400, f"No such account: '{account_id}'", param="account", code="resource_missing"
        )
    if kind == "account_update" and account.controller["stripe_dashboard"]["type"] != "none":
        raise fail(
            400,
            "You cannot create `account_update` type Account Links for accounts that have "
            "access to a Stripe-hosted Dashboard: only for accounts where your platform is "
            "responsible for collecting requirements.",
            param="type",
        )
    link_id = secrets.token_urlsafe(24)
    created = int(time.time())
    _links[link_id] = Link(account_id, refresh_url, return_url, kind, created + LIFETIME_S)
    return respond(
        {
            "object": "account_link",
            "created": created,
            "expires_at": created + LIFETIME_S,
            "url": f"{request.scheme}://{request.host}{ONBOARDING_PATH}{link_id}",
        }
    )


def _url(value: object, param: str) -> str:
    url = as_text(value, param)
    if not url:
        raise missing(param)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise fail(400, "Not a valid URL", param=param, code="url_invalid")
    return url


async def page(request: web.Request) -> web.StreamResponse:
    link = _links.get(request.match_info["link_id"])
    if link is None:
        return _html(404, "<h1>This link is not valid</h1>")
    if link.visited or link.used or link.expired():
        return _see_other(link.refresh_url)
    link.visited = True
    account = store.get(f"account:{link.account}")
    if account is None:
        return _html(404, "<h1>This account no longer exists</h1>")
    return _html(200, _form(request.match_info["link_id"], account, link))


async def submit(request: web.Request) -> web.StreamResponse:
    link = _links.get(request.match_info["link_id"])
    if link is None:
        return _html(404, "<h1>This link is not valid</h1>")
    if link.used or link.expired():
        return _see_other(link.refresh_url)
    form = await request.post()
    apply = OUTCOMES.get(str(form.get("outcome", "")))
    account = store.get(f"account:{link.account}")
    if apply is None or account is None:
        return _html(400, "<h1>Choose one of the buttons</h1>")
    link.used = True
    before = accounts.snapshot(account)
    apply(account)
    hooks.account_updated(account, before)
    return _see_other(link.return_url)


def expire(url: str) -> bool:
    """The test control: the link of this url expires now."""
    link = _links.get(urlsplit(url).path.removeprefix(ONBOARDING_PATH))
    if link is None:
        return False
    link.expires_at = int(time.time())
    return True


def _form(link_id: str, account: Any, link: Link) -> str:
    name = html.escape(account.id)
    email = html.escape(account.email or "no email given")
    action = html.escape(ONBOARDING_PATH + link_id)
    due = "".join(f"<li>{html.escape(x)}</li>" for x in account.requirements["currently_due"])
    return (
        f"<h1>Set up payouts for {name}</h1>"
        f"<p>Stripe Express account <code id='account'>{name}</code> ({email}), "
        f"country {html.escape(account.country)}, {html.escape(link.type)}.</p>"
        f"<p>Still needed:</p><ul>{due or '<li>nothing</li>'}</ul>"
        f"<form method='post' action='{action}'>"
        "<button type='submit' id='agree' name='outcome' value='agree'>Agree and submit"
        "</button> "
        "<button type='submit' id='no-document' name='outcome' value='no_document'>"
        "Submit without ID document</button></form>"
    )


def _html(status: int, body: str) -> web.Response:
    text = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<title>Stripe Connect onboarding (localstripe test stand-in)</title></head>"
        f"<body>{body}</body></html>"
    )
    return web.Response(status=status, text=text, content_type="text/html")


def _see_other(url: str) -> web.Response:
    return web.Response(status=303, headers={"Location": url})
