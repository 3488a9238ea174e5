"""The control API as the command line uses it: which rack, one request, its errors as exit codes.

Every ``vrack`` subcommand that talks to a running rack goes through :func:`call_api`; an HTTP error
becomes a :class:`CliError` whose exit code comes from :data:`EXIT_FOR_STATUS`, the one table of them.
"""

from __future__ import annotations

import argparse
import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from vrack.statedir import running_racks, state_root

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_NO_RACK, EXIT_REFUSED, EXIT_UNAUTHORIZED = 0, 1, 2, 3, 4, 5
# The control API's statuses as exit codes, in one place: bad input 2, refused by the device's state 4.
EXIT_FOR_STATUS = {400: EXIT_USAGE, 404: EXIT_USAGE, 413: EXIT_USAGE, 409: EXIT_REFUSED, 401: EXIT_UNAUTHORIZED}


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_FAIL) -> None:
        super().__init__(message)
        self.code = code


def target_rack(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """The running rack ``--rack`` names, or the only one; its name and control file."""
    root = state_root(args.state_dir)
    racks = running_racks(root)
    if args.rack:
        for name, info in racks:
            if name == args.rack:
                return name, info
        names = ", ".join(n for n, _ in racks) or "none"
        raise CliError(f"no running rack named {args.rack!r} under {root} (running: {names})", EXIT_NO_RACK)
    if not racks:
        raise CliError(f"no running rack under {root}; start one with `vrack up SPEC`", EXIT_NO_RACK)
    if len(racks) > 1:
        raise CliError(f"several racks are running ({', '.join(n for n, _ in racks)}); choose one with --rack")
    return racks[0]


def segment(text: str) -> str:
    """A user's word as one URL path segment (names are matched by the rack, never interpreted as a path)."""
    return urllib.parse.quote(text, safe="")


def call_api(
    info: dict[str, Any], method: str, path: str, body: dict[str, Any] | None = None, timeout: float = 30
) -> Any:
    """``method path`` with a JSON ``body`` on the rack of control file ``info``; the JSON answer."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(info["api"] + path, data=data, method=method)
    request.add_header("content-type", "application/json")
    if info.get("token"):
        request.add_header("authorization", f"Bearer {info['token']}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise CliError(http_detail(exc), EXIT_FOR_STATUS.get(exc.code, EXIT_FAIL)) from None
    except (urllib.error.URLError, ConnectionError) as exc:
        raise CliError(f"cannot reach the rack at {info['api']}: {exc}", EXIT_NO_RACK) from None
    except (ValueError, http.client.HTTPException) as exc:  # e.g. InvalidURL: a request the CLI could not form
        raise CliError(f"cannot send that request: {exc}", EXIT_USAGE) from None


def http_detail(exc: urllib.error.HTTPError) -> str:
    try:
        detail = json.loads(exc.read()).get("error", exc.reason)
    except (json.JSONDecodeError, AttributeError):
        detail = exc.reason
    return str(detail)
