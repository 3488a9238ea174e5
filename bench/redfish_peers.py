"""Redfish peers and tools that run beside vrack, from their own venv (their pins clash with vrack's).

* DMTF ``redfish-protocol-validator`` (PyPI), the conformance tool;
* DMTF ``redfish-interop-validator`` (PyPI), which checks a service against an interoperability profile
  (``redfish_sim/profiles/VrackBareMetal.v1_0_0.json``: what Ironic, Metal3 and RackHD use);
* ``sushy-tools`` (PyPI), the Redfish emulator Ironic's CI uses, run with its ``--fake`` driver, HTTPS and
  Basic auth (an htpasswd file), as metal3-dev-env runs it.

The venv is made under ``bench/results/redfish-venv`` on first use and reused.  Nothing else is downloaded:
certificates for sushy-tools come from ``redfish_sim.tls`` and the validator runs offline.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.peers import REPO_ROOT, PeerError, Processes
from redfish_sim.tls import CertificateAuthority

VALIDATOR = "redfish-protocol-validator==1.3.2"
INTEROP_VALIDATOR = "redfish-interop-validator==3.0.4"
PROFILE = REPO_ROOT / "redfish_sim" / "profiles" / "VrackBareMetal.v1_0_0.json"
_COUNT = r"\|\s*(\d+)\s*"
INTEROP_SUMMARY = re.compile(r"PASS\s*\|\s*WARN\s*\|\s*FAIL\s*\|\s*NOT TESTED\s*\|\n\+[-+]+\+\n" + _COUNT * 4)
SUSHY_TOOLS = "sushy-tools==2.2.0"
REDFISH_VENV = REPO_ROOT / "bench" / "results" / "redfish-venv"
SUMMARY = re.compile(r"Summary - PASS: (\d+), WARN: (\d+), FAIL: (\d+), NOT_TESTED: (\d+)")


def ensure_venv(venv: Path = REDFISH_VENV) -> Path:
    """The venv's ``bin`` directory with the validators and sushy-tools installed (built on first use)."""
    bindir = venv / "bin"
    tools = ("rf_protocol_validator", "rf_interop_validator", "sushy-emulator")
    if all((bindir / tool).exists() for tool in tools):
        return bindir
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    done = subprocess.run(
        [str(bindir / "pip"), "install", "-q", VALIDATOR, INTEROP_VALIDATOR, SUSHY_TOOLS, "bcrypt"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise PeerError(f"pip install {VALIDATOR} {INTEROP_VALIDATOR} {SUSHY_TOOLS} failed: {done.stderr[-1500:]}")
    return bindir


@dataclass(frozen=True)
class ValidatorResult:
    passed: int
    warned: int
    failed: int
    not_tested: int
    crashed: str = ""  # the validator's last error line when it stopped without a summary
    report: Path | None = None


def run_protocol_validator(
    bindir: Path, url: str, user: str, password: str, ca_file: str, out: Path
) -> ValidatorResult:
    """Run ``rf_protocol_validator`` against ``url`` trusting ``ca_file``; its counts, or how it crashed."""
    env = dict(os.environ, REQUESTS_CA_BUNDLE=ca_file)  # some of its requests ignore --ca-bundle
    argv = [
        str(bindir / "rf_protocol_validator"),
        "-r",
        url,
        "-u",
        user,
        "-p",
        password,
        "--ca-bundle",
        ca_file,
        "--report-dir",
        str(out),
        "--report-type",
        "tsv",
        "--avoid-http-redirect",  # neither server serves plain HTTP here; no stray connections to port 80
    ]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600, check=False)
    text = done.stdout + done.stderr
    found = SUMMARY.search(text)
    if found is None:
        last = [line for line in text.splitlines() if line.strip()][-1:] or ["no output"]
        return ValidatorResult(0, 0, 0, 0, crashed=last[0][:200])
    reports = sorted(out.glob("*.tsv"))
    passed, warned, failed, not_tested = (int(g) for g in found.groups())
    return ValidatorResult(passed, warned, failed, not_tested, report=reports[-1] if reports else None)


def run_interop_validator(bindir: Path, url: str, user: str, password: str, ca_file: str, out: Path) -> ValidatorResult:
    """Run ``rf_interop_validator`` with vrack's bare-metal profile against ``url``; its counts, or how it crashed."""
    env = dict(os.environ, REQUESTS_CA_BUNDLE=ca_file)
    argv = [str(bindir / "rf_interop_validator"), "-u", user, "-p", password, "-r", url, "--logdir", str(out)]
    argv += ["--authtype", "Basic"]  # sushy-tools' htpasswd auth has no sessions: both servers are asked the same way
    done = subprocess.run([*argv, str(PROFILE)], capture_output=True, text=True, env=env, timeout=600, check=False)
    text = done.stdout + done.stderr
    found = INTEROP_SUMMARY.search(text)
    if found is None:
        last = [line for line in text.splitlines() if line.strip()][-1:] or ["no output"]
        return ValidatorResult(0, 0, 0, 0, crashed=last[0][:200])
    passed, warned, failed, not_tested = (int(g) for g in found.groups())
    logs = sorted(out.glob("*/RedfishInteropValidatorDebug_*.log"))
    return ValidatorResult(passed, warned, failed, not_tested, report=logs[-1] if logs else None)


def interop_failures(log: Path) -> list[str]:
    """The interop validator's error and warning messages, from the HTML report beside its debug log."""
    messages: list[str] = []
    for report in sorted(log.parent.glob("*.html")):
        text = " ".join(re.sub(r"<[^>]+>", " ", report.read_text()).split())
        kinds = "Required Resource|Read Requirement|Write Requirement|Min Count|Supported Values|Resource Capabilities"
        found = re.findall(rf"(\w+) ((?:{kinds}|Property Requirements) (?:Error|Warning): [^;]*)", text)
        messages += [f"{resource}: {message}" for resource, message in found]
    return messages


def failures(report: Path) -> list[str]:
    """``ASSERTION: message`` for every FAIL or WARN row of a validator TSV report."""
    rows = []
    for line in report.read_text().splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) > 5 and cols[4] in ("FAIL", "WARN"):
            rows.append(f"{cols[0]} {cols[4]}: {cols[5][:160]}")
    return rows


def start_sushy_tools(
    procs: Processes, bindir: Path, address: str, port: int, workdir: Path, *, auth: bool = True
) -> str:
    """sushy-emulator --fake on https://address:port (Basic auth admin/admin unless ``auth`` is False);
    returns its CA file."""
    workdir.mkdir(parents=True, exist_ok=True)
    ca = CertificateAuthority("bench-sushy-tools", "sushy-tools")
    cred = ca.issue(address, "sushy-tools")
    (workdir / "ca.pem").write_bytes(ca.pem)
    (workdir / "server.crt").write_bytes(cred.certificate_pem)
    (workdir / "server.key").write_bytes(cred.key_pem)
    hashed = subprocess.run(
        [
            str(bindir / "python"),
            "-c",
            "import bcrypt,sys; sys.stdout.write(bcrypt.hashpw(b'admin', bcrypt.gensalt(rounds=5)).decode())",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (workdir / "htpasswd").write_text(f"admin:{hashed}\n")
    conf = f"SUSHY_EMULATOR_AUTH_FILE = {str(workdir / 'htpasswd')!r}\n" if auth else ""
    (workdir / "emulator.conf").write_text(conf)
    procs.spawn(
        [
            str(bindir / "sushy-emulator"),
            "--config",
            str(workdir / "emulator.conf"),
            "--fake",
            "-i",
            address,
            "-p",
            str(port),
            "--ssl-certificate",
            str(workdir / "server.crt"),
            "--ssl-key",
            str(workdir / "server.key"),
        ],
        workdir / "sushy-tools.log",
    )
    return str(workdir / "ca.pem")


def wait_tcp(address: str, port: int, timeout: float = 30.0) -> None:
    """Return once ``address:port`` accepts a TCP connection; PeerError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((address, port), timeout=1.0):
                return
        except OSError as exc:
            if time.monotonic() > deadline:
                raise PeerError(f"{address}:{port} did not accept connections within {timeout} s: {exc}") from exc
            time.sleep(0.05)


def temp_workdir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))
