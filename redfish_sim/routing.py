"""The request model and the route table shared by the resource modules.

A :class:`Route` is a URI template (``/redfish/v1/Systems/{system}``, with ``{...}`` matching one path
segment) and, per HTTP method, a handler plus the Redfish privilege it needs (DSP0266 section 13.2:
Login, ConfigureComponents, ConfigureManager, ConfigureUsers, ConfigureSelf).  Handlers get a
:class:`Call` and return a :class:`Reply` or raise :class:`~redfish_sim.errors.RedfishError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redfish_sim.device import Account, RedfishDevice
    from redfish_sim.service import RedfishService

ROLE_PRIVILEGES = {
    "Administrator": frozenset({"Login", "ConfigureComponents", "ConfigureManager", "ConfigureUsers", "ConfigureSelf"}),
    "Operator": frozenset({"Login", "ConfigureComponents", "ConfigureSelf"}),
    "ReadOnly": frozenset({"Login", "ConfigureSelf"}),
}


@dataclass
class Call:
    """One authenticated request as a handler sees it."""

    service: RedfishService
    method: str
    path: str
    params: dict[str, str]
    body: dict[str, Any]
    account: Account | None
    session_id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def device(self) -> RedfishDevice:
        return self.service.device


@dataclass
class Reply:
    status: int = 200
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    after: Callable[[], None] | None = None  # run once the response is written (e.g. a BMC reset)
    raw: bytes | None = None  # a non-JSON body ($metadata), sent with ``content_type``
    content_type: str = "application/json; charset=utf-8"


Handler = Callable[[Call], Reply]


@dataclass
class Route:
    template: str
    methods: dict[str, tuple[Handler, str]]
    operation: str  # a short name for the journal, e.g. "system"
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.template))
        self.pattern = re.compile(f"^{regex}$")


def route(template: str, operation: str, **methods: tuple[Handler, str]) -> Route:
    """``route("/redfish/v1/Systems", "systems", GET=(list_systems, "Login"))``."""
    return Route(template, methods, operation)
