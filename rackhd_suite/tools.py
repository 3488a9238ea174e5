"""The real clients the suite runs itself to check the rack from RackHD's side: ipmitool and net-snmp.

They are given the endpoints the rack reports, so they reach a device exactly where RackHD would.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass


@dataclass
class Result:
    argv: list[str]
    code: int
    stdout: str
    stderr: str

    def explain(self) -> str:
        shown = [a if i == 0 or self.argv[i - 1] not in ("-P", "-c") else "***" for i, a in enumerate(self.argv)]
        return f"`{' '.join(shown)}` exited {self.code}: {(self.stderr or self.stdout).strip()[:300]}"


def _run(argv: list[str], timeout: float) -> Result:
    if shutil.which(argv[0]) is None:
        return Result(argv, 127, "", f"{argv[0]} is not installed (Debian: {PACKAGES[argv[0]]})")
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return Result(argv, 124, "", f"no answer within {timeout:g} s")
    return Result(argv, done.returncode, done.stdout, done.stderr)


PACKAGES = {"ipmitool": "ipmitool", "snmpget": "snmp"}


def ipmitool(host: str, port: int, user: str, password: str, command: str, timeout: float = 30.0) -> Result:
    """``ipmitool -I lanplus`` as RackHD's OBM service builds it (plus ``-p`` when the rack moved the port)."""
    argv = ["ipmitool", "-I", "lanplus", "-U", user, "-P", password, "-H", host]
    if port != 623:
        argv += ["-p", str(port)]
    return _run(argv + command.split(), timeout)


def snmpget(host: str, port: int, community: str, oid: str, timeout: float = 30.0) -> Result:
    """``snmpget -v2c`` (RackHD uses v2c only)."""
    target = host if port == 161 else f"{host}:{port}"
    return _run(["snmpget", "-v2c", "-On", "-t", "5", "-r", "1", "-c", community, target, oid], timeout)
