"""The stand-in's IPMI OBM service: RackHD's power graphs as ipmitool runs (rackhd-facts §1.2).

Exactly the argv RackHD's ``ipmi-obm-service.js`` builds (``ipmitool -I lanplus -U u -P p -H host ...``,
no port), wrapped as its ``obm-service.js`` does: powerOn = status, then ``chassis power on`` unless on;
powerOff = status, ``chassis power off`` unless off, 500 ms, status again (retried with a doubling delay
while still on); reboot = powerOff then powerOn.  It is NOT RackHD.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from typing import Any

INITIAL_DELAY = 0.5  # obmInitialDelay 500 ms, doubled per retry
RETRIES = 6  # obmRetries


class ObmFailed(RuntimeError):
    """An ipmitool run failed; the message is what RackHD's task error would carry."""


def ipmitool(config: dict[str, Any], *command: str) -> str:
    argv = ["ipmitool", "-I", "lanplus", "-U", config["user"], "-P", config["password"], "-H", config["host"]]
    done = subprocess.run([*argv, *command], capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        raise ObmFailed((done.stderr or done.stdout).strip() or f"ipmitool exited {done.returncode}")
    return done.stdout


def power_status(config: dict[str, Any]) -> bool:
    out = ipmitool(config, "chassis", "power", "status")
    if not out.strip():
        raise ObmFailed("empty answer to chassis power status")
    return "Chassis Power is on" in out


def power_on(config: dict[str, Any], pause: Callable[[float], None] = time.sleep) -> None:
    if not power_status(config):
        ipmitool(config, "chassis", "power", "on")


def power_off(config: dict[str, Any], pause: Callable[[float], None] = time.sleep) -> None:
    if not power_status(config):
        return
    ipmitool(config, "chassis", "power", "off")
    delay = INITIAL_DELAY
    for _ in range(RETRIES):
        pause(delay)
        if not power_status(config):
            return
        delay *= 2
    raise ObmFailed("node is still on after chassis power off")


def reboot(config: dict[str, Any], pause: Callable[[float], None] = time.sleep) -> None:
    power_off(config, pause)
    power_on(config, pause)


GRAPHS: dict[str, Callable[..., None]] = {
    "Graph.PowerOn.Node": power_on,
    "Graph.PowerOff.Node": power_off,
    "Graph.Reboot.Node": reboot,
}
