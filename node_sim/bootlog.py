"""Boot events: what a netbooting node reports to its observer (the rack journal, the CLI's JSON lines).

Every DHCP exchange, TFTP and HTTP fetch, iPXE ``echo`` and the final outcome become one
:class:`BootEvent`.  Values pass through :func:`redact` first: kernel arguments such as
``rancher.password=monorail`` and URLs with user:password are journalled without the secret.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

_SECRET_ARG = re.compile(r"(?i)\b([\w.\-]*(?:password|passwd|secret|token)[\w.\-]*)=([^\s&]*)")
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)([^/@\s:]+):([^/@\s]*)@")
REDACTED = "***"


@dataclass(frozen=True)
class BootEvent:
    """One thing the node did: ``time`` (reactor seconds), ``node``, ``event`` (dotted name), ``fields``."""

    time: float
    node: str
    event: str
    fields: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"time": round(self.time, 6), "node": self.node, "event": self.event, **self.fields}


Observer = Callable[[BootEvent], None]


def redact(value: Any) -> Any:
    """``value`` with passwords in ``key=value`` arguments and URL user-info replaced by ``***``."""
    if isinstance(value, str):
        value = _SECRET_ARG.sub(lambda m: f"{m.group(1)}={REDACTED}", value)
        return _URL_USERINFO.sub(lambda m: f"{m.group(1)}{m.group(2)}:{REDACTED}@", value)
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    return value


def ignore(_event: BootEvent) -> None:
    """An observer that drops everything."""


class Emitter:
    """Builds events for one node with the clock's time and hands them, redacted, to ``observer``."""

    def __init__(self, node: str, clock: Any, observer: Observer) -> None:
        self.node = node
        self.clock = clock
        self.observer = observer

    def __call__(self, event: str, **fields: Any) -> None:
        self.observer(BootEvent(float(self.clock.seconds()), self.node, event, redact(fields)))
