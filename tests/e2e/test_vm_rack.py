"""A ``backend: vm`` node in a ``vrack up`` rack: RackHD's ipmitool powers a real QEMU (TCG) VM that PXE boots.

The SUT namespace (``tests/e2e/discovery_lab.py``) runs dnsmasq on the rack's provisioning uplink; the
rack starts libvirtd inside its own namespace.  ``chassis bootdev pxe`` + ``chassis power on`` over the LAN
must make the VM's iPXE ROM lease an address from dnsmasq and fetch its TFTP boot file, and ``sol activate``
must show what the VM's own firmware prints on its serial port; ``chassis power off`` must destroy the domain.
"""

from __future__ import annotations

import ipaddress
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.discovery_lab import SUT, SutLab
from tests.e2e.pty_session import PtySession
from tests.support.rack_process import ROOT, RackProcess
from tests.support.waiting import wait_for
from vrack.netns import RackNetwork

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

RACK = "vrt-vm"
MANAGEMENT = ipaddress.IPv4Network("10.236.0.0/24")
PROVISIONING = ipaddress.IPv4Network("10.236.128.0/24")
SPEC = f"""\
rack: {RACK}
mode: netns
netns: {{uplink: "netns:{SUT}"}}
networks: {{management: {MANAGEMENT}, provisioning: {PROVISIONING}}}
devices:
  - {{name: vm01, kind: compute, model: generic, backend: vm, nics: 1}}
"""


def test_ipmitool_power_on_pxe_boots_the_vm_node(tmp_path: Path) -> None:
    spec = tmp_path / "rack.yaml"
    spec.write_text(SPEC)
    sut = SutLab(tmp_path)
    rack = RackProcess(spec, tmp_path / "state", RACK)
    try:
        sut.create_namespace()
        rack.start(timeout=120)
        network = RackNetwork(RACK, MANAGEMENT, PROVISIONING, f"netns:{SUT}")
        sut.start(network.uplink_ifname("prov0"), str(network.uplink_address("prov0").ip), str(PROVISIONING), [])
        node = rack.api("GET", "/api/v1/devices/vm01")
        mac, bmc = node["nics"][0]["mac"], node["bmc"]["address"]
        ipmi = ["ipmitool", "-I", "lanplus", "-U", "admin", "-P", "admin", "-H", bmc]
        assert sut.run(*ipmi, "chassis", "bootdev", "pxe").returncode == 0
        console = PtySession(["ip", "netns", "exec", SUT, *ipmi, "sol", "activate"])
        console.expect(b"[SOL Session operational.  Use ~? for help]")
        assert sut.run(*ipmi, "chassis", "power", "on").returncode == 0
        console.expect(b"SeaBIOS", timeout=60)
        console.expect(b"iPXE", timeout=60)
        console.send(b"\r~.")
        assert console.wait() == 0
        console.close()

        def leased_and_fetched() -> bool:
            log = sut.dnsmasq_log.read_text(errors="replace") if sut.dnsmasq_log.exists() else ""
            return "DHCPACK" in log and mac in log and "sent" in log and "monorail.ipxe" in log

        wait_for(leased_and_fetched, 90, "the VM to lease from dnsmasq and fetch monorail.ipxe", interval=0.5)
        assert rack.api("GET", "/api/v1/devices/vm01")["host"]["running"] is True
        assert sut.run(*ipmi, "chassis", "power", "off").returncode == 0
        wait_for(lambda: not rack.api("GET", "/api/v1/devices/vm01")["power"], 30, "power off")
        serial = tmp_path / "state" / RACK / "vm01.console.log"
        assert b"SeaBIOS" in serial.read_bytes()
        events = [(e["operation"], e.get("result")) for e in rack.events("vm01")]
        assert ("boot", None) in events and ("power-on", "failed") not in events
    finally:
        sut.stop_services()
        try:
            code = rack.stop(timeout=60)
        finally:
            cleanup = [sys.executable, "-m", "vrack", "--state-dir", str(tmp_path / "state"), "cleanup"]
            subprocess.run(cleanup, cwd=ROOT, capture_output=True, check=False)
            sut.delete_namespace()
    assert code == 0, rack.output()
    leftovers = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False).stdout
    assert f"vrack-{RACK}" not in leftovers
    assert "vrack-vm01" not in subprocess.run(["pgrep", "-a", "qemu"], capture_output=True, text=True).stdout
