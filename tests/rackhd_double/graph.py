"""Graph.SKU.Discovery as the double runs it: one command batch per task (rackhd-facts §3.5, §3.7, §3.8).

Graph.rancherDiscovery (catalog-dmi, catalog-ohai, catalog-bmc, set-interfaces,
catalog-lsall, catalog-megaraid, catalog-smart, catalog-driveid, catalog-lldp,
set-boot-pxe), then Graph.Set.Bmc.Credentials (set_bmc_credentials.sh with a
generated ``__rackhd__`` user and password, catalog-bmc again) and the shell
reboot (``exit: 1``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

STORCLI = "sudo /opt/MegaRAID/storcli/storcli64"
RACKHD_USER = "__rackhd__"


@dataclass(frozen=True)
class Batch:
    """One task's commands as on-taskgraph sends them."""

    label: str
    commands: list[dict[str, Any]]
    exit: int | None = None


@dataclass
class BmcCredentials:
    """What Task.Generate.BMC.Password puts in the graph context (password: 8 random hex digits)."""

    user: str = RACKHD_USER
    password: str = field(default_factory=lambda: secrets.token_hex(4))


def catalog_bmc() -> list[dict[str, Any]]:
    """Task.Catalog.bmc: channel 1 first, then 2..15, all ``sudo ipmitool``."""
    cmds: list[dict[str, Any]] = [
        {"cmd": "sudo ipmitool lan print", "acceptedResponseCodes": [1]},
        {"cmd": "sudo ipmitool sel"},
        {"cmd": "sudo ipmitool sel list -c"},
        {"cmd": "sudo ipmitool mc info"},
        {"cmd": "sudo ipmitool user summary 1", "acceptedResponseCodes": [1]},
        {"cmd": "sudo ipmitool -c user list 1", "acceptedResponseCodes": [1]},
        {"cmd": "sudo ipmitool fru"},
    ]
    for channel in range(2, 16):
        cmds += [
            {"cmd": f"sudo ipmitool lan print {channel}", "acceptedResponseCodes": [1]},
            {"cmd": f"sudo ipmitool user summary {channel}", "acceptedResponseCodes": [1]},
            {"cmd": f"sudo ipmitool -c user list {channel}", "acceptedResponseCodes": [1]},
        ]
    return cmds


def discovery_batches(templates_url: str, node_id: str, creds: BmcCredentials) -> list[Batch]:
    """The batches for one node, with download URLs under ``templates_url`` (``http://host:port/api/current/templates``)."""

    def download(cmd: str, name: str) -> dict[str, Any]:
        return {"cmd": cmd, "downloadUrl": f"{templates_url}/{name}?nodeId={node_id}"}

    return [
        Batch("catalog-dmi", [{"cmd": "sudo dmidecode"}]),
        Batch("catalog-ohai", [{"cmd": "sudo ohai --directory /etc/ohai/plugins"}]),
        Batch("catalog-bmc", catalog_bmc()),
        Batch("set-interfaces", [download("sudo python set_interfaces.py", "set_interfaces.py")]),
        Batch(
            "catalog-lsall",
            [
                {"cmd": "sudo lspci -nn -vmm"},
                {"cmd": "sudo lshw -json"},
                {"cmd": "sudo lsblk -o KNAME,TYPE,ROTA; echo BREAK; sudo lsscsi --size"},
            ],
        ),
        Batch(
            "catalog-megaraid",
            [
                {"cmd": f"{STORCLI} /c0 show all J"},
                {"cmd": f"{STORCLI} show ctrlcount J"},
                {"cmd": f"{STORCLI} /c0 /eall /sall show all J"},
                {"cmd": f"{STORCLI} /c0 /vall show all J"},
            ],
        ),
        Batch("catalog-smart", [download("sudo bash get_smart.sh", "get_smart.sh")]),
        Batch("catalog-driveid", [download("sudo node get_driveid.js", "get_driveid.js")]),
        Batch("catalog-lldp", [{"cmd": "sudo /usr/sbin/lldpcli show neighbor -f keyvalue"}]),
        Batch("set-boot-pxe", [{"cmd": "sudo ipmitool chassis bootdev pxe"}]),
        Batch("set-bmc", [download("sudo ./set_bmc_credentials.sh", "set_bmc_credentials.sh")]),
        Batch("update-catalog-bmc", catalog_bmc()),
        Batch("shell-reboot", [{"cmd": ""}], exit=1),
    ]
