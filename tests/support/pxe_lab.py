"""A netns rack with a real dnsmasq on its provisioning uplink: the system under test's DHCP and TFTP server.

:func:`pxe_lab` makes the SUT namespace, puts the boot files in a TFTP root, starts dnsmasq in the namespace
(``--bind-dynamic``: before the rack, it binds when the uplink appears), starts the rack, and on the way out
stops both and removes the namespace.  Tests add the ``--dhcp-boot`` rules they need.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from ipaddress import IPv4Network
from pathlib import Path

from tests.support.namespaces import add_namespace, remove_namespace
from tests.support.processes import stop_process
from tests.support.rack_process import RackProcess
from vrack.netns import RackNetwork


@dataclass(frozen=True)
class PxeLab:
    rack: RackProcess
    log: Path  # dnsmasq's log (--log-dhcp)
    leases: Path  # dnsmasq's lease file: "expiry mac ip hostname client-id" per line

    def lease_macs(self) -> dict[str, str]:
        """MAC -> leased address, from the lease file."""
        if not self.leases.exists():
            return {}
        return {w[1]: w[2] for w in (line.split() for line in self.leases.read_text().splitlines()) if len(w) > 2}


@contextmanager
def pxe_lab(
    sut: str,
    rack: str,
    spec: str,
    networks: tuple[IPv4Network, IPv4Network],
    workdir: Path,
    *,
    dhcp_range: tuple[str, str],
    boot: Sequence[str],
    files: Mapping[str, bytes],
) -> Iterator[PxeLab]:
    """The rack of ``spec`` (netns mode, uplink ``netns:<sut>``) and dnsmasq serving ``files`` by TFTP, leasing
    from ``dhcp_range`` for an hour, with the ``boot`` options (``--dhcp-boot=...``, ``--dhcp-match=...``)."""
    add_namespace(sut)
    tftp = workdir / "tftp"
    tftp.mkdir()
    for name, data in files.items():
        (tftp / name).write_bytes(data)
    log, leases = workdir / "log", workdir / "dnsmasq.leases"
    uplink = RackNetwork(rack, *networks).uplink_ifname("prov0")
    low, high = dhcp_range
    argv = ["dnsmasq", "--keep-in-foreground", "--port=0", "--no-ping", "--log-dhcp", f"--log-facility={log}"]
    argv += [f"--interface={uplink}", "--bind-dynamic", f"--dhcp-leasefile={leases}", "--no-resolv"]
    argv += [f"--pid-file={workdir / 'dnsmasq.pid'}", f"--dhcp-range={low},{high},255.255.255.0,1h"]
    argv += ["--enable-tftp", f"--tftp-root={tftp}", "--user=root", "--conf-file=/dev/null", *boot]
    dnsmasq = subprocess.Popen(["ip", "netns", "exec", sut, *argv])
    spec_path = workdir / "rack.yaml"
    spec_path.write_text(spec)
    process = RackProcess(spec_path, workdir / "state", rack)
    try:
        process.start()
        assert dnsmasq.poll() is None, f"dnsmasq exited: {log.read_text() if log.exists() else ''}"
        yield PxeLab(process, log, leases)
    finally:
        process.stop()
        stop_process(dnsmasq, timeout=5)
        remove_namespace(sut)
