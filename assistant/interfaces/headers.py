"""Security headers for every response: what the browser may do with what Penny sends.

The chat page keeps a bearer token in the browser, so it runs only its own script and
style (no inline code, nothing from elsewhere), may not be framed, and leaks no referrer.
API responses are data, never to be sniffed into HTML or cached by a shared proxy. FastAPI's
own /docs and /redoc pages load Swagger UI and ReDoc from a CDN; they get the frame and
sniffing rules but not a script policy that would blank them.
"""

from __future__ import annotations

from assistant.billing.report_html import STYLE_HASH

__all__ = ["API_CSP", "BILL_CSP", "PAGE_CSP", "security_headers"]

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'; object-src 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; sandbox"
#: the HTML bill, a document of its own: its one style block (by hash) and its charts
#: (PNG data URIs), nothing else — under API_CSP a browser showed it unstyled, charts
#: broken. Set by the route; the middleware adds a CSP only where a response has none.
BILL_CSP = (
    f"default-src 'none'; style-src {STYLE_HASH}; img-src data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'; sandbox"
)

_COMMON = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}
_DOCS = ("/docs", "/redoc", "/openapi.json")


def security_headers(path: str) -> dict[str, str]:
    """Headers for a response to ``path`` (the page, its assets, the docs, or the API)."""
    headers = dict(_COMMON)
    if path == "/" or path.startswith("/static/"):
        headers["content-security-policy"] = PAGE_CSP
    elif not path.startswith(_DOCS):
        headers["content-security-policy"] = API_CSP
        headers["cache-control"] = "no-store"
    return headers
