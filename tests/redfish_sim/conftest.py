"""A Redfish service on a bmc_sim BMC driven by a fake clock, and a tiny client for it (no sockets)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from twisted.internet import task

from bmc_sim.config import LanConfig, Privilege, UserConfig
from bmc_sim.device import Bmc
from bmc_sim.models import build_config
from redfish_sim import HttpRequest, HttpResponse, RedfishService, RequestRecord, all_routes
from redfish_sim.bmc_device import BmcBackedDevice, identity_from_config
from redfish_sim.device import HostNic, Inventory, Processor

USERS = (
    UserConfig(2, "admin", "adminpw"),
    UserConfig(3, "oper", "operpw", Privilege.OPERATOR),
    UserConfig(4, "viewer", "viewerpw", Privilege.USER),
)


def basic(user: str, password: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@dataclass
class Harness:
    clock: task.Clock
    bmc: Bmc
    service: RedfishService
    records: list[RequestRecord] = field(default_factory=list)

    def call(
        self, method: str, uri: str, body: Any = None, headers: dict[str, str] | None = None, raw: bytes | None = None
    ) -> HttpResponse:
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        answer = self.service.handle(
            HttpRequest(
                method, uri, headers if headers is not None else basic("admin", "adminpw"), payload, "127.0.0.1:40000"
            )
        )
        assert answer is not None
        if answer.after is not None:
            answer.after()
        return answer

    def json(self, method: str, uri: str, body: Any = None, **kw: Any) -> tuple[int, dict[str, Any]]:
        answer = self.call(method, uri, body, **kw)
        return answer.status, json.loads(answer.body) if answer.body else {}


@pytest.fixture
def rf() -> Harness:
    clock = task.Clock()
    clock.advance(1000)
    config = build_config(
        "quanta-d51",
        name="n1",
        lan=LanConfig("127.66.0.9", "2c:60:0c:00:00:01"),
        users=USERS,
        serial="SER1",
        mc_reset_time=5.0,
    )
    bmc = Bmc(config, clock)
    inventory = Inventory(
        processors=(Processor("CPU0", "Intel", "Xeon", 8, 16, 3000),),
        nics=(HostNic("eth0", "2c:60:0c:aa:bb:01", 1000),),
    )
    device = BmcBackedDevice(bmc, identity_from_config(config), inventory)
    harness = Harness(clock, bmc, RedfishService(device, clock, all_routes(), session_limit=2, session_timeout=60))
    harness.service.observer = harness.records.append
    return harness
