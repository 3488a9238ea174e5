"""A simulated node's serial console: what its firmware, boot loader and OS print, and what typing does.

:class:`SerialConsole` is the serial port: output fans out to every subscriber (the BMC's SOL
payload) and to an optional log file (created at the first output, so 100,000 silent nodes hold no
100,000 open files), the last few KiB stay readable (:meth:`recent`), and
keystrokes go to whatever runs on the host now.  :class:`NodeConsole` writes what the node does,
driven by its owner: the POST screen of its hardware personality at power on, the PXE ROM's
lines, iPXE's, the kernel's boot messages and a login prompt once an OS runs (RackHD's microkernel
or another), the PXE ROM's failure when no DHCP server answers (a rack without a provisioning
network), and "no bootable device" with a key to retry.  At the login prompt names echo and
passwords do not; no account exists, so every login is incorrect, as on a microkernel nobody set up.
Everything printed is a pure function of what happened (no randomness).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from node_sim.hardware import Hardware

RECENT = 8192
PXE_TIMEOUT = 4.0  # seconds the PXE ROM waits for DHCP offers before giving up
Sink = Callable[[bytes], None]


class Clock(Protocol):
    def seconds(self) -> float: ...

    def callLater(self, delay: float, callable: Callable[..., Any], *args: Any, **kw: Any) -> Any: ...


class SerialConsole:
    """A serial port: output to subscribers and a log, input to the current keystroke handler."""

    def __init__(self, log_path: Path | None = None) -> None:
        self._sinks: list[Sink] = []
        self._recent = bytearray()
        self._log_path = log_path  # opened (appending) at the first output: a silent node has no file, no fd
        self._log: BinaryIO | None = None
        self.on_input: Callable[[bytes], None] = lambda data: None

    def subscribe(self, sink: Sink) -> Callable[[], None]:
        self._sinks.append(sink)

        def unsubscribe() -> None:
            if sink in self._sinks:
                self._sinks.remove(sink)

        return unsubscribe

    def recent(self) -> bytes:
        return bytes(self._recent)

    def send(self, data: bytes) -> None:
        """Keystrokes from SOL: the program on the host gets them."""
        self.on_input(data)

    def write(self, data: bytes | str) -> None:
        """The host prints ``data`` (text: newlines become CR LF, as a terminal wants)."""
        raw = data.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8") if isinstance(data, str) else data
        if not raw:
            return
        self._recent += raw
        del self._recent[:-RECENT]
        if self._log is None and self._log_path is not None:
            self._log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = self._log_path.open("ab", buffering=0)
        if self._log is not None:
            self._log.write(raw)
        for sink in list(self._sinks):
            sink(raw)

    def close(self) -> None:
        self._log_path = None
        if self._log is not None:
            self._log.close()
            self._log = None


class NodeConsole(SerialConsole):
    """The console of one simulated node of hardware ``hardware``; its owner reports what the node does."""

    def __init__(
        self, name: str, hardware: Hardware, clock: Clock, log_path: Path | None = None, macs: tuple[str, ...] = ()
    ) -> None:
        super().__init__(log_path)
        self.name = name
        self.hardware = hardware
        self.clock = clock
        self.macs = macs
        self.state = "off"
        self.hostname = "localhost"
        self._boot = "pxe"
        self._line = bytearray()
        self._asking = "login"
        self._timer: Any = None
        self.on_input = self._keystrokes

    # ---------------------------------------------------------------- what the node does

    def power_on(self, boot: str, post_seconds: float = 0.0, boot_mode: str = "uefi") -> None:
        """The host powered on or was reset, booting from ``boot`` in ``boot_mode`` (uefi or legacy): the POST
        screen, then (at once, or at :meth:`post_done` when ``post_seconds`` is more than 0) the boot attempt."""
        self._cancel()
        self._boot = boot
        hw = self.hardware
        if post_seconds > 0:
            self.state = "post"
            self.write(f"\nPOST: {post_seconds:g} s (memory test, option ROMs, controller initialisation)")
        cpu = hw.cpu
        self.write(
            f"\n{hw.system.manufacturer} {hw.system.product_name}\n"
            f"{hw.bios.vendor} BIOS {hw.bios.version} ({hw.bios.release_date})\n"
            f"{cpu.count} x {cpu.model}\n"
            f"System memory: {hw.memory_mb} MB OK\n"
            f"Boot mode: {'UEFI' if boot_mode == 'uefi' else 'Legacy BIOS'}\n"
            "Press <F2> to enter Setup, <F12> for network boot\n\n"
        )
        if self.state != "post":
            self._attempt_boot()

    def post_done(self) -> None:
        """POST ended: the firmware tries the boot device chosen at power on."""
        if self.state == "post":
            self._attempt_boot()

    def power_off(self) -> None:
        self._cancel()
        self.state = "off"

    def no_network(self) -> None:
        """Nothing answers the PXE ROM's DHCP (a rack without a provisioning network)."""
        if self.state == "pxe":
            self._timer = self.clock.callLater(PXE_TIMEOUT, self._pxe_failed)

    def boot_event(self, event: str, fields: dict[str, Any]) -> None:
        """One step of the network boot (``node_sim.netboot`` event names)."""
        if event == "dhcp.request":
            self.write("DHCP.")
        elif event == "ip.configure":
            self.write(f"\nCLIENT IP: {fields.get('address', '?')}\n")
        elif event == "pxe.nbp":
            self.write(
                "TFTP.\nPXE->EB: !PXE at 9C5C:0070, entry point at 9C5C:0106\n\n"
                "iPXE 1.0.0+ -- Open Source Network Boot Firmware -- http://ipxe.org\n"
                "Features: DNS HTTP iSCSI TFTP VLAN AoE ELF MBOOT PXE bzImage Menu PXEXT\n"
            )
        elif event == "ipxe.echo":
            self.write(f"{fields.get('text', '')}\n")
        elif event in ("http.fetch", "tftp.fetch") and fields.get("ok", True):
            self.write(f"{fields.get('url', '')}... ok\n")
        elif event == "pxe.no_bootfile":
            self.write("\nPXE-E53: No boot filename received\n")

    def boot_failed(self, reason: str) -> None:
        """The network or virtual CD boot ended without a kernel (``failed``, or a disk with no OS)."""
        if self.state in ("pxe", "kernel", "cd"):
            self.write(f"\n{reason}\n" if reason else "\n")
            self._no_bootable_device()

    def kernel(self, kernel: str, args: str) -> None:
        """The boot loader started a kernel: its boot messages."""
        version = self.hardware.kernel
        self.state = "kernel"
        self.write(
            f"Booting {kernel or 'vmlinuz'}\n"
            f"[    0.000000] Linux version {version} (vrack@{self.name}) #1 SMP\n"
            f"[    0.000000] Command line: {args}\n"
            f"[    0.000000] DMI: {self.hardware.system.manufacturer} {self.hardware.system.product_name}\n"
            f"[    0.004000] Memory: {self.hardware.memory_mb * 1024}K available\n"
            "[    1.208000] Freeing unused kernel memory: 1480K\n"
        )

    def os_running(self, hostname: str, banner: str) -> None:
        """An OS came up on the serial console: its banner and a login prompt."""
        self.state = "login"
        self.hostname = hostname
        self._asking, self._line = "login", bytearray()
        self.write(f"\n{banner} {hostname} ttyS0\n\n{hostname} login: ")

    def acpi(self, request: str) -> None:
        """The running OS took an ACPI request (``shutdown``: the power button; ``restart``): it goes down."""
        target = "Power-Off" if request == "shutdown" else "Reboot"
        self.write(f"\n[  OK  ] Stopped target Multi-User System.\n[  OK  ] Reached target {target}.\n")

    # ---------------------------------------------------------------- firmware screens

    def _attempt_boot(self) -> None:
        if self._boot == "pxe":
            mac = self.macs[0] if self.macs else "00:00:00:00:00:00"
            self.state = "pxe"
            self.write(f"Booting from PXE\nIntel(R) Boot Agent GE v1.5.85\nCLIENT MAC ADDR: {mac.upper()}\n")
        elif self._boot == "virtual-cd":  # the BMC's virtual media: its owner reports the kernel or the failure
            self.state = "cd"
            self.write("Booting from Virtual CD (BMC virtual media)\n")
        else:
            self.state = "no-boot"
            self.write(f"Booting from {self._boot}...\n")
            self._no_bootable_device()

    def _pxe_failed(self) -> None:
        self._timer = None
        if self.state != "pxe":
            return
        self.write("PXE-E51: No DHCP or proxyDHCP offers were received.\nPXE-M0F: Exiting Intel Boot Agent.\n")
        self._no_bootable_device()

    def _no_bootable_device(self) -> None:
        self.state = "no-boot"
        self.write("No bootable device -- press any key to retry the boot.\n")

    def _cancel(self) -> None:
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None

    # ---------------------------------------------------------------- keystrokes

    def _keystrokes(self, data: bytes) -> None:
        if self.state == "no-boot":
            self.write("\n")
            self._attempt_boot()
            if self.state == "pxe":
                self.no_network()
            return
        if self.state != "login":
            return  # firmware and a booting kernel ignore the keyboard
        for byte in data:
            self._key(byte)

    def _key(self, byte: int) -> None:
        if byte in (0x0D, 0x0A):
            if self._asking == "password":
                self._asking = "login"
                self.write(f"\n\nLogin incorrect\n{self.hostname} login: ")
            elif self._line.strip():
                self._asking = "password"
                self.write("\nPassword: ")
            else:
                self.write(f"\n{self.hostname} login: ")
            self._line = bytearray()
        elif byte in (0x7F, 0x08):
            if self._line:
                self._line.pop()
                if self._asking == "login":
                    self.write(b"\b \b")
        elif 0x20 <= byte < 0x7F:
            self._line.append(byte)
            if self._asking == "login":
                self.write(bytes([byte]))
