"""Test doubles for netboot tests: RackHD-style iPXE profiles, a southbound HTTP double, an on-dhcp-proxy double,
and a provisioning network of namespaces, veths and a bridge with a real dnsmasq.

The profiles are written from rackhd-facts 3.3-3.4 (boilerplate + redirect with the net0..net9 MAC
search and the profile retry loop, ipxe-info, rancherOS).  :class:`ProvisioningNet` builds
``vrt-nb-srv-<tag>`` (bridge ``br0`` at 10.231.<n>.1/24, dnsmasq, HTTP and proxy doubles) and
``vrt-nb-cli-<tag>`` (one veth per simulated node, the other end on the bridge) and deletes both in
:meth:`ProvisioningNet.close`, also after a failure.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from twisted.internet import protocol
from twisted.web import resource, server

from node_sim import dhcp
from node_sim.dhcp import DhcpPacket
from node_sim.netns import in_netns
from tests.support.privileges import require_root, require_tools
from tests.support.tftp import tftp_answers

BOILERPLATE = """#!ipxe
set user-class MonoRail
echo MonoRail boilerplate
set syslog {server}
set interface {macaddress}
isset ${{interface}} || goto configured
set rebootInterval:int8 5
set idx:int8 0
set idxMax:int8 10
set attempt:int8 0
set attemptMax:int8 5
ifclose
:find
iseq ${{idx}} ${{idxMax}} && goto findFailed || goto findNext
:findNext
iseq ${{interface}} ${{net${{idx}}/mac}} && goto open || inc idx && goto find
:open
iseq ${{attempt}} ${{attemptMax}} && goto openFailed || goto openNext
:openNext
ifopen net${{idx}}
ifconf net${{idx}} && goto configured || inc attempt && goto open
:findFailed
echo cannot find interface ${{interface}}, rebooting in ${{rebootInterval}} s
sleep ${{rebootInterval}}
reboot
:openFailed
echo cannot configure interface ${{interface}}, rebooting in ${{rebootInterval}} s
sleep ${{rebootInterval}}
reboot
:configured
route
echo boilerplate done
"""

REDIRECT = """set n:int8 0
:nic
set ThisIp ${{net${{n}}/ip}}
set ThisMac ${{net${{n}}/mac:hex}}
isset ${{ThisMac}} || goto collected
iseq ${{n}} 0 || goto more
set Macs macs=${{ThisMac}}
set Ips ips=${{ThisIp}}
goto next
:more
set Macs ${{Macs}}&macs=${{ThisMac}}
set Ips ${{Ips}}&ips=${{ThisIp}}
:next
echo NIC${{n}} ${{ThisMac}} ${{ThisIp}}
inc n
iseq ${{n}} 100 || goto nic
:collected
set tries:int8 0
set triesMax:int8 5
set retryDelay:int8 3
goto fetch
:retry
inc tries
iseq ${{tries}} ${{triesMax}} || goto again
echo giving up on the profile
sleep ${{rebootInterval}}
goto done
:again
echo profile not ready, retrying in ${{retryDelay}} s
sleep ${{retryDelay}}
:fetch
chain http://{server}:{port}/api/current/profiles?${{Macs}}&${{Ips}} || goto retry
:done
exit
"""

IPXE_INFO = """echo RackHD: {message}
echo RackHD: booting to disk in ${{rebootInterval}} seconds
sleep ${{rebootInterval}}
exit
"""

RANCHER = """kernel http://{server}:{port}/common/vmlinuz-1.2.0-rancher
initrd http://{server}:{port}/common/initrd-1.2.0-rancher
imgargs vmlinuz-1.2.0-rancher initrd=initrd-1.2.0-rancher console=tty0 netconsole=+@/,514@{server}/ \
rancher.password=monorail rancher.cloud_init.datasources=['url:http://{server}:{port}/api/current/templates/\
cloud-config.yaml?nodeId={node_id}']
boot || prompt --key 0x197e --timeout 2000 Press F12 to investigate || exit shell
"""


def profile(name: str, **context: Any) -> str:
    """A profile as RackHD serves it: ``*.ipxe`` bodies prefixed by the boilerplate."""
    bodies = {"redirect": REDIRECT, "ipxe-info": IPXE_INFO, "rancherOS": RANCHER}
    context.setdefault("macaddress", "")
    return BOILERPLATE.format(**context) + bodies[name].format(**context)


# -- southbound HTTP double ----------------------------------------------------------------------


@dataclass
class Southbound:
    """``/api/current/profiles`` like on-taskgraph: redirect without macs, then a profile per node."""

    server: str
    port: int
    profile_for: Callable[[list[str]], str] = lambda macs: "rancherOS"
    busy: int = 0  # answer 503 this many times first (RackHD before the graph is ready)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (source ip, path?query)
    files: dict[str, bytes] = field(default_factory=dict)

    def render(self, request: Any) -> bytes:
        path = request.uri.decode()
        self.requests.append((request.getClientAddress().host, path))
        route, _, query = path.partition("?")
        if route.startswith("/common/") and route[len("/common/") :] in self.files:
            return self.files[route[len("/common/") :]]
        if route != "/api/current/profiles":
            request.setResponseCode(404)
            return b"not found"
        args = parse_qs(query)
        macs = args.get("macs", [])
        if not macs:
            return profile("redirect", server=self.server, port=self.port).encode()
        if self.busy > 0:
            self.busy -= 1
            request.setResponseCode(503)
            return b"graph not ready"
        name = self.profile_for(macs)
        context = {"server": self.server, "port": self.port, "macaddress": macs[0], "node_id": "n-" + macs[0][-5:]}
        context["message"] = "No active workflow and bootSettings, continue to boot"
        return profile(name, **context).encode()


class _Resource(resource.Resource):
    isLeaf = True

    def __init__(self, southbound: Southbound) -> None:
        super().__init__()
        self.southbound = southbound

    def render_GET(self, request: Any) -> bytes:
        return self.southbound.render(request)


def listen_http(reactor: Any, netns: str | None, southbound: Southbound) -> Any:
    """Serve ``southbound`` on its address and port, with the socket made inside ``netns``."""
    with in_netns(netns):
        return reactor.listenTCP(southbound.port, server.Site(_Resource(southbound)), interface=southbound.server)


# -- on-dhcp-proxy double ------------------------------------------------------------------------


class DhcpProxyDouble(protocol.DatagramProtocol):
    """A double of on-dhcp-proxy (rackhd-facts 3.2): UDP 4011, bootfile by user class / arch / vendor class."""

    def __init__(self, address: str, api: str) -> None:
        self.address = address
        self.api = api
        self.requests: list[DhcpPacket] = []

    def bootfile(self, packet: DhcpPacket) -> str | None:
        vendor = packet.vendor_class or ""
        arch = int.from_bytes(packet.options.get(dhcp.OPT_CLIENT_ARCH, b"\xff\xff"), "big")
        if packet.user_class == "MonoRail":
            return f"{self.api}/api/current/profiles"
        if arch in (7, 9):
            return "monorail-efi64-snponly.efi"
        if arch == 6:
            return "monorail-efi32-snponly.efi"
        if arch == 0 and vendor.startswith("PXEClient:Arch:00000:UNDI"):
            return "monorail-undionly.kpxe"
        return "monorail.ipxe" if vendor else None

    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        try:
            packet = dhcp.decode(datagram)
        except dhcp.DhcpDecodeError:
            return
        self.requests.append(packet)
        bootfile = self.bootfile(packet)
        if bootfile is None or packet.ciaddr == "0.0.0.0":
            return
        options = {
            dhcp.OPT_MESSAGE_TYPE: bytes([dhcp.ACK]),
            dhcp.OPT_SERVER_ID: dhcp.address_option(self.address),
            dhcp.OPT_VENDOR_CLASS: b"PXEClient",
            dhcp.OPT_BOOTFILE: bootfile.encode() + b"\x00",
        }
        reply = DhcpPacket(
            op=dhcp.BOOTREPLY,
            xid=packet.xid,
            chaddr=packet.chaddr,
            ciaddr=packet.ciaddr,
            siaddr=self.address,
            sname=self.address,
            file=bootfile,
            options=options,
        )
        transport: Any = self.transport  # twisted's IUDPTransport methods are typed without self
        transport.write(dhcp.encode(reply), (packet.ciaddr, 68))


def listen_proxy(reactor: Any, netns: str | None, proxy: DhcpProxyDouble) -> Any:
    with in_netns(netns):
        return reactor.listenUDP(4011, proxy, interface=proxy.address)


# -- namespaces, veths, dnsmasq ------------------------------------------------------------------


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


def require_root_and_tools() -> None:
    require_root("netboot end-to-end tests create network namespaces: run them as root (CI does)")
    require_tools("ip", "dnsmasq", hint="scripts/test installs iproute2 and dnsmasq-base")


def node_mac(subnet: int, index: int) -> str:
    return f"52:54:00:e7:{subnet:02x}:{index:02x}"


@dataclass
class ProvisioningNet:
    """Server namespace with a bridge, client namespace with one veth per node (see the module docstring)."""

    tag: str
    subnet: int  # third octet of 10.231.<subnet>.0/24
    nodes: int
    workdir: Path
    srv: str = ""
    cli: str = ""
    dnsmasq: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    stderr_path: Path = Path("/dev/null")

    def __post_init__(self) -> None:
        self.srv = f"vrt-nb-srv-{self.tag}"
        self.cli = f"vrt-nb-cli-{self.tag}"

    @property
    def server(self) -> str:
        return f"10.231.{self.subnet}.1"

    def interface(self, index: int) -> str:
        return f"n{index}"

    def mac(self, index: int) -> str:
        return node_mac(self.subnet, index)

    def create(self) -> None:
        for ns in (self.srv, self.cli):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
            ip("netns", "add", ns)
        ip("-n", self.srv, "link", "set", "lo", "up")
        ip("-n", self.cli, "link", "set", "lo", "up")
        ip("-n", self.srv, "link", "add", "br0", "type", "bridge")
        ip("-n", self.srv, "addr", "add", f"{self.server}/24", "dev", "br0")
        ip("-n", self.srv, "link", "set", "br0", "up")
        for index in range(self.nodes):
            port = f"p{index}"
            ip(
                "-n",
                self.srv,
                "link",
                "add",
                port,
                "type",
                "veth",
                "peer",
                "name",
                self.interface(index),
                "netns",
                self.cli,
            )
            ip("-n", self.srv, "link", "set", port, "master", "br0", "up")
            ip("-n", self.cli, "link", "set", self.interface(index), "address", self.mac(index), "up")
        self.wait_operstate_up()

    def wait_operstate_up(self, timeout: float = 10.0) -> None:
        """Wait until every interface is operationally UP: until the kernel's linkwatch has activated a new
        link (up to a second after carrier), its qdisc drops what is sent, e.g. a node's first DISCOVER."""
        deadline = time.monotonic() + timeout
        while True:
            states = []
            for ns, names in ((self.srv, ["br0"]), (self.cli, [self.interface(i) for i in range(self.nodes)])):
                out = subprocess.run(["ip", "-n", ns, "-br", "link", "show"], capture_output=True, text=True).stdout
                listed = {line.split()[0].split("@")[0]: line.split()[1] for line in out.splitlines() if line.strip()}
                states += [listed.get(name) for name in names]
            if all(state == "UP" for state in states):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"interfaces not up after {timeout} s: {states}")
            time.sleep(0.05)

    def start_dnsmasq(self, tftp_root: Path, *extra: str) -> None:
        self.log_path = self.workdir / f"dnsmasq-{self.tag}.log"
        lease_file = self.workdir / f"dnsmasq-{self.tag}.leases"
        command = [
            "ip", "netns", "exec", self.srv, "dnsmasq", "--no-daemon", "--port=0", "--no-ping", "--log-dhcp",
            "--interface=br0", "--bind-interfaces", "--except-interface=lo", f"--dhcp-leasefile={lease_file}",
            f"--dhcp-range=10.231.{self.subnet}.100,10.231.{self.subnet}.200,1m", "--enable-tftp",
            f"--tftp-root={tftp_root}", f"--log-facility={self.log_path}", "--conf-file=/dev/null", *extra,
        ]  # fmt: skip
        # --no-daemon also copies every log line to stderr: a pipe nobody reads would fill up and stall
        # dnsmasq mid-boot, so stderr goes to a file.
        self.stderr_path = self.workdir / f"dnsmasq-{self.tag}.stderr"
        with open(self.stderr_path, "wb") as stderr:
            self.dnsmasq = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.dnsmasq.poll() is not None:
                raise RuntimeError(f"dnsmasq exited: {self.stderr_path.read_text(errors='replace')}")
            text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
            if "started, version" in text and "DHCP" in text and self._tftp_answers():
                return
            time.sleep(0.02)
        raise RuntimeError("dnsmasq did not start within 10 s")

    def _tftp_answers(self) -> bool:
        return tftp_answers(self.srv, self.server)

    def dnsmasq_log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def close(self) -> None:
        if self.dnsmasq is not None and self.dnsmasq.poll() is None:
            self.dnsmasq.send_signal(signal.SIGTERM)
            try:
                self.dnsmasq.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.dnsmasq.kill()
                self.dnsmasq.wait()
        for ns in (self.cli, self.srv):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
