"""Handles on a running rack's devices, read and driven through its control API.

Both modes (a child ``vrack up`` and an in-process rack) serve the same control API on loopback,
so the handles are the same: every property that can change (power, outlet and port state, users)
is read live from the rack; identities (MACs, serials, UUIDs, addresses) come from the rack too.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

POWER_ACTIONS = ("on", "off", "cycle", "reset", "soft")


class RackApiError(RuntimeError):
    """The rack refused a request; the message is the control API's error (naming the parameter)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        text = str(body.get("error", body))
        if body.get("valid"):
            text += f" (valid: {', '.join(map(str, body['valid']))})"
        super().__init__(text)
        self.status = status
        self.body = body


class ControlClient:
    """JSON over HTTP to the rack's control API (and the test kit's routes beside it)."""

    def __init__(self, url: str, timeout: float = 30.0, token: str | None = None) -> None:
        self.url = url
        self.timeout = timeout
        self._token = token  # a remotely reachable API's token (control.allow_remote); never printed

    def __repr__(self) -> str:
        return f"ControlClient({self.url!r})"

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, timeout: float | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("content-type", "application/json")
        if self._token:
            request.add_header("authorization", f"Bearer {self._token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            try:
                detail = json.loads(exc.read())
            except ValueError:
                detail = {"error": exc.reason}
            raise RackApiError(exc.code, detail) from None

    def get(self, path: str) -> Any:
        return self.call("GET", path)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.call("POST", path, body)


@dataclass(frozen=True)
class BmcCredential:
    """A BMC user as the test needs it to log in (never printed by the test kit)."""

    name: str
    password: str = ""
    privilege: str = "administrator"

    def __repr__(self) -> str:  # keep secrets out of assertion messages and logs
        return f"BmcCredential(name={self.name!r}, password=<hidden>, privilege={self.privilege!r})"


@dataclass(frozen=True)
class SnmpCommunity:
    name: str
    access: str

    def __repr__(self) -> str:
        return f"SnmpCommunity(name=<hidden>, access={self.access!r})"


class BmcHandle:
    """Where a node's BMC listens, and its live users."""

    def __init__(self, client: ControlClient, node: str, info: dict[str, Any]) -> None:
        self._client = client
        self._node = node
        self.address: str = info["address"]
        self.port: int = int(info.get("bound_port") or info["port"])
        self.mac: str = info["mac"]
        redfish = info.get("redfish") or {}
        self.redfish_port: int | None = redfish.get("https_port")  # HTTPS, None when the spec turns it off
        self.redfish_http_port: int | None = redfish.get("http_port")  # plain HTTP, None unless asked
        self.redfish_ca: str | None = redfish.get("ca_file")  # PEM of the rack's CA: verify= for HTTPS clients

    @property
    def redfish_url(self) -> str:
        """``https://ADDRESS:PORT`` of the BMC's Redfish service (plain ``http://`` when only HTTP is on)."""
        if self.redfish_port is not None:
            return f"https://{self.address}:{self.redfish_port}"
        if self.redfish_http_port is not None:
            return f"http://{self.address}:{self.redfish_http_port}"
        raise RuntimeError("this BMC serves no Redfish (bmc.redfish.enabled is false)")

    @property
    def users(self) -> list[BmcCredential]:
        found = self._client.get(f"/api/v1/devices/{quote(self._node, safe='')}/credentials")
        return [BmcCredential(u["name"], u["password"], u["privilege"]) for u in found["bmc"]["users"]]


class NodeHandle:
    """A compute node: its BMC endpoint and identity, power, SEL and sensors."""

    def __init__(self, client: ControlClient, info: dict[str, Any]) -> None:
        self._client = client
        self.name: str = info["name"]
        self.bmc = BmcHandle(client, self.name, info["bmc"])
        self.nic_macs: list[str] = [nic["mac"] for nic in info["nics"]]
        self.serial: str = info["serial"]
        self.uuid: str = info["uuid"]
        self.model: str = info["model"]

    def describe(self) -> dict[str, Any]:
        found: dict[str, Any] = self._client.get(f"/api/v1/devices/{self.name}")
        return found

    def power_state(self) -> str:
        """``"on"`` or ``"off"`` (host power, as the BMC reports it)."""
        return "on" if self.describe()["power"] else "off"

    def power(self, action: str) -> str:
        """Chassis control through the BMC (``on``, ``off``, ``cycle``, ``reset``, ``soft``); the state after."""
        if action not in POWER_ACTIONS:
            raise ValueError(f"action must be one of {', '.join(POWER_ACTIONS)} (got {action!r})")
        found = self._client.post(f"/api/v1/devices/{self.name}/power", {"action": action})
        return "on" if found["power"] else "off"

    def sel(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self._client.get(f"/api/v1/devices/{self.name}/sel")
        return entries

    def sel_add(
        self, sensor_type: int, sensor_number: int, offset: int = 0, *, asserted: bool = True, **fields: int
    ) -> int:
        """Log a system event in the BMC's SEL (as the BMC itself would); returns its record id."""
        body = {"sensor_type": sensor_type, "sensor_number": sensor_number, "offset": offset, "asserted": asserted}
        return int(self._client.post(f"/api/v1/devices/{self.name}/sel", {**body, **fields})["id"])

    def sensors(self) -> list[dict[str, Any]]:
        readings: list[dict[str, Any]] = self._client.get(f"/api/v1/devices/{self.name}/sensors")
        return readings

    def set_sensor(self, name: str, value: float | None) -> dict[str, Any]:
        """Hold threshold sensor ``name`` at ``value`` (``None`` releases it) while the host runs; the thresholds
        it crosses are logged in the SEL as the BMC would.  Returns the new reading."""
        path = f"/api/v1/devices/{self.name}/sensors/{quote(name, safe='')}"
        reading: dict[str, Any] = self._client.post(path, {"value": value})
        return reading


class OutletHandle:
    def __init__(self, client: ControlClient, pdu: str, number: int) -> None:
        self._client = client
        self.pdu = pdu
        self.number = number

    @property
    def on(self) -> bool:
        info = self._client.get(f"/api/v1/devices/{self.pdu}")
        return bool(next(o for o in info["outlets"] if o["outlet"] == self.number)["on"])

    def set(self, action: str) -> bool:
        """``on``, ``off`` or ``reboot``; returns whether the outlet is on afterwards."""
        info = self._client.post(f"/api/v1/pdus/{self.pdu}/outlets/{self.number}", {"action": action})
        return bool(next(o for o in info["outlets"] if o["outlet"] == self.number)["on"])


class SnmpDeviceHandle:
    def __init__(self, client: ControlClient, info: dict[str, Any], communities: list[SnmpCommunity]) -> None:
        self._client = client
        self.name: str = info["name"]
        self.address: str = info["address"]
        self.port: int = int(info.get("bound_port") or info["port"])
        self.serial: str = info.get("serial", "")
        self.communities = communities

    def describe(self) -> dict[str, Any]:
        found: dict[str, Any] = self._client.get(f"/api/v1/devices/{self.name}")
        return found


class PduHandle(SnmpDeviceHandle):
    def outlet(self, number: int) -> OutletHandle:
        return OutletHandle(self._client, self.name, number)


class SwitchHandle(SnmpDeviceHandle):
    def port_state(self, number: int) -> dict[str, Any]:
        """The port as the switch reports it (``oper_up``, ``peer``, ...)."""
        for port in self.describe()["ports"]:
            if port["port"] == number:
                return dict(port)
        raise RackApiError(404, {"error": f"{self.name} has no port {number}", "parameter": "port"})

    def cable(self, number: int, plugged: bool) -> None:
        """Plug or pull the cable at port ``number``."""
        self._client.post(f"/api/v1/switches/{self.name}/ports/{number}", {"plugged": plugged})
