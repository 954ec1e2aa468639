"""Runs localstripe on 127.0.0.1 only, from an empty store that is never written to disk.

`python -m tests.gateways.localstripe_launcher PORT`. localstripe's own command binds every
interface and reloads (and rewrites, after every change) a pickle file in the shared temp
folder; this launcher does neither. It adds Stripe Connect to it (tests.gateways.connect_layer:
accounts, onboarding, destination charges, Connect webhooks), which localstripe lacks.
"""

from __future__ import annotations

import logging
import sys

from aiohttp import web
from localstripe.resources import store
from localstripe.server import app

from tests.gateways.connect_layer import install as install_connect


def main(argv: list[str]) -> None:
    port = int(argv[1])
    store.clear()
    store.dump_to_disk = lambda: None  # keep the state in this process only
    install_connect(app)
    logging.basicConfig(level=logging.INFO, format="localstripe %(levelname)s %(message)s")
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main(sys.argv)
