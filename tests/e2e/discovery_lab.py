"""The system under test's side of the discovery end-to-end test: a namespace standing for RackHD's host.

:class:`SutLab` owns the namespace ``vrt-dsc-sut`` (the rack's uplink), a real dnsmasq on the rack's
provisioning uplink veth (DHCP without ping checks, TFTP of ``monorail.ipxe``, and for user class
``MonoRail`` the southbound profiles URL as boot file: RackHD's no-proxy dhcpd setup, rackhd-facts §3.2)
and the southbound server (:mod:`tests.e2e.discovery_server`) on ``<uplink>:9030`` in a subprocess.
Commands RackHD runs (ipmitool, snmpset) run inside the namespace; the test reads the server's
``/status`` over a socket made in the namespace.  :meth:`SutLab.stop_services` stops both processes and
:meth:`SutLab.delete_namespace` deletes the namespace (the test's fixture calls both, also after a failure).
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from node_sim.netns import in_netns
from tests.support.clients import Result
from tests.support.processes import stop_process
from tests.support.rack_process import ROOT
from tests.support.tftp import tftp_answers
from tests.support.waiting import wait_for

SUT = "vrt-dsc-sut"
SOUTHBOUND_PORT = 9030
IPXE_BINARY = b"\x55\xaa" + b"MonoRail iPXE stand-in " * 200  # a *.ipxe boot file: the node plays iPXE


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    stop_process(proc, timeout=5)


class SutLab:
    """RackHD's host: namespace, dnsmasq and the southbound server (see the module docstring)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.dnsmasq: subprocess.Popen[bytes] | None = None
        self.server: subprocess.Popen[bytes] | None = None
        self.address = ""
        self.dnsmasq_log = workdir / "dnsmasq.log"
        self.server_log = workdir / "southbound.log"

    # -- namespace

    def create_namespace(self) -> None:
        subprocess.run(["ip", "netns", "del", SUT], capture_output=True, check=False)
        subprocess.run(["ip", "netns", "add", SUT], capture_output=True, check=True)
        subprocess.run(["ip", "-n", SUT, "link", "set", "lo", "up"], capture_output=True, check=True)

    def run(self, *argv: str, timeout: float = 60) -> Result:
        """``argv`` inside the SUT namespace, as RackHD's host runs it."""
        cmd = ["ip", "netns", "exec", SUT, *argv]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        return Result(list(argv), proc.returncode, proc.stdout, proc.stderr)

    # -- services

    def start(self, interface: str, address: str, network: str, busy: list[str]) -> None:
        """dnsmasq on ``interface`` (the uplink's provisioning veth, holding ``address``) and the server,
        which keeps the nodes with MACs ``busy`` waiting (503) for their profile."""
        self.address = address
        self._start_server(busy)
        self._start_dnsmasq(interface, network)

    def _start_server(self, busy: list[str]) -> None:
        with self.server_log.open("wb") as log:
            self.server = subprocess.Popen(
                ["ip", "netns", "exec", SUT, sys.executable, "-m", "tests.e2e.discovery_server"]
                + ["--address", self.address, "--port", str(SOUTHBOUND_PORT)]
                + [arg for mac in busy for arg in ("--busy", mac)],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

        def answers() -> bool:
            if self.server is not None and self.server.poll() is not None:
                raise AssertionError(f"southbound server exited: {self.server_log.read_text(errors='replace')}")
            try:
                self.status()
            except OSError:
                return False
            return True

        wait_for(answers, 20, "the southbound server to answer", interval=0.05)

    def _start_dnsmasq(self, interface: str, network: str) -> None:
        tftp = self.workdir / "tftp"
        tftp.mkdir(exist_ok=True)
        (tftp / "monorail.ipxe").write_bytes(IPXE_BINARY)
        prefix = network.rsplit(".", 1)[0]  # a /24: 10.234.128
        profiles = f"http://{self.address}:{SOUTHBOUND_PORT}/api/current/profiles"
        command = [
            "ip", "netns", "exec", SUT, "dnsmasq", "--no-daemon", "--port=0", "--no-ping", "--log-dhcp",
            "--conf-file=/dev/null", "--pid-file=", f"--interface={interface}", "--bind-interfaces",
            "--except-interface=lo", f"--dhcp-leasefile={self.workdir / 'dnsmasq.leases'}",
            f"--dhcp-range={prefix}.100,{prefix}.199,10m", "--enable-tftp", f"--tftp-root={tftp}",
            f"--log-facility={self.dnsmasq_log}", "--dhcp-userclass=set:monorail,MonoRail",
            "--dhcp-boot=monorail.ipxe", f"--dhcp-boot=tag:monorail,{profiles}",
        ]  # fmt: skip
        # --no-daemon copies the log to stderr too: a pipe nobody reads would stall dnsmasq, so a file.
        with (self.workdir / "dnsmasq.stderr").open("wb") as stderr:
            self.dnsmasq = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)

        def serving() -> bool:
            if self.dnsmasq is not None and self.dnsmasq.poll() is not None:
                raise AssertionError(f"dnsmasq exited: {(self.workdir / 'dnsmasq.stderr').read_text()}")
            return self._tftp_answers()

        wait_for(serving, 10, "dnsmasq to serve TFTP", interval=0.05)

    def _tftp_answers(self) -> bool:
        return tftp_answers(SUT, self.address)

    def status(self) -> dict[str, Any]:
        """The southbound server's ``/status`` (see :mod:`tests.e2e.discovery_server`)."""
        url = f"http://{self.address}:{SOUTHBOUND_PORT}/status"
        with in_netns(SUT):  # the connection's socket is made here, inside the namespace
            response = urllib.request.urlopen(url, timeout=5)
        with response:
            status: dict[str, Any] = json.loads(response.read())
        return status

    def node(self, mac: str) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.status()["nodes"].get(mac)
        return found

    def logs(self) -> str:
        parts = []
        for path in (self.server_log, self.dnsmasq_log):
            if path.exists():
                parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)

    def stop_services(self) -> None:
        _stop(self.server)
        _stop(self.dnsmasq)

    def delete_namespace(self) -> None:
        subprocess.run(["ip", "netns", "del", SUT], capture_output=True, check=False)
