"""The HTML skeleton of Chipin's card pages: the pay page and the passkey check."""

from __future__ import annotations

from html import escape

#: The look every card page shares: one narrow card in the middle of the page.
BASE_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;"
    "color:#222;line-height:1.4}.card{border:1px solid #ddd;border-radius:.6rem;"
    "padding:1rem 1.2rem}.note{color:#666;font-size:.85rem}"
)
#: The Content-Security-Policy of a page without scripts, forms or images.
STATIC_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def card_page(title: str, style: str, body: str) -> str:
    """A whole page: `title` escaped, `style` and `body` (HTML) as given, in one card."""
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{style}</style></head>"
        f'<body><div class="card">{body}</div></body></html>'
    )
