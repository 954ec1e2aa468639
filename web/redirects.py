"""A path that differs from a route only by a trailing slash: redirected under the public
base URL (CHIPIN_PUBLIC_URL), never to the Host header the client sent.

Starlette's own redirect_slashes builds the Location from the request's Host, so anyone
could have a link of theirs answered with a redirect to a host of their choosing.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import RedirectResponse
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from web.links import Links


def slash_redirects(router: Router, links: Links) -> ASGIApp:
    """The router's default app (its redirect_slashes turned off): a 307 to the same path
    with the trailing slash added or taken off, when a route takes that; else not found."""
    not_found = router.not_found

    async def default(scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path != "/":
            other = path.rstrip("/") if path.endswith("/") else path + "/"
            if any(
                route.matches({**scope, "path": other})[0] != Match.NONE for route in router.routes
            ):
                query = scope.get("query_string", b"").decode("latin-1")
                url = links.base_url + quote(other) + (f"?{query}" if query else "")
                await RedirectResponse(url, status_code=307)(scope, receive, send)
                return
        await not_found(scope, receive, send)

    return default
