"""The ``sim`` node backend: a light simulated node that really network-boots on the rack network.

Host power on -> :class:`node_sim.netboot.NetbootNode` does DHCP, proxyDHCP, TFTP and iPXE on the
node's NIC veths inside the rack namespace.  If the profile boots RackHD's microkernel (a RancherOS
cloud-config URL or ``API_CB=`` in the kernel arguments), :class:`node_sim.microkernel.Microkernel`
downloads the images that microkernel would (:func:`os_images`; the cloud-config's container) and then
runs RackHD's task protocol from the node's leased address, answering catalog commands from the
node's hardware personality and its BMC (in-band IPMI goes to the same ``bmc_sim`` device).  Host power
off cancels everything at once.  An OS reboot (microkernel exit 1) is modelled as a host reset through
the BMC, so it is journalled and the BMC's one-shot boot flags apply as on real hardware.

The microkernel waits bootstrap.js's 5 s between task requests (a RackHD discovery is 13 task batches,
about a minute); ``$VRACK_SIM_TASK_POLL`` (seconds) shortens that for tests, see :func:`task_poll_interval`.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlparse

from twisted.internet.defer import Deferred
from twisted.web.client import Agent, HTTPConnectionPool, readBody
from twisted.web.http_headers import Headers

from node_sim.catalog import DhcpAddress, NodeContext
from node_sim.catalog.context import LldpNeighbor
from node_sim.catalog.ipmi_client import bmc_ipmi
from node_sim.hardware import load_hardware
from node_sim.hardware_identity import NodeIdentity
from node_sim.microkernel import POLL_INTERVAL, Microkernel
from node_sim.netboot import NetbootNode
from node_sim.netboot_types import BootOutcome, NicConfig
from node_sim.os_dhcp import OsDhcp
from node_sim.transport import NetnsIO
from vrack.journal import Journal
from vrack.nodes.base import NodeBackend

CLOUD_CONFIG = re.compile(r"url:(http://[^'\"\s\]]+/api/current/templates/cloud-config\.yaml\?nodeId=[^'\"\s\]]+)")
API_CB = re.compile(r"\bAPI_CB=([0-9.]+:[0-9]+)")
OS_IMAGE = re.compile(r"\b(?:BASEFS|OVERLAYFS)=(https?://\S+)")
_ENVELOPE = frozenset({"seq", "time", "elapsed", "device", "protocol", "operation", "node_id"})
TASK_POLL_ENV = "VRACK_SIM_TASK_POLL"
log = logging.getLogger("vrack")


def task_poll_interval(environ: Mapping[str, str] | None = None) -> float:
    """Seconds between the microkernel's task requests: ``$VRACK_SIM_TASK_POLL`` if it is a positive number,
    else bootstrap.js's 5 s (a value that is not is logged and ignored)."""
    text = (os.environ if environ is None else environ).get(TASK_POLL_ENV)
    if text is None:
        return POLL_INTERVAL
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        log.warning("%s=%r is not a positive number of seconds; using %s s", TASK_POLL_ENV, text, POLL_INTERVAL)
        return POLL_INTERVAL
    return value


def southbound_from_args(args: str) -> tuple[str, str | None] | None:
    """``(server base URL, cloud-config URL or None)`` from a RackHD microkernel's kernel arguments."""
    match = CLOUD_CONFIG.search(args)
    if match:
        url = urlparse(match.group(1))
        return f"{url.scheme}://{url.netloc}", match.group(1)
    match = API_CB.search(args)
    if match:
        return f"http://{match.group(1)}", None
    return None


def os_images(args: str) -> list[str]:
    """The images the Ubuntu microkernel's initrd downloads before its root exists (``BASEFS=`` then
    ``OVERLAYFS=`` of RackHD's ``linux.ipxe``), in the order the kernel arguments give them."""
    return OS_IMAGE.findall(args)


class _NetnsEndpointFactory:
    """Agent endpoints whose connections leave from the node's address and NIC inside the rack netns."""

    def __init__(self, io: NetnsIO, interface: str, source_ip: str, timeout: float) -> None:
        self.io, self.interface, self.source_ip, self.timeout = io, interface, source_ip, timeout

    def endpointForURI(self, uri: Any) -> Any:
        return self.io.tcp_endpoint(self.interface, self.source_ip, uri.host.decode(), uri.port, self.timeout)


class NetnsFetcher:
    """The microkernel's HTTP (GET and POST, any status) from the node's own address in the rack netns."""

    def __init__(self, reactor: Any, io: NetnsIO, interface: str, source_ip: str, timeout: float = 30.0) -> None:
        pool = HTTPConnectionPool(reactor, persistent=False)
        factory = _NetnsEndpointFactory(io, interface, source_ip, timeout)
        self._agent = Agent.usingEndpointFactory(reactor, factory, pool=pool)

    def _request(self, method: bytes, url: str, body: bytes | None) -> Deferred[tuple[int, bytes]]:
        from io import BytesIO

        from twisted.web.client import FileBodyProducer

        headers = Headers({b"User-Agent": [b"vrack-microkernel"]})
        producer = None
        if body is not None:
            headers.addRawHeader(b"Content-Type", b"application/json")
            producer = FileBodyProducer(BytesIO(body))
        d = self._agent.request(method, url.encode(), headers, producer)

        def read(response: Any) -> Deferred[tuple[int, bytes]]:
            body: Deferred[bytes] = readBody(response)
            return body.addCallback(lambda data: (int(response.code), data))

        result: Deferred[tuple[int, bytes]] = d.addCallback(read)
        return result

    def get(self, url: str) -> Deferred[tuple[int, bytes]]:
        return self._request(b"GET", url, None)

    def post(self, url: str, body: bytes) -> Deferred[tuple[int, bytes]]:
        return self._request(b"POST", url, body)


class SimBackend(NodeBackend):
    """A simulated node: network boot, then RackHD's microkernel when that is what it boots."""

    def lldp_neighbors(self) -> tuple[LldpNeighbor, ...]:
        """What ``lldpcli show neighbor`` reports: the rack's cabling as heard on ``ethN``."""
        return tuple(
            LldpNeighbor(
                interface=f"eth{heard.nic}",
                chassis_mac=heard.remote.mac,
                chassis_name=heard.remote.chassis_name,
                port_ifname=heard.remote.port_id,
                port_descr=heard.remote.port_descr,
                system_descr=heard.remote.system_descr,
                mgmt_ip=heard.remote.mgmt_ip,
            )
            for heard in self.neighbor_source()
        )

    kind = "sim"

    def __init__(
        self,
        node: str,
        model: str,
        identity: NodeIdentity,
        nics: list[NicConfig],
        network: Any,
        bmc: Any,
        journal: Journal,
        reactor: Any,
        reboot: Callable[[], None],
        poll_interval: float = POLL_INTERVAL,
        failing_disks: set[int] | None = None,
    ) -> None:
        super().__init__(node, journal)
        self.reactor = reactor
        self.failing_disks = set() if failing_disks is None else failing_disks  # shared with the node, live
        self.poll_interval = poll_interval
        self.io = NetnsIO(reactor, network.netns)
        self.identity = identity
        self.hardware = load_hardware(model)
        self.bmc = bmc
        self.reboot = reboot
        self.netboot = NetbootNode(
            nics,
            str(identity.system_uuid),
            reactor,
            self.io,
            self._on_boot_event,
            name=node,
            smbios={
                "serial": identity.system_serial,
                "product": self.hardware.system.product_name,
                "manufacturer": self.hardware.system.manufacturer,
            },
        )
        self.microkernel: Microkernel | None = None
        self.os_dhcp = OsDhcp(self.io, reactor, self._on_dhcp_event, self._refresh_addresses)
        self.os_addresses: list[DhcpAddress] = []  # what the OS holds; the catalogs read it live
        self.last_outcome: BootOutcome | None = None
        self._booted_at = 0.0
        self._os_up = False  # a kernel (the microkernel or another OS) runs: it takes ACPI requests

    # journal adapters
    def _on_boot_event(self, event: Any) -> None:
        """node_sim's BootEvent (already redacted) -> one journal entry per boot step."""
        self.journal.append(self.node, "boot", event.event, **_fields(dict(event.fields)))
        if self.console is not None:
            self.console.boot_event(event.event, dict(event.fields))

    def _on_dhcp_event(self, event: str, **fields: Any) -> None:
        """The OS's DHCP on the node's other NICs -> one journal entry per step (protocol ``dhcp``)."""
        self.journal.append(self.node, "dhcp", event.removeprefix("dhcp."), **_fields(fields))

    def _on_microkernel_event(self, event: Any) -> None:
        """node_sim's MicrokernelEvent (never carries credentials) -> one journal entry per task step."""
        self.journal.append(self.node, "microkernel", event.kind, node_id=event.node_id, **_fields(dict(event.detail)))

    # NodeBackend
    def host_on(self, boot: str, cause: str, boot_mode: str = "legacy") -> None:
        self._stop_os()
        self.running = True
        self._booted_at = self.reactor.seconds()
        self.journal.append(
            self.node, "host", "boot", boot_device=boot, backend="sim", boot_mode=boot_mode, cause=cause
        )
        self.netboot.boot(boot, uefi=boot_mode == "uefi").addCallback(self._booted)

    def host_off(self, cause: str) -> None:
        self.running = False
        self._stop_os()

    def _stop_os(self) -> None:
        if self.netboot.booting:
            self.netboot.cancel()
        if self.microkernel is not None:
            self.microkernel.stop()
            self.microkernel = None
        self.os_dhcp.stop()
        self.os_addresses.clear()
        self._os_up = False

    def os_running(self) -> bool:
        """Only once the boot reached a kernel: firmware, the PXE ROM and iPXE ignore ACPI requests."""
        return self.running and self._os_up

    def _booted(self, outcome: BootOutcome) -> None:
        self.last_outcome = outcome
        self.journal.append(self.node, "host", "boot-outcome", **_fields(outcome.as_dict()))
        console = self.console
        if outcome.kind != "kernel" or not self.running:
            if console is not None and self.running and outcome.kind in ("failed", "local"):
                console.boot_failed(outcome.reason)
            return
        if console is not None:
            console.kernel(outcome.kernel or "", outcome.args)
        self._os_up = True
        self._bring_up_nics(outcome)
        southbound = southbound_from_args(outcome.args)
        if southbound is None or outcome.nic is None or outcome.ip is None:
            self.journal.append(self.node, "host", "os-running", kernel=outcome.kernel, microkernel=False)
            if console is not None:
                console.os_running(self.node, "Linux")
            return
        if console is not None:
            console.os_running("monorail-micro", "RancherOS (RackHD microkernel)")
        server, cloud_config = southbound
        context = NodeContext(
            hardware=self.hardware,
            identity=self.identity,
            ipmi=bmc_ipmi(self.bmc),
            neighbors=self.lldp_neighbors,
            uptime=lambda: self.reactor.seconds() - self._booted_at,
            dhcp_addresses=self.os_addresses,
            failing_disks=self.failing_disks,
        )
        fetcher = NetnsFetcher(self.reactor, self.io, outcome.nic.interface, outcome.ip)
        self.microkernel = Microkernel(
            context,
            fetcher,
            self.reactor,
            server=server,
            mac=outcome.nic.mac,
            on_exit=self._microkernel_exit,
            observer=self._on_microkernel_event,
            poll_interval=self.poll_interval,
        )
        self.microkernel.start(cloud_config, images=os_images(outcome.args))

    def _bring_up_nics(self, outcome: BootOutcome) -> None:
        """The OS keeps (and renews) the boot NIC's lease and leases on every other cabled NIC (one that hears
        LLDP)."""
        cabled = {heard.nic for heard in self.neighbor_source()}
        boot_mac = outcome.nic.mac.lower() if outcome.nic is not None else None
        kept = {boot_mac: outcome.lease} if boot_mac is not None and outcome.lease is not None else {}
        nics = [
            (f"eth{index}", nic.config)
            for index, nic in enumerate(self.netboot.nics)
            if index in cabled or nic.config.mac.lower() in kept
        ]
        self.os_dhcp.start(nics, kept)
        self._refresh_addresses()

    def _refresh_addresses(self) -> None:
        """The leases the OS holds: the boot NIC's and the other NICs', in ``ethN`` order."""
        outcome = self.last_outcome
        kept = (
            outcome is not None
            and outcome.lease is not None
            and any(i.nic.mac.lower() == outcome.lease.mac.lower() for i in self.os_dhcp.interfaces)
        )
        addresses = self._os_addresses(outcome) if outcome is not None and not kept else []
        for name, _nic, lease in self.os_dhcp.leases():
            addresses.append(DhcpAddress(name, lease.address, lease.prefixlen, lease.lease_seconds))
        self.os_addresses[:] = sorted(addresses, key=lambda a: int(a.interface[3:]))

    def _os_addresses(self, outcome: BootOutcome) -> list[DhcpAddress]:
        """The boot NIC's lease, on ``ethN`` by the NIC's place among the node's MACs."""
        if outcome.nic is None or outcome.ip is None or outcome.prefixlen is None:
            return []
        macs = [mac.lower() for mac in self.identity.nic_macs]
        mac = outcome.nic.mac.lower()
        if mac not in macs:
            return []
        return [DhcpAddress(f"eth{macs.index(mac)}", outcome.ip, outcome.prefixlen, outcome.lease_seconds)]

    def _microkernel_exit(self, code: int) -> None:
        from node_sim.microkernel import ExitAction, exit_action

        action = exit_action(code)
        self.journal.append(self.node, "host", "os-exit", code=code, action=action.name.lower())
        self.microkernel = None
        if action is ExitAction.REBOOT:
            self.reactor.callLater(0, self.reboot)

    def shutdown(self) -> Deferred[None]:
        self._stop_os()
        return super().shutdown()

    def describe(self) -> dict[str, Any]:
        info: dict[str, Any] = {"kind": self.kind, "running": self.running}
        if self.last_outcome is not None:
            info["last_boot"] = _plain(self.last_outcome.as_dict())
        if self.os_dhcp.interfaces:
            info["os_dhcp"] = self.os_dhcp.describe()
        if self.microkernel is not None:
            info["microkernel"] = {
                "state": self.microkernel.state,
                "node_id": self.microkernel.node_id,
                "tasks_run": self.microkernel.tasks_run,
            }
        return info


def _fields(values: dict[str, Any]) -> dict[str, Any]:
    """:func:`_plain` values under keys that cannot clash with a journal entry's own keys: ``device`` (a
    boot device in node_sim's events) becomes ``boot_device``, any other envelope key gets an ``event_`` prefix."""
    out: dict[str, Any] = {}
    for key, value in _plain(values).items():
        if key in _ENVELOPE:
            key = "boot_device" if key == "device" else f"event_{key}"
        out[key] = value
    return out


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready values; kernel arguments with passwords are shown redacted."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key == "args" and isinstance(value, str):
            value = re.sub(r"(password=)\S+", r"\1***", value)
        out[key] = value if isinstance(value, str | int | float | bool | list | dict | type(None)) else str(value)
    return out
