"""The web view's resource in memory: the page and its files, a redirect to the slash, 404 for anything else."""

from __future__ import annotations

from twisted.web.resource import getChildForRequest
from twisted.web.test.requesthelper import DummyRequest

from tests.vrack.inmemory import MemoryRack
from vrack_web import PAGE_FILES


def _get(m: MemoryRack, path: str, headers: dict[str, str] | None = None) -> DummyRequest:
    request = DummyRequest([p.encode() for p in path.lstrip("/").split("/")])
    request.method = b"GET"
    request.uri = path.encode()
    for name, value in (headers or {}).items():
        request.requestHeaders.addRawHeader(name.encode(), value.encode())
    body = getChildForRequest(m.site.resource, request).render(request)
    request.write(body)
    request.finish()
    return request


def _header(request: DummyRequest, name: str) -> str:
    value = request.responseHeaders.getRawHeaders(name.encode())
    return value[0].decode() if value else ""


def test_the_rack_names_the_web_view_and_serves_each_file() -> None:
    m = MemoryRack()
    assert m.call("GET", "/api/v1/rack").body["web"] == ["/web/"]
    page = _get(m, "/web/")
    assert page.responseCode in (None, 200) and _header(page, "content-type").startswith("text/html")
    assert b"<title>vrack</title>" in b"".join(page.written)
    for name in PAGE_FILES:
        served = _get(m, f"/web/{name}")
        assert served.responseCode in (None, 200), name
        assert _header(served, "x-content-type-options") == "nosniff"
    assert _header(_get(m, "/web/app.js"), "content-type").startswith("text/javascript")


def test_redirect_not_found_and_not_modified() -> None:
    m = MemoryRack()
    bare = _get(m, "/web")
    assert bare.responseCode == 301 and _header(bare, "location") == "/web/"
    missing = _get(m, "/web/control.json")
    assert missing.responseCode == 404 and b"it serves index.html" in b"".join(missing.written)
    assert _get(m, "/web/static/app.js").responseCode == 404
    etag = _header(_get(m, "/web/style.css"), "etag")
    assert _get(m, "/web/style.css", {"if-none-match": etag}).responseCode == 304
