"""dnsmasq as the PXE server of a test rack: DHCP + TFTP (+ IPv6 RA, so iPXE need not wait for one)
on a bridge inside a namespace; its log is the oracle the VM tests poll."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

from tests.support.processes import stop_process


class Dnsmasq:
    """dnsmasq in ``netns`` serving ``interface``: DHCP from ``dhcp_range`` and TFTP from ``root``.

    iPXE clients (DHCP option 175) get ``boot.ipxe``, others ``undionly.kpxe``.  ``--no-ping`` skips the
    3 s address probe; ``--enable-ra`` with a ULA on the interface stops iPXE's 13 s wait for an RA.
    """

    def __init__(self, netns: str, interface: str, dhcp_range: tuple[str, str], workdir: Path) -> None:
        self.netns, self.interface, self.dhcp_range = netns, interface, dhcp_range
        self.tftp_root = workdir / "tftp"
        self.log = workdir / "dnsmasq.log"
        self.leases = workdir / "dnsmasq.leases"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> None:
        self.tftp_root.mkdir(parents=True, exist_ok=True)
        low, high = self.dhcp_range
        self.proc = subprocess.Popen(
            [
                "ip", "netns", "exec", self.netns, "dnsmasq", "--keep-in-foreground", "--user=root",
                "--conf-file=/dev/null", "--port=0", f"--interface={self.interface}", "--bind-interfaces",
                "--except-interface=lo", "--no-ping", "--no-resolv", "--no-hosts",
                f"--dhcp-range={low},{high},1h", f"--dhcp-range=::,constructor:{self.interface},ra-only",
                "--enable-ra", "--dhcp-match=set:ipxe,175", "--dhcp-boot=undionly.kpxe",
                "--dhcp-boot=tag:ipxe,boot.ipxe", "--enable-tftp", f"--tftp-root={self.tftp_root}",
                "--log-dhcp", f"--log-facility={self.log}", f"--dhcp-leasefile={self.leases}",
            ],
        )  # fmt: skip
        self.wait_for("TFTP root is", timeout)

    def text(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def wait_for(self, needle: str, timeout: float) -> float:
        """Poll the log until it contains ``needle``; return when (time.monotonic()) it was seen."""
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"dnsmasq exited ({self.proc.returncode}); log:\n{self.text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {needle!r} in the dnsmasq log within {timeout:.0f} s; log:\n{self.text()}")
            time.sleep(0.05)
        return time.monotonic()

    def wait_for_pattern(self, pattern: str, timeout: float) -> float:
        """Poll the log until the regular expression ``pattern`` matches; return when it was seen."""
        deadline = time.monotonic() + timeout
        while re.search(pattern, self.text()) is None:
            if time.monotonic() > deadline:
                raise AssertionError(f"no /{pattern}/ in the dnsmasq log within {timeout:.0f} s:\n{self.text()}")
            time.sleep(0.05)
        return time.monotonic()

    def stop(self) -> None:
        stop_process(self.proc)
