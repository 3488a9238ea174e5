"""Serving the page: a fixed set of static files from the package, read once, never a directory listing.

The files hold no rack data and no secrets, so they are served without the control API's token;
everything the page shows it fetches from the API, which checks the token when the rack has one
(the page takes it from the URL fragment, ``/web/#token=...``, which browsers never send to servers).
"""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import Any

from twisted.web import resource

CONTENT_TYPES = {
    ".html": b"text/html; charset=utf-8",
    ".css": b"text/css; charset=utf-8",
    ".js": b"text/javascript; charset=utf-8",
    ".svg": b"image/svg+xml",
}
PAGE_FILES = ("index.html", "style.css", "app.js", "api.js", "elevation.js", "details.js", "journal.js", "sentences.js")
# The page loads only its own files and talks only to its own origin (the control API).
SECURITY_HEADERS = {
    b"content-security-policy": b"default-src 'self'; img-src 'self' data:; object-src 'none'; "
    b"base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",
    b"cache-control": b"no-cache",
}


class WebView(resource.Resource):
    """``/web/`` (the page) and ``/web/<file>`` for the files in :data:`PAGE_FILES`; anything else is a 404."""

    isLeaf = True

    def __init__(self) -> None:
        super().__init__()
        static = resources.files("vrack_web") / "static"
        self.files: dict[str, tuple[bytes, bytes, bytes]] = {}
        for name in PAGE_FILES:
            body = (static / name).read_bytes()
            etag = b'"' + hashlib.sha256(body).hexdigest()[:20].encode() + b'"'
            self.files[name] = (CONTENT_TYPES[name[name.rindex(".") :]], body, etag)

    def render_GET(self, request: Any) -> bytes:
        path = [p.decode("utf-8", "replace") for p in request.postpath]
        if not path:  # /web without its slash: the page's relative links need the slash
            request.setResponseCode(301)
            request.setHeader(b"location", b"/web/")
            return b""
        name = "index.html" if path == [""] else "/".join(path)
        found = self.files.get(name)
        if found is None:
            request.setResponseCode(404)
            request.setHeader(b"content-type", b"text/plain; charset=utf-8")
            return f"no such file in the web view: {name} (it serves {', '.join(PAGE_FILES)})".encode()
        content_type, body, etag = found
        for header, value in SECURITY_HEADERS.items():
            request.setHeader(header, value)
        request.setHeader(b"content-type", content_type)
        request.setHeader(b"etag", etag)
        if request.getHeader(b"if-none-match") == etag:
            request.setResponseCode(304)
            return b""
        return body


def mount(control: Any) -> dict[str, resource.Resource]:
    """The ``vrack.web`` entry point: the web view at ``/web/`` of the control API's server."""
    return {"web": WebView()}
