"""Run the real clients (ipmitool, FreeIPMI, net-snmp) the way RackHD and users do."""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass


@dataclass
class Result:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str

    def ok(self) -> Result:
        assert self.returncode == 0, f"{shlex.join(self.argv)} failed ({self.returncode}):\n{self.stderr}{self.stdout}"
        return self


def run(argv: list[str], timeout: float = 60) -> Result:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    return Result(argv, proc.returncode, proc.stdout, proc.stderr)


def ipmitool(
    host: str,
    command: str,
    user: str = "admin",
    password: str = "admin",
    *,
    interface: str = "lanplus",
    extra: str = "",
) -> Result:
    """``ipmitool -I <interface> -U u -P p -H host <command>`` as RackHD's OBM service builds it."""
    argv = ["ipmitool", "-I", interface, "-U", user, "-P", password, "-H", host, *shlex.split(extra)]
    return run(argv + shlex.split(command))


def rackhd_poller(host: str, command: str, user: str = "admin", password: str = "admin") -> Result:
    """RackHD's poller form: a shell string ``ipmitool -I lanplus -U u -H host -P p <command>``."""
    line = f"ipmitool -I lanplus -U {shlex.quote(user)} -H {host} -P {shlex.quote(password)} {command}"
    proc = subprocess.run(line, shell=True, capture_output=True, text=True, timeout=60, check=False)
    return Result(["sh", "-c", line], proc.returncode, proc.stdout, proc.stderr)


def snmp(tool: str, *args: str, community: str = "public") -> str:
    """``<tool> -v2c -c <community> -t 2 -r 1 <args>`` (snmpget, snmpwalk, snmpset); its stdout, failing on an error."""
    return run([tool, "-v2c", "-c", community, "-t", "2", "-r", "1", *args]).ok().stdout
