"""The PXE benchmark's network: a rack namespace built like vrack's, with dnsmasq where RackHD would sit.

Layout (names carry the owner's pid, so a run never touches another run's namespaces)::

    netns vrt-pxe-u<role>-<pid> (the "system under test")     netns vrt-pxe-<role>-<pid> (vrack.netns.RackNetwork)
    dnsmasq on vr<hash>p  10.235.16.1/20  <------ veth ------>  prov0-up -- bridge prov0 -- vb-* ports
                          fd00:235::1/64 (RA only)                                  vn-* node ends (one per NIC)

Node NICs are made with :meth:`vrack.netns.RackNetwork.node_interfaces` (all of them in one
``ip -batch``), inside the rack namespace with ``arp_ignore=1``/``arp_announce=2``, exactly as a
``mode: netns`` rack makes them.  dnsmasq cannot run in the rack namespace itself: the node
addresses are local there, so its replies would be routed over ``lo`` instead of the bridge.

dnsmasq (one configuration for the simulated nodes and the VM): DHCP with ``--no-ping`` from a
range of 3,584 addresses, 12 h leases, ``pxelinux.0`` (64 KiB) for a PXE ROM and ``boot.ipxe``
(a 64 KiB iPXE script) for clients that send option 175 (iPXE, the VM's ROM), TFTP from a
temporary root, IPv6 RA only (so a VM's iPXE does not wait 13 s for one).  Its log (DHCP and TFTP
lines, no ``--log-dhcp`` detail) is the cross-check of what the nodes report.

dnsmasq runs in the caller's process group (no new session): whoever kills the benchmark's
process group kills dnsmasq too.  :meth:`PxeNetwork.close` (call it from a ``finally``) stops
dnsmasq and deletes both namespaces; :func:`sweep_stale` removes what a killed run left behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from vrack.netns import NETNS_RUN_DIR, RackNetwork, in_netns
from vrack.netns_cleanup import cleanup_stale

PREFIX = "vrt-pxe-"
MANAGEMENT = ipaddress.IPv4Network("10.235.0.0/24")
PROVISIONING = ipaddress.IPv4Network("10.235.16.0/20")
DHCP_RANGE = ("10.235.17.0", "10.235.30.255")
ULA = "fd00:235::1/64"
SIM_BOOTFILE = "pxelinux.0"
IPXE_BOOTFILE = "boot.ipxe"
BOOTFILE_SIZE = 64 * 1024
SCRIPT_MARKER = "vrack-pxe-bench-script-ran"
DEFAULT_TFTP_MAX = 1024
DEFAULT_LEASE_MAX = 4096
_OWNED = re.compile(rf"^{re.escape(PREFIX)}[a-z0-9]+-(\d+)$")


class PxeNetError(Exception):
    """The benchmark network or dnsmasq could not be set up."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _netns_pids(name: str) -> list[int]:
    done = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True, check=False)
    return [int(p) for p in done.stdout.split() if p.isdigit() and int(p) != os.getpid()]


def _kill_all_in(name: str, grace: float = 5.0) -> None:
    """SIGTERM every process in namespace ``name`` (but this one), SIGKILL what is left after ``grace`` s."""
    pids = _netns_pids(name)
    for signum in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)
        deadline = time.monotonic() + grace
        while pids and time.monotonic() < deadline:
            pids = [p for p in _netns_pids(name) if p in pids]
            if pids:
                time.sleep(0.05)
        if not pids:
            return


def sweep_stale() -> list[str]:
    """Delete every ``vrt-pxe-*`` namespace whose owner process is gone (a killed run); return their names.

    Rack namespaces go through :func:`vrack.netns_cleanup.cleanup_stale` (their state files name the owner);
    the others carry the owner's pid in their name.  Processes left inside (dnsmasq, libvirtd, qemu)
    are stopped first.
    """
    removed = cleanup_stale(PREFIX)
    for path in sorted(NETNS_RUN_DIR.glob(f"{PREFIX}*")) if NETNS_RUN_DIR.exists() else []:
        match = _OWNED.match(path.name)
        if match is None or _pid_alive(int(match.group(1))):
            continue
        _kill_all_in(path.name)
        subprocess.run(["ip", "netns", "del", path.name], capture_output=True, check=False)
        removed.append(path.name)
    return removed


def _udp_counters(netns: str) -> dict[str, int]:
    """``Udp:`` counters of ``netns`` (``/proc/thread-self/net`` shows the calling thread's namespace)."""
    with in_netns(netns), open("/proc/thread-self/net/snmp", encoding="ascii") as handle:
        rows = [line.split() for line in handle if line.startswith("Udp:")]
    return {key: int(value) for key, value in zip(rows[0][1:], rows[1][1:], strict=True)} if len(rows) >= 2 else {}


def softnet_dropped() -> int:
    """Packets the kernel dropped because a CPU's input backlog was full (``/proc/net/softnet_stat``, all CPUs)."""
    with open("/proc/net/softnet_stat", encoding="ascii") as handle:
        return sum(int(line.split()[1], 16) for line in handle if line.strip())


def arp_cache_stats() -> dict[str, int]:
    """The neighbour table's ARP counters summed over CPUs (``/proc/net/stat/arp_cache``; machine-wide)."""
    with open("/proc/net/stat/arp_cache", encoding="ascii") as handle:
        names = handle.readline().split()
        totals = dict.fromkeys(names, 0)
        for line in handle:
            for name, value in zip(names, line.split(), strict=False):
                totals[name] += int(value, 16)
    totals.pop("entries", None)  # the same global gauge on every row, not a counter
    return totals


def host_tuning_values(nodes: int) -> dict[str, int]:
    """Host limits a rack of ``nodes`` simulated NICs on one bridge needs (see :func:`host_tuning`)."""
    return {
        "net/core/netdev_max_backlog": 10 * nodes,  # a broadcast floods one copy per port into the backlog
        "net/ipv4/neigh/default/gc_thresh2": 4 * nodes,  # ARP: each node NIC's entry for the server ...
        "net/ipv4/neigh/default/gc_thresh3": 8 * nodes,  # ... and the server's entry for each node
    }


@contextlib.contextmanager
def host_tuning(nodes: int, root: Path = Path("/proc/sys")) -> Iterator[dict[str, tuple[int, int]]]:
    """Raise the machine-wide limits of :func:`host_tuning_values` (never lower one) for the block.

    These are init-namespace-only sysctls: the per-CPU input backlog (1,000 packets by default: one
    broadcast flooded on a 1,000-port bridge queues a copy per port) and the neighbour table (1,024
    entries by default for ALL namespaces together: N nodes need 2N, one per node NIC for the server
    and one per node in the server's namespace).  Yields
    ``{key: (before, during)}``; on exit each value is put back unless someone changed it meanwhile.
    """
    changed: dict[str, tuple[int, int]] = {}
    try:
        for key, wanted in host_tuning_values(nodes).items():
            path = root / key
            before = int(path.read_text(encoding="ascii").split()[0])
            if wanted > before:
                path.write_text(str(wanted), encoding="ascii")
                changed[key] = (before, wanted)
        yield changed
    finally:
        for key, (before, during) in changed.items():
            path = root / key
            with contextlib.suppress(OSError, ValueError):
                if int(path.read_text(encoding="ascii").split()[0]) == during:
                    path.write_text(str(before), encoding="ascii")


def bootfile_bytes(size: int = BOOTFILE_SIZE) -> bytes:
    """A deterministic, incompressible stand-in for a network bootstrap program of ``size`` bytes."""
    blocks = (hashlib.sha256(b"vrack-pxe-bench/%d" % i).digest() for i in range(size // 32 + 1))
    return (b"\xeb\x3c\x90PXEBENCH" + b"".join(blocks))[:size]


def ipxe_script(size: int = BOOTFILE_SIZE) -> bytes:
    """An iPXE script of exactly ``size`` bytes: comment padding, then an ``echo`` of the marker and a prompt."""
    head = b"#!ipxe\n"
    tail = f"echo {SCRIPT_MARKER}\nprompt --timeout 60000 bench done\n".encode()
    line = b"# " + b"x" * 77 + b"\n"
    room = size - len(head) - len(tail)
    body = (line * (room // len(line) + 1))[: room - 1] + b"\n"  # a cut comment line is still a comment
    script = head + body + tail
    assert len(script) == size
    return script


class PxeNetwork:
    """The namespaces, node NICs and dnsmasq of one benchmark run (see the module docstring)."""

    def __init__(self, role: str, workdir: Path, *, tftp_max: int = DEFAULT_TFTP_MAX) -> None:
        if not role.isalnum() or not role.islower():
            raise ValueError(f"role must be lower-case letters and digits, not {role!r}")
        pid = os.getpid()
        self.workdir = workdir
        self.tftp_max = tftp_max
        self.uplink_netns = f"{PREFIX}u{role}-{pid}"
        self.rack = RackNetwork(f"{role}-{pid}", MANAGEMENT, PROVISIONING, f"netns:{self.uplink_netns}", prefix=PREFIX)
        self.server = str(self.rack.uplink_address("prov0").ip)
        self.interface = self.rack.uplink_ifname("prov0")
        self.tftp_root = workdir / "tftp"
        self.log_path = workdir / "dnsmasq.log"
        self.dnsmasq: subprocess.Popen[bytes] | None = None

    @property
    def netns(self) -> str:
        """The rack namespace: node NICs (and libvirtd's taps) live here."""
        return self.rack.netns

    # -- build ------------------------------------------------------------------------------------

    def create(self) -> None:
        """Make the uplink namespace, the rack namespace and its veths, and the TFTP root."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        subprocess.run(["ip", "netns", "add", self.uplink_netns], check=True, capture_output=True)
        subprocess.run(["ip", "-n", self.uplink_netns, "link", "set", "lo", "up"], check=True, capture_output=True)
        self.rack.create()
        subprocess.run(
            ["ip", "-n", self.uplink_netns, "addr", "add", ULA, "dev", self.interface, "nodad"],
            check=True,
            capture_output=True,
        )
        self.tftp_root.mkdir(parents=True, exist_ok=True)
        (self.tftp_root / SIM_BOOTFILE).write_bytes(bootfile_bytes())
        (self.tftp_root / IPXE_BOOTFILE).write_bytes(ipxe_script())

    def add_nodes(self, nics: list[tuple[str, str, str]]) -> list[str]:
        """Node NICs (node, nic, mac) as veths on ``prov0`` in one ``ip -batch``; their node-end names."""
        return [ifname for _, ifname in self.rack.node_interfaces(nics)]

    def wait_operstate_up(self, ifnames: list[str], timeout: float = 30.0) -> float:
        """Wait until ``ifnames`` and the uplink veth are operationally UP; return the seconds it took.

        Until the kernel's linkwatch has activated a new link (up to a second after carrier), its
        qdisc drops what is sent: a node's first DISCOVER would be lost.
        """
        started = time.monotonic()
        want = set(ifnames)
        while True:
            rack = subprocess.run(["ip", "-n", self.netns, "-br", "link"], capture_output=True, text=True).stdout
            up = subprocess.run(["ip", "-n", self.uplink_netns, "-br", "link"], capture_output=True, text=True).stdout
            states = {}
            for line in (rack + up).splitlines():
                fields = line.split()
                if len(fields) >= 2:
                    states[fields[0].split("@")[0]] = fields[1]
            waiting = [name for name in (*want, self.interface) if states.get(name) != "UP"]
            if not waiting:
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise PxeNetError(f"{len(waiting)} interfaces not UP after {timeout:.0f} s, e.g. {waiting[:3]}")
            time.sleep(0.05)

    # -- dnsmasq ----------------------------------------------------------------------------------

    def dnsmasq_argv(self) -> list[str]:
        low, high = DHCP_RANGE
        return [
            "ip", "netns", "exec", self.uplink_netns, "dnsmasq", "--keep-in-foreground", "--user=root",
            "--conf-file=/dev/null", "--port=0", f"--interface={self.interface}", "--bind-interfaces",
            "--except-interface=lo", "--no-ping", "--no-resolv", "--no-hosts",
            f"--dhcp-range={low},{high},12h", f"--dhcp-lease-max={DEFAULT_LEASE_MAX}",
            f"--dhcp-range=::,constructor:{self.interface},ra-only", "--enable-ra",
            f"--dhcp-boot={SIM_BOOTFILE}", "--dhcp-match=set:ipxe,175", f"--dhcp-boot=tag:ipxe,{IPXE_BOOTFILE}",
            "--enable-tftp", f"--tftp-root={self.tftp_root}", f"--tftp-max={self.tftp_max}",
            f"--log-facility={self.log_path}", f"--dhcp-leasefile={self.workdir / 'dnsmasq.leases'}",
        ]  # fmt: skip

    def start_dnsmasq(self, timeout: float = 15.0) -> int:
        """Start dnsmasq (in this process group) and wait until its main loop serves TFTP; return its pid."""
        stderr = (self.workdir / "dnsmasq.stderr").open("wb")
        try:
            self.dnsmasq = subprocess.Popen(
                self.dnsmasq_argv(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr
            )
        finally:
            stderr.close()
        deadline = time.monotonic() + timeout
        while not self._tftp_answers():
            if self.dnsmasq.poll() is not None:
                text = (self.workdir / "dnsmasq.stderr").read_text(errors="replace")
                raise PxeNetError(f"dnsmasq exited with {self.dnsmasq.returncode}: {text.strip()}")
            if time.monotonic() > deadline:
                raise PxeNetError(f"dnsmasq did not serve TFTP within {timeout:.0f} s")
            time.sleep(0.05)
        return self.dnsmasq.pid

    def _tftp_answers(self) -> bool:
        """dnsmasq logs "started" before its main loop runs; a TFTP error reply proves the loop is serving."""
        with in_netns(self.uplink_netns):
            probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.settimeout(0.2)
            probe.sendto(b"\x00\x01readiness-probe\x00octet\x00", (self.server, 69))
            data, _ = probe.recvfrom(1500)
            return data[:2] == b"\x00\x05"
        except OSError:
            return False
        finally:
            probe.close()

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def sent_count(self, filename: str) -> int:
        """How many complete TFTP transfers of ``filename`` dnsmasq logged."""
        return len(re.findall(rf"sent \S+/{re.escape(filename)} to ", self.log_text()))

    def ack_count(self) -> int:
        """How many DHCPACKs dnsmasq logged."""
        return self.log_text().count("DHCPACK(")

    # -- counters ---------------------------------------------------------------------------------

    def udp_counters(self) -> dict[str, dict[str, int]]:
        """The kernel's UDP counters (``/proc/net/snmp``) of the uplink (dnsmasq) and rack (nodes) namespaces."""
        return {"uplink": _udp_counters(self.uplink_netns), "rack": _udp_counters(self.netns)}

    # -- teardown ---------------------------------------------------------------------------------

    def stop_dnsmasq(self) -> None:
        proc, self.dnsmasq = self.dnsmasq, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def close(self) -> None:
        """Stop dnsmasq, delete the rack namespace (and every node veth) and the uplink namespace; idempotent."""
        try:
            self.stop_dnsmasq()
        finally:
            try:
                self.rack.destroy()
            finally:
                if (NETNS_RUN_DIR / self.uplink_netns).exists():
                    _kill_all_in(self.uplink_netns)
                    subprocess.run(["ip", "netns", "del", self.uplink_netns], capture_output=True, check=False)
