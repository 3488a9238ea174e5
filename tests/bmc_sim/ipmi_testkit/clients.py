"""Run real IPMI client programs against a test BMC and time them."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass

DEVICE_ID = "20 01 01 10 02 bf 4c 1c 00 01 00 00 00 00 00"  # what the device double answers


@dataclass
class Run:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def describe(self) -> str:
        return f"{' '.join(self.argv)} -> rc={self.returncode} in {self.seconds:.3f} s\n{self.stdout}{self.stderr}"


def run(argv: list[str], timeout: float = 30.0) -> Run:
    started = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    return Run(argv, proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)


def ipmitool(host: str, *command: str, user: str = "admin", password: str = "admin", interface: str = "lanplus",
             options: tuple[str, ...] = ()) -> Run:  # fmt: skip
    return run(["ipmitool", "-I", interface, "-U", user, "-P", password, "-H", host, *options, *command])


NEEDS_ROOT = "these end-to-end tests bind UDP 623 on 127.20.0.0/16 as RackHD requires: run them as root"
