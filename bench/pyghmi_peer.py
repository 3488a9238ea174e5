"""pyghmi's stock BMC as a benchmark peer: N ``pyghmi.ipmi.bmc.Bmc`` objects in one process.

    python -m bench.pyghmi_peer --address 127.16.0.2 [--address ...] [--port 623]
    python -m bench.pyghmi_peer --network 127.12.0.0/16 --count 100

Each BMC keeps its power state in memory (like pyghmi's own ``fakebmc``) and
accepts admin/admin.  pyghmi binds every socket in the ``Bmc`` constructor;
once all are bound the process prints ``ready <count>`` on stdout and serves
them all with one ``Bmc.listen()`` (pyghmi's select loop plus its IO thread).
"""

from __future__ import annotations

import argparse
import ipaddress
import sys
import uuid

import pyghmi.ipmi.bmc as pyghmi_bmc


class MemoryBmc(pyghmi_bmc.Bmc):  # type: ignore[misc]
    """A pyghmi BMC whose chassis is a power flag and a boot device in memory."""

    def __init__(self, authdata: dict[str, str], port: int, address: str, index: int) -> None:
        super().__init__(authdata, port=port, bmcuuid=uuid.UUID(int=index + 1), address=address)
        self.powerstate = "off"
        self.bootdevice = "default"

    def get_boot_device(self) -> str:
        return self.bootdevice

    def set_boot_device(self, bootdevice: str) -> None:
        self.bootdevice = bootdevice

    def cold_reset(self) -> int:
        return 0

    def get_power_state(self) -> str:
        return self.powerstate

    def power_off(self) -> None:
        self.powerstate = "off"

    def power_on(self) -> None:
        self.powerstate = "on"

    def power_cycle(self) -> None:
        self.powerstate = "on"

    def power_reset(self) -> None:
        pass

    def power_shutdown(self) -> None:
        self.powerstate = "off"

    def is_active(self) -> bool:
        return self.powerstate == "on"


def addresses(args: argparse.Namespace) -> list[str]:
    """The listen addresses: every ``--address``, then ``--count`` hosts of ``--network``."""
    found = list(args.address or [])
    if args.count:
        hosts = ipaddress.IPv4Network(args.network).hosts()
        found.extend(str(next(hosts)) for _ in range(args.count))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="pyghmi stock BMCs for benchmarks")
    parser.add_argument("--address", action="append", help="listen address (repeatable)")
    parser.add_argument("--network", default="127.12.0.0/16", help="network for --count addresses")
    parser.add_argument("--count", type=int, default=0, help="this many BMCs on the first hosts of --network")
    parser.add_argument("--port", type=int, default=623)
    args = parser.parse_args(argv)
    targets = addresses(args)
    if not targets or not all(ipaddress.IPv4Address(a).is_loopback for a in targets):
        parser.error("give at least one address, all in 127.0.0.0/8")
    auth = {"admin": "admin"}
    bmcs = [MemoryBmc(auth, args.port, address, index) for index, address in enumerate(targets)]
    print(f"ready {len(bmcs)}", flush=True)
    pyghmi_bmc.Bmc.listen()
    return 0


if __name__ == "__main__":
    sys.exit(main())
