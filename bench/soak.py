"""Soak: does a rack's memory stay flat under steady load?  (issue 14, finding 7)

Starts a rack of ``--bmcs`` BMCs and one PDU (a child ``vrack up`` through vrack.testing) on
127.16.21.0/24, keeps ``--clients`` ipmitool loops (lanplus login, ``chassis power status``, logout), one
snmpget loop, one Redfish loop (a session created with a password, the System read with its token, the
session deleted; HTTPS verified against the rack's CA) and one SOL loop (ipmitool ``sol activate``, the
``~.`` escape) running against it for ``--seconds``, and samples the rack process's resident memory
every ``--interval`` seconds.  Reports the samples and the least-squares slope in MiB per hour over the
samples after ``--warmup`` seconds, with the request count.  Real clients, real sockets; needs root for
ports 623/161.

    sudo python -m bench.soak --seconds 3600           # the issue's one-hour soak
    sudo python -m bench.soak --seconds 20 --bmcs 5    # a quick look (the smoke test)
"""

from __future__ import annotations

import argparse
import json
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.args import positive_int
from bench.procinfo import rss_kib
from vrack.testing import start_rack

NETWORK = "127.16.21"


def spec(bmcs: int) -> str:
    return (
        f"rack: soak\nseed: soak-seed\nnetworks: {{management: {NETWORK}.0/24}}\ndevices:\n"
        f"  - {{name: 'node{{n:03d}}', kind: compute, model: quanta-d51, count: {bmcs}, bmc: {{boot_time: 0}}}}\n"
        "  - {name: pdu1, kind: pdu, model: servertech-sentry3, outlets: 8}\n"
    )


def slope_mib_per_hour(samples: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MiB) samples, in MiB per hour; None with fewer than two."""
    if len(samples) < 2:
        return None
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_m = sum(m for _, m in samples) / n
    var = sum((t - mean_t) ** 2 for t, _ in samples)
    if var == 0:
        return None
    cov = sum((t - mean_t) * (m - mean_m) for t, m in samples)
    return cov / var * 3600


def _load(argv_for: Any, stop: threading.Event, counts: list[int], index: int, stdin: bytes | None = None) -> None:
    n = 0
    while not stop.is_set():
        done = subprocess.run(argv_for(n), capture_output=True, input=stdin, check=False, timeout=30)
        counts[index] += 1 if done.returncode == 0 else 0
        n += 1


def _calls(call: Callable[[int], bool], stop: threading.Event, counts: list[int], index: int) -> None:
    """Like :func:`_load`, with an in-process client: ``call(n)`` says whether round ``n`` succeeded."""
    n = 0
    while not stop.is_set():
        counts[index] += 1 if call(n) else 0
        n += 1


def redfish_round(base: str, context: ssl.SSLContext) -> bool:
    """One Redfish session's life: POST a session (password), GET the System with its token, DELETE it."""
    login = json.dumps({"UserName": "admin", "Password": "admin"}).encode()
    request = urllib.request.Request(f"{base}/redfish/v1/SessionService/Sessions", data=login, method="POST")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as created:
            token, location = created.headers["X-Auth-Token"], created.headers["Location"]
        for method, path in (("GET", "/redfish/v1/Systems"), ("DELETE", location)):
            call = urllib.request.Request(base + path if path.startswith("/") else path, method=method)
            call.add_header("X-Auth-Token", token)
            with urllib.request.urlopen(call, context=context, timeout=10):
                pass
    except OSError:
        return False
    return True


def run(bmcs: int, clients: int, seconds: float, interval: float, warmup: float) -> dict[str, Any]:
    handle = start_rack(spec(bmcs), mode="process", ports="standard")
    try:
        control = json.loads((handle.state_dir / "soak" / "control.json").read_text())
        pid = int(control["pid"])
        hosts = [node.bmc.address for node in handle.nodes()]
        pdu = handle.pdu("pdu1").address
        stop = threading.Event()
        counts = [0] * (clients + 3)  # ipmitool loops, snmpget, Redfish, SOL
        context = ssl.create_default_context(cafile=str(handle.state_dir / "soak" / "redfish-ca.pem"))
        redfish = [f"https://{host}" for host in hosts]

        def ipmi(k: int) -> Any:
            return lambda n: ["ipmitool", "-I", "lanplus", "-H", hosts[(n * clients + k) % len(hosts)],
                              "-U", "admin", "-P", "admin", "chassis", "power", "status"]  # fmt: skip

        threads = [threading.Thread(target=_load, args=(ipmi(k), stop, counts, k), daemon=True) for k in range(clients)]
        snmp = ["snmpget", "-v2c", "-c", "public", "-t", "2", pdu, ".1.3.6.1.2.1.1.3.0"]
        threads.append(threading.Thread(target=_load, args=(lambda n: snmp, stop, counts, clients), daemon=True))
        rounds = threading.Thread(
            target=_calls,
            args=(lambda n: redfish_round(redfish[n % len(redfish)], context), stop, counts, clients + 1),
            daemon=True,
        )
        threads.append(rounds)

        def sol(n: int) -> list[str]:
            return ["ipmitool", "-I", "lanplus", "-H", hosts[n % len(hosts)], "-U", "admin", "-P", "admin",
                    "sol", "activate", "usesolkeepalive"]  # fmt: skip

        threads.append(threading.Thread(target=_load, args=(sol, stop, counts, clients + 2, b"~.\n"), daemon=True))
        for thread in threads:
            thread.start()
        started = time.monotonic()
        samples: list[tuple[float, float]] = []
        while (elapsed := time.monotonic() - started) < seconds:
            kib = rss_kib(pid)
            if kib is not None:
                samples.append((round(elapsed, 1), round(kib / 1024, 2)))
            time.sleep(min(interval, max(seconds - elapsed, 0.01)))
        stop.set()
        for thread in threads:
            thread.join(60)
    finally:
        handle.stop()
    steady = [(t, m) for t, m in samples if t >= warmup]
    return {
        "bmcs": bmcs,
        "clients": clients,
        "seconds": seconds,
        "requests_ok": sum(counts),
        "runs_ok": {
            "ipmitool": sum(counts[:clients]),
            "snmpget": counts[clients],
            "redfish_sessions": counts[-2],
            "sol": counts[-1],
        },
        "samples": samples,
        "rss_first_mib": samples[0][1] if samples else None,
        "rss_last_mib": samples[-1][1] if samples else None,
        "slope_mib_per_hour_after_warmup": slope_mib_per_hour(steady),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bmcs", type=positive_int, default=200)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=3600.0)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=300.0, help="seconds left out of the slope")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args(argv)
    result = run(args.bmcs, args.clients, args.seconds, args.interval, args.warmup)
    text = json.dumps(result, indent=1)
    if args.json:
        args.json.write_text(text)
    summary = {k: v for k, v in result.items() if k != "samples"}
    print(json.dumps(summary), file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
