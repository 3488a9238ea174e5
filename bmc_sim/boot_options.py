"""System boot options (IPMI 2.0 section 28.12-28.13): the parameters 0..6 a BMC keeps, the boot device names of
the boot flags, and the selection the host boots with.  :class:`bmc_sim.chassis.Chassis` owns one."""

from __future__ import annotations

from dataclasses import dataclass

from bmc_sim.errors import ParameterNotSupported

# boot device selector (boot flags byte 2, bits 5:2) <-> name
BOOT_DEVICES = {
    0x0: "none",
    0x1: "pxe",
    0x2: "disk",
    0x3: "safe",
    0x4: "diag",
    0x5: "cdrom",
    0x6: "bios",
    0x7: "floppy-remote",
    0x8: "cdrom-remote",
    0x9: "remote-media",
    0xB: "disk-remote",
    0xF: "floppy",
}

# boot option parameters: selector -> data length
BOOT_PARAM_LENGTHS = {0: 1, 1: 1, 2: 1, 3: 1, 4: 2, 5: 5, 6: 9}
BOOT_PARAM_VERSION = 0x01
NO_TIMEOUT_BIT = 0x08  # param 3: don't clear valid bit after 60 s


@dataclass(frozen=True, slots=True)
class BootSelection:
    """What the host boots from, decided when it (re)starts."""

    device: str  # a BOOT_DEVICES name, or "default" when no valid override
    persistent: bool = False
    efi: bool = False


class BootOptions:
    """System boot option parameters 0..6 (IPMI 2.0 table 28-14)."""

    def __init__(self) -> None:
        self.params: dict[int, bytearray] = {p: bytearray(n) for p, n in BOOT_PARAM_LENGTHS.items()}

    def get(self, param: int) -> bytes:
        """Parameter data; 0x80 for parameters this BMC does not implement."""
        if param not in self.params:
            raise ParameterNotSupported(f"boot parameter {param}")
        data = self.params[param]
        if param == 4:
            return bytes([0x00, data[1]])
        return bytes(data)

    @property
    def flags(self) -> bytearray:
        return self.params[5]

    @property
    def valid(self) -> bool:
        return bool(self.flags[0] & 0x80)

    @property
    def persistent(self) -> bool:
        return bool(self.flags[0] & 0x40)

    @property
    def efi(self) -> bool:
        return bool(self.flags[0] & 0x20)

    @property
    def device(self) -> str:
        return BOOT_DEVICES.get((self.flags[1] >> 2) & 0x0F, "none")

    def clear_valid(self) -> None:
        self.flags[0] &= 0x7F
