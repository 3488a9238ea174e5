"""One logging system for a running rack: the standard library's ``logging``.

vrack and the simulators log through ``logging.getLogger(...)``; whatever
still arrives through Twisted's logger (the reactor's own messages, Twisted
web) is forwarded into the same loggers by :func:`configure`, so ``vrack up``
writes one stream with one format to standard error (``vrack.log`` when
detached).  The level comes from ``--log-level`` or ``$VRACK_LOG_LEVEL``
(default ``WARNING``).  Secrets are never logged: messages name devices,
peers and commands, never passwords, keys, communities or tokens.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

LEVELS = ("debug", "info", "warning", "error")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_configured = False


def level_from(text: str | None) -> int:
    """A level name (``debug`` ... ``error``) or ``$VRACK_LOG_LEVEL``; ``WARNING`` by default."""
    name = (text or os.environ.get("VRACK_LOG_LEVEL") or "warning").lower()
    if name not in LEVELS:
        raise ValueError(f"log level must be one of {', '.join(LEVELS)} (got {name!r})")
    return int(getattr(logging, name.upper()))


def configure(level: int = logging.WARNING, stream: TextIO | None = None) -> None:
    """Send every logger, and Twisted's log events, to ``stream`` (default stderr) at ``level``.  Idempotent."""
    global _configured
    root = logging.getLogger()
    root.setLevel(level)
    if _configured:
        return
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    from twisted.logger import ILogObserver, STDLibLogObserver, globalLogBeginner

    observer = ILogObserver(STDLibLogObserver(name="twisted"))
    globalLogBeginner.beginLoggingTo([observer], redirectStandardIO=False)
    _configured = True
