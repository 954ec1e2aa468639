"""The HTML skeleton of Chipin's card pages: the pay page and the passkey check."""

from __future__ import annotations

from html import escape


def card_page(title: str, style: str, body: str) -> str:
    """A whole page: `title` escaped, `style` and `body` (HTML) as given, in one card."""
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{style}</style></head>"
        f'<body><div class="card">{body}</div></body></html>'
    )
