"""A rack of PDUs and switches only, started as ``vrack up``: time to running, CPU, RSS and time to stop (issue 17).

The spec has ``--pdus`` ServerTech Sentry3 PDUs and ``--switches`` Arista 7050 switches (a 100,000-BMC rack has
2,500 and 2,084) on ``--network``; every agent listens on UDP 161 of its own address, so run it as root.  It
reports seconds from the command to ``control.json`` saying running, the process's CPU seconds and RSS then,
that one real ``snmpget`` of the first PDU's sysName answered, and seconds from SIGTERM (what ``vrack down``
sends) to exit.  ``--tree`` runs another checkout of vrack (``git archive COMMIT | tar -x -C DIR``) for a
before/after pair in one session.

    sudo python -m bench.snmp_rack_start --pdus 2500 --switches 2084
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.args import existing_directory, loopback_network, positive_int
from bench.procinfo import cpu_seconds, rss_kib

ROOT = Path(__file__).resolve().parent.parent
POLL = 0.05
SYS_NAME = "1.3.6.1.2.1.1.5.0"


def spec_text(pdus: int, switches: int, network: str) -> str:
    return (
        f"rack: snmponly\nseed: snmponly-seed\nnetworks:\n  management: {network}\ndevices:\n"
        f'  - name: "pdu{{n:05d}}"\n    kind: pdu\n    model: servertech-sentry3\n    count: {pdus}\n'
        f'  - name: "sw{{n:05d}}"\n    kind: switch\n    model: arista-7050\n    count: {switches}\n'
    )


def _running(control: Path) -> bool:
    try:
        return bool(json.loads(control.read_text()).get("status") == "running")
    except (OSError, ValueError):
        return False


def measure(pdus: int, switches: int, network: str, tree: Path, timeout: float) -> dict[str, Any]:
    """Start the rack from ``tree``, probe it, stop it; the numbers (see module docstring)."""
    work = Path(tempfile.mkdtemp(prefix="vrack-snmp-rack-"))
    spec = work / "spec.yaml"
    spec.write_text(spec_text(pdus, switches, network))
    control = work / "state" / "snmponly" / "control.json"
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=str(tree))
    argv = [sys.executable, "-m", "vrack", "--state-dir", str(work / "state"), "up", str(spec)]
    started = time.monotonic()
    with (work / "log").open("wb") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=tree, env=env)
    try:
        while not _running(control):
            if proc.poll() is not None:
                raise RuntimeError(f"vrack up exited with {proc.returncode}: {(work / 'log').read_text()[-2000:]}")
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"the rack was not running after {timeout} s")
            time.sleep(POLL)
        up = time.monotonic() - started
        cpu, rss = cpu_seconds(proc.pid), rss_kib(proc.pid)
        first = json.loads(control.read_text())
        probe = subprocess.run(
            ["snmpget", "-v2c", "-c", "public", "-On", "-t", "3", str(ipaddress.IPv4Network(network)[1]), SYS_NAME],
            capture_output=True,
            text=True,
            env={"MIBS": "", "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            check=False,
        )
        stopping = time.monotonic()
        # SIGTERM, as `vrack down` sends: a bench started from a shell's background job passes SIGINT on ignored,
        # and Twisted then leaves it ignored, so Ctrl-C's signal would never stop the rack
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout)
        stop = time.monotonic() - stopping
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return {
        "tree": str(tree),
        "pdus": pdus,
        "switches": switches,
        "up_s": round(up, 2),
        "cpu_s_at_up": cpu,
        "rss_mib_at_up": round((rss or 0) / 1024, 1),
        "answered": probe.returncode == 0 and "pdu00001" in probe.stdout,
        "stop_s": round(stop, 2),
        "status": first.get("status"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--pdus", type=positive_int, default=250)
    parser.add_argument("--switches", type=positive_int, default=208)
    parser.add_argument(
        "--network", type=loopback_network, default="127.67.0.0/16", help="addresses (a /16 or larger, inside 127/8)"
    )
    parser.add_argument(
        "--tree", type=existing_directory, default=ROOT, help="the vrack checkout to run (default: this one)"
    )
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.pdus, args.switches, args.network, args.tree.resolve(), args.timeout)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
