"""What the control API accepts from a request: a bounded body holding a JSON object, UTF-8 query values,
numbers written in ASCII digits.  Anything else is an :class:`~vrack.errors.InvalidArgument` (400) or, for a
body over :data:`MAX_BODY` bytes, :class:`~vrack.errors.RequestTooLarge` (413), naming the parameter.
"""

from __future__ import annotations

import json
from typing import Any

from twisted.web import server

from vrack.errors import InvalidArgument, RequestTooLarge

MAX_BODY = 1 << 20
MAX_NUMBER_DIGITS = 9


class LimitedRequest(server.Request):
    """A request that keeps at most :data:`MAX_BODY` bytes of body; more marks it too large."""

    too_large = False

    def gotLength(self, length: int | None) -> None:
        if length is not None and length > MAX_BODY:
            self.too_large = True
            length = 0
        super().gotLength(length)

    def handleContentChunk(self, data: bytes) -> None:
        if self.too_large:
            return
        content: Any = self.content
        if content.tell() + len(data) > MAX_BODY:
            self.too_large = True
            content.seek(0)
            content.truncate()
            return
        super().handleContentChunk(data)


def json_body(request: Any) -> dict[str, Any]:
    """The request body as a JSON object (``{}`` when empty); :class:`InvalidArgument` otherwise."""
    if isinstance(request, LimitedRequest) and request.too_large:
        raise RequestTooLarge(f"request body over {MAX_BODY} bytes", "body", [f"at most {MAX_BODY} bytes"])
    raw = request.content.read() if request.content is not None else b""
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # bad JSON, bad UTF-8, nesting beyond the parser's depth
        raise InvalidArgument(f"request body is not JSON: {type(exc).__name__}: {str(exc)[:120]}", "body") from None
    if not isinstance(data, dict):
        raise InvalidArgument("request body must be a JSON object", "body")
    return data


def ascii_number(text: str, parameter: str, low: int = 0, high: int | None = None) -> int:
    """``text`` as a non-negative integer written in ASCII digits, within ``low..high``."""
    if not (text.isascii() and text.isdigit() and len(text) <= MAX_NUMBER_DIGITS):
        raise InvalidArgument(f"{parameter} must be a number written in digits 0-9 (got {text!r})", parameter)
    value = int(text)
    if value < low or (high is not None and value > high):
        shown = f"{low}..{high}" if high is not None else f"{low} or more"
        raise InvalidArgument(f"{parameter} must be {shown} (got {value})", parameter, [shown])
    return value


def query_number(request: Any, name: str, default: int, low: int = 0, high: int | None = None) -> int:
    values = request.args.get(name.encode()) if request.args else None
    if not values:
        return default
    return ascii_number(utf8_text(values[0], name), name, low, high)


def query_text(request: Any, name: str) -> str | None:
    values = request.args.get(name.encode()) if request.args else None
    return utf8_text(values[0], name) if values else None


def utf8_text(raw: bytes, parameter: str) -> str:
    """``raw`` (a path segment or query value) as text; not UTF-8 is an InvalidArgument naming ``parameter``."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidArgument(f"{parameter} is not UTF-8", parameter) from None
