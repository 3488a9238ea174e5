"""Catalog parsers of the double, following RackHD's command parser behaviour (rackhd-facts §1.4, §3.7).

Keyed by the exact command string (``sudo ipmitool lan print 2`` etc. by
pattern).  Each returns a :class:`Parsed` with the catalog ``source``, the data,
whether RackHD would store it, and MAC/IP lookups it would record.  Keys
containing ``.`` or ``$`` are NOT rewritten here (RackHD does that when storing).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

STORCLI = "sudo /opt/MegaRAID/storcli/storcli64"
PERCCLI = "sudo /opt/MegaRAID/perccli/perccli64"


@dataclass
class Parsed:
    source: str
    data: Any = None
    store: bool = True
    lookups: list[dict[str, str]] = field(default_factory=list)
    error: str | None = None


def _channel_source(base: str, rmm: str, cmd: str) -> str:
    found = re.search(r"\d+", cmd)
    if not found:
        return base
    return rmm if found.group(0) == "3" else f"{base}-{found.group(0)}"


def _colon_pairs(text: str) -> list[list[str]]:
    return [[p.strip() for p in line.split(" : ")] for line in text.split("\n") if line and " : " in line]


def _channel_error(source: str, task: dict[str, Any]) -> Parsed:
    """RackHD catalogs 15 channels and fails only when the first (or the default) one fails."""
    channel = re.search(r"\d+", task["cmd"])
    if channel and channel.group(0) != "1":
        return Parsed(source, store=False)
    return Parsed(source, error=str(task["error"]))


def lan_print(task: dict[str, Any]) -> Parsed:
    source = _channel_source("bmc", "rmm", task["cmd"])
    if task.get("error"):
        return _channel_error(source, task)
    parsed: dict[str, Any] = {}
    for parts in _colon_pairs(task.get("stdout") or ""):
        if len(parts) == 3:
            if parts[0] == "Auth Type Enable" or (parts[0] == "" and "Auth Type Enable" in parsed):
                parsed.setdefault("Auth Type Enable", {})[parts[1]] = parts[2]
        elif parts[0] == "Cipher Suite Priv Max" or (parts[0] == "" and "Cipher Suite Priv Max" in parsed):
            parsed.setdefault("Cipher Suite Priv Max", []).append(parts[1])
        else:
            parsed[parts[0]] = parts[1]
    if not parsed:
        return Parsed(source, store=False)
    result = Parsed(source, parsed, store=parsed.get("MAC Address") != "00:00:00:00:00:00")
    if parsed.get("IP Address Source") == "Static Address" and parsed.get("IP Address", "0.0.0.0") != "0.0.0.0":
        result.lookups.append({"ip": parsed["IP Address"], "mac": parsed["MAC Address"]})
    return result


def user_summary(task: dict[str, Any]) -> Parsed:
    source = _channel_source("ipmi-user-summary", "rmm-user-summary", task["cmd"])
    if task.get("error"):
        return _channel_error(source, task)
    if not task.get("stdout"):
        return Parsed(source, store=False)
    return Parsed(source, {p[0]: p[1] for p in _colon_pairs(task["stdout"])})


def user_list(task: dict[str, Any]) -> Parsed:
    source = _channel_source("ipmi-user-list", "rmm-user-list", task["cmd"].replace("-c ", ""))
    if task.get("error"):
        return _channel_error(source, task)
    if not task.get("stdout"):
        return Parsed(source, store=False)
    header = ["ID", "Name", "Callin", "Link Auth", "IPMI Msg", "Channel Priv Limit"]
    data = {}
    for line in filter(None, task["stdout"].split("\n")):
        cols = line.split(",")
        data[cols[0]] = dict(zip(header, cols, strict=False))
    return Parsed(source, data)


def fru(task: dict[str, Any]) -> Parsed:
    data: dict[str, dict[str, str]] = {}
    key = ""
    for line in filter(None, (task.get("stdout") or "").split("\n")):
        parts = line.split(":")
        name, value = parts[0].strip(), parts[1].strip() if len(parts) > 1 else ""
        if name == "FRU Device Description":
            key = value
            data[key] = {}
        else:
            data.setdefault(key, {})[name] = value
    return Parsed("ipmi-fru", data)


def mc_info(task: dict[str, Any]) -> Parsed:
    data: dict[str, Any] = {}
    for line in filter(None, (task.get("stdout") or "").split("\n")):
        parts = line.split(":")
        name, value = parts[0].strip(), parts[1].strip() if len(parts) > 1 else ""
        if name in ("Additional Device Support", "Aux Firmware Rev Info"):
            data[name] = []
        elif "Aux Firmware Rev Info" in data:
            data["Aux Firmware Rev Info"].append(name)
        elif "Additional Device Support" in data:
            data["Additional Device Support"].append(name)
        else:
            data[name] = value
    return Parsed("ipmi-mc-info", data)


def sel_info(task: dict[str, Any]) -> Parsed:
    lines = (task.get("stdout") or "").strip().split("\n")[1:]
    return Parsed("ipmi-sel-information", {p[0]: p[1] for p in (line.split(" : ") for line in lines) if len(p) > 1})


def sel_list(task: dict[str, Any]) -> Parsed:
    data = {}
    for line in filter(None, (task.get("stdout") or "").split("\n")):
        cols = line.split(",")
        data[cols[0]] = cols[1:]
    return Parsed("ipmi-sel", data)


def dmi(task: dict[str, Any]) -> Parsed:
    """Handle blocks -> ``{section: {key: value | [items]}}``; repeated sections become lists."""
    lines = (task.get("stdout") or "").split("\n")
    start = next((i for i, line in enumerate(lines) if line.startswith("Handle")), len(lines))
    end = max((i for i, line in enumerate(lines) if line == "End Of Table"), default=len(lines))
    data: dict[str, Any] = {}
    key: str | None = None
    sub: str | None = None

    def current() -> dict[str, Any]:
        entry = data[key] if key is not None else {}
        found: dict[str, Any] = entry[-1] if isinstance(entry, list) else entry
        return found

    for line in lines[start:end]:
        if line.startswith("Handle"):
            continue
        if not line:
            key = None
        elif key is None:
            key = line.strip()
            if key in data:
                data[key] = data[key] + [{}] if isinstance(data[key], list) else [data[key], {}]
            else:
                data[key] = {}
        elif line.endswith(":"):
            sub = line.split(":")[0].strip()
            current()[sub] = []
        elif not line.startswith(("\t", " ")):
            key = line.strip()
            data[key] = {}
        else:
            parts = line.split(":")
            if len(parts) == 1:
                entry = current()
                if sub is not None:
                    if not isinstance(entry.get(sub), list):
                        entry[sub] = []
                    entry[sub].append(parts[0].strip())
            else:
                sub = parts[0].strip()
                current()[sub] = parts[1].strip()
    return Parsed("dmi", data)


def lldp(task: dict[str, Any]) -> Parsed:
    if not task.get("stdout"):
        return Parsed("lldp", error="No data")
    data: dict[str, Any] = {}
    for line in task["stdout"].split("\n"):
        keys, _, value = line.partition("=")
        path = keys.split(".")
        if path[0] != "lldp" or len(path) < 2:
            continue
        node = data
        for part in path[1:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return Parsed("lldp", data)


def lshw(task: dict[str, Any]) -> Parsed:
    tree = json.loads(task["stdout"])
    pci = next(c for c in tree["children"][0]["children"] if c["id"].startswith("pci"))
    macs = []
    for child in pci.get("children", []):
        if child["id"] == "network":
            macs.append(child["serial"])
        elif child["id"].startswith("pci"):
            macs += [c["serial"] for c in child.get("children", []) if c.get("class") == "network"]
    return Parsed("lshw", tree, lookups=[{"mac": m} for m in macs])


def ip_catalog(task: dict[str, Any]) -> Parsed:
    """``sudo ip -d addr show; sudo ip -d link show`` as command-parser.js reads it: a new interface at each line
    whose second character is ``:`` (so only one-digit interface indexes), words taken in pairs (an odd last
    word joins the one before), first value wins; every interface but ``lo`` (and VLANs) must have an
    ``inet`` for the IP/MAC lookups, else the whole parse fails as RackHD's does."""
    stdout = task.get("stdout") or ""
    if not stdout:
        return Parsed("ip", error="No data")
    blocks: list[list[str]] = []
    for line in stdout.split("\n"):
        if line[1:2] == ":":
            blocks.append([line])
        else:
            blocks[-1].append(line)
    parsed: dict[str, dict[str, Any]] = {}
    for info in blocks:
        name, _, rest = info[0][3:].partition(": ")
        first, *others = rest.split(" ")
        entry = parsed.setdefault(name, {})
        entry.setdefault("flags", first.replace("<", "").replace(">", "").split(","))
        for line in [" ".join(others), *info[1:]]:
            words = [w for w in line.split(" ") if w]
            if not words:
                continue
            if "vlan" in words[0]:
                pairs = words[1:-1]
                entry.setdefault("vlan", dict(zip(pairs[::2], pairs[1::2], strict=False)))
                continue
            if len(words) % 2:
                last = words.pop()
                words[-1] = f"{words[-1]} {last}"
            for key, value in zip(words[::2], words[1::2], strict=True):
                entry.setdefault(key, value)
    lookups = [
        {"ip": str(entry["inet"]).split("/")[0], "mac": str(entry.get("link/ether"))}
        for name, entry in parsed.items()
        if name != "lo" and "vlan" not in entry
    ]
    return Parsed("ip", parsed, lookups=lookups)


def _json(source: str) -> Callable[[dict[str, Any]], Parsed]:
    def parse(task: dict[str, Any]) -> Parsed:
        return Parsed(source, json.loads(task["stdout"]))

    return parse


def _raw(source: str) -> Callable[[dict[str, Any]], Parsed]:
    return lambda task: Parsed(source, {"data": task.get("stdout", "")})


EXACT: dict[str, Callable[[dict[str, Any]], Parsed]] = {
    "sudo dmidecode": dmi,
    "sudo ohai --directory /etc/ohai/plugins": _json("ohai"),
    "sudo ipmitool sel": sel_info,
    "sudo ipmitool sel list -c": sel_list,
    "sudo ipmitool mc info": mc_info,
    "sudo ipmitool fru": fru,
    "sudo lspci -nn -vmm": _raw("lspci"),
    "sudo lshw -json": lshw,
    "sudo lsblk -o KNAME,TYPE,ROTA; echo BREAK; sudo lsscsi --size": _raw("lsscsi"),
    "sudo bash get_smart.sh": _raw("smart"),
    "sudo node get_driveid.js": _json("driveId"),
    "sudo /usr/sbin/lldpcli show neighbor -f keyvalue": lldp,
    "sudo ip -d addr show; sudo ip -d link show": ip_catalog,
    f"{STORCLI} show ctrlcount J": _json("megaraid-controller-count"),
    f"{STORCLI} /c0 show all J": _json("megaraid-controllers"),
    f"{STORCLI} /c0 /eall /sall show all J": _json("megaraid-physical-drives"),
    f"{STORCLI} /c0 /vall show all J": _json("megaraid-virtual-disks"),
}
PATTERNS: list[tuple[re.Pattern[str], Callable[[dict[str, Any]], Parsed]]] = [
    (re.compile(r"^sudo ipmitool lan print\s?\d?\d?( \|\| true)?$"), lan_print),
    (re.compile(r"^sudo ipmitool user summary \d+( \|\| true)?$"), user_summary),
    (re.compile(r"^sudo ipmitool -c user list \d+( \|\| true)?$"), user_list),
]


def parse_task(task: dict[str, Any]) -> Parsed | None:
    """The catalog RackHD would make of one finished task; None when no parser knows the command."""
    cmd = str(task.get("cmd", ""))
    parser = EXACT.get(cmd) or next((fn for pattern, fn in PATTERNS if pattern.match(cmd)), None)
    if parser is None:
        return None
    if task.get("error") and parser not in (lan_print, user_summary, user_list):
        return Parsed(cmd, error=str(task["error"]))
    try:
        return parser(task)
    except (ValueError, KeyError, IndexError, StopIteration, TypeError) as exc:
        return Parsed(cmd, error=f"{type(exc).__name__}: {exc}")
