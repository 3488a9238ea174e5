"""What RackHD sent a BMC, read from the rack's journal, as lines a person recognises.

Each ipmitool run is one RMCP+ session from one UDP source port (the journal's ``peer``), so the
journal entries of a BMC group into runs; a run's commands (without the session handshake) and the
power changes they caused make one line such as ``127.0.0.1:40112 admin: chassis.get_status`` or
``... admin: chassis.control -> host power on``.  :func:`transcript` is what a failed OBM test prints.
"""

from __future__ import annotations

from typing import Any

from vrack.testing import RackHandle

HANDSHAKE = {
    "app.get_channel_auth_capabilities",
    "app.get_channel_cipher_suites",
    "app.set_session_privilege",
    "app.get_device_id",
    "app.close_session",
}


def ipmi_runs(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group a BMC's journal entries into ipmitool runs: ``{peer, user, operations, power}`` in order."""
    runs: list[dict[str, Any]] = []
    by_peer: dict[str, dict[str, Any]] = {}
    last: dict[str, Any] | None = None
    for entry in entries:
        if entry.get("protocol") == "ipmi":
            peer = str(entry.get("peer", "?"))
            run = by_peer.get(peer)
            if run is None:
                run = {"peer": peer, "user": "", "operations": [], "power": []}
                by_peer[peer] = run
                runs.append(run)
            if entry.get("user"):
                run["user"] = entry["user"]
            operation = str(entry.get("operation"))
            if operation not in HANDSHAKE and not operation.startswith("netfn0x2c"):  # DCMI/picmg probes
                run["operations"].append(operation)
            last = run
        elif entry.get("operation") == "host-power" and entry.get("cause") == "ipmi" and last is not None:
            last["power"].append("on" if entry.get("on") else "off")
    return runs


def describe_run(run: dict[str, Any]) -> str:
    ops = ", ".join(run["operations"]) or "(session only)"
    power = "".join(f" -> host power {p}" for p in run["power"])
    return f"{run['peer']} {run['user'] or '-'}: {ops}{power}"


def transcript(rack: RackHandle, device: str, since: int) -> str:
    """Every ipmitool run that reached ``device`` after journal mark ``since``, one line each."""
    runs = ipmi_runs(rack.journal.events(since=since, device=device))
    if not runs:
        return f"  (no IPMI request reached {device})"
    return "\n".join("  " + describe_run(run) for run in runs)
