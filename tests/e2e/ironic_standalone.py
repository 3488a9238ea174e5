"""OpenStack Ironic (PyPI, unmodified) standalone beside a vrack rack: no keystone (noauth), sqlite, no message
bus (``rpc_transport = none``), API and conductor in one ``ironic`` process, ``ipmi`` and ``redfish`` hardware types.

Ironic's many pins (oslo.*, SQLAlchemy, eventlet) stay out of vrack's venv: it is installed into its own venv,
``.cache/ironic-venv`` at the repository root, on first use (about 45 s), and reused after.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from tests.support.ports import free_port

IRONIC = "ironic==39.0.0"
REPO_ROOT = Path(__file__).resolve().parents[2]
IRONIC_VENV = REPO_ROOT / ".cache" / "ironic-venv"
HEADERS = {"X-OpenStack-Ironic-API-Version": "latest"}

CONFIG = """\
[DEFAULT]
auth_strategy = noauth
rpc_transport = none
host = vrack-ironic
use_stderr = true
enabled_hardware_types = ipmi,redfish
enabled_power_interfaces = ipmitool,redfish
enabled_management_interfaces = ipmitool,redfish
enabled_boot_interfaces = pxe
enabled_deploy_interfaces = direct
enabled_inspect_interfaces = no-inspect
enabled_network_interfaces = noop
enabled_console_interfaces = no-console
enabled_raid_interfaces = no-raid
enabled_rescue_interfaces = no-rescue
enabled_vendor_interfaces = no-vendor
enabled_bios_interfaces = no-bios,redfish
enabled_firmware_interfaces = no-firmware
[api]
host_ip = {address}
port = {port}
[database]
connection = sqlite:///{work}/ironic.sqlite
[dhcp]
dhcp_provider = none
[conductor]
automated_clean = false
sync_power_state_interval = -1
[pxe]
tftp_root = {work}/tftp
tftp_master_path = {work}/tftp/master
[deploy]
http_root = {work}/http
http_url = http://{address}:8088
[ipmi]
min_command_interval = 1
[redfish]
firmware_update_status_interval = 1
[oslo_concurrency]
lock_path = {work}/locks
"""


def ensure_ironic(venv: Path = IRONIC_VENV) -> Path:
    """The venv's ``bin`` directory with Ironic installed (pip, on first use)."""
    bindir = venv / "bin"
    if (bindir / "ironic").exists():
        return bindir
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    done = subprocess.run([str(bindir / "pip"), "install", "-q", IRONIC], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"pip install {IRONIC} failed: {done.stderr[-1500:]}")
    return bindir


def wait_until(check: Callable[[], Any], what: str, timeout: float = 90.0) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = check()
        except requests.RequestException:
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


class Ironic:
    """One running all-in-one Ironic; :meth:`stop` ends its process group."""

    def __init__(self, work: Path, address: str, extra_config: str = "") -> None:
        """``extra_config``: more sections for ironic.conf, ones :data:`CONFIG` does not have."""
        bindir = ensure_ironic()
        self.address, self.port = address, free_port(address)
        self.url = f"http://{address}:{self.port}/v1"
        conf = work / "ironic.conf"
        conf.write_text(CONFIG.format(address=address, port=self.port, work=work) + extra_config)
        subprocess.run(
            [str(bindir / "ironic-dbsync"), "--config-file", str(conf), "create_schema"],
            check=True,
            capture_output=True,
        )
        self.log = work / "ironic.log"
        with self.log.open("wb") as sink:
            self.proc = subprocess.Popen(
                [str(bindir / "ironic"), "--config-file", str(conf)],
                stdout=sink,
                stderr=sink,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        wait_until(lambda: requests.get(self.url, timeout=5).status_code == 200, "Ironic's API", timeout=120)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> requests.Response:
        return requests.request(method, self.url + path, json=body, headers=HEADERS, timeout=60)

    def node(self, ident: str) -> dict[str, Any]:
        found: dict[str, Any] = self.call("GET", f"/nodes/{ident}").json()
        return found

    def set_power(self, ident: str, target: str) -> dict[str, Any]:
        """PUT the power target and wait until Ironic has finished it; returns the node."""
        answer = self.call("PUT", f"/nodes/{ident}/states/power", {"target": target})
        assert answer.status_code == 202, answer.text
        return dict(wait_until(lambda: (n := self.node(ident))["target_power_state"] is None and n, f"{target}"))

    def notifications(self, event_type: str) -> list[dict[str, Any]]:
        """The notifications of ``event_type`` Ironic has logged so far, oldest first (needs
        ``[oslo_messaging_notifications] driver = log``: oslo.messaging's log driver writes each as one JSON
        line on the logger ``oslo.messaging.notification.<event_type>``)."""
        marker = f" oslo.messaging.notification.{event_type} "
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            if marker in line and "] {" in line:
                try:
                    found.append(json.loads(line[line.index("] {") + 2 :]))
                except json.JSONDecodeError:  # the line Ironic is still writing
                    continue
        return found

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
