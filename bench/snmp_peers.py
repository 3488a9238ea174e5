"""The SNMP servers the benchmarks compare, each started in its own process group.

* vrack: ``python -m vrack --state-dir DIR up SPEC`` with one 48-port
  ``arista-7050`` switch (four ports cabled to powered-on nodes, so LLDP and
  FDB rows exist) and community ``public``;
* snmpsim (PyPI ``snmpsim``, benchmark-only): serves the vrack switch's tree
  from a ``.snmprec`` file.  It runs from its own venv made from Debian's
  ``/usr/bin/python3`` (with ``python3-gdbm``: the default Python here has no
  dbm module and snmpsim needs one), created on first use under
  ``bench/results/`` and reused afterwards;
* net-snmp ``snmpd``: either serving the same tree through one ``override``
  line per object (``-I override,vacm_conf``: no MIB module of its own), or
  as it normally runs, with its own MIB modules and tree.

Every process is registered with a :class:`bench.peers.Processes` owner
whose ``stop_all`` (from a ``finally``) ends the whole group.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from bench.peers import REPO_ROOT, PeerError, Processes, start_vrack

SNMPSIM_VERSION = "1.2.2"
SNMPSIM_VENV = REPO_ROOT / "bench" / "results" / "snmpsim-venv"
DEBIAN_PYTHON = "/usr/bin/python3"
SWITCH_RACK = "bench-snmp"

SWITCH_SPEC = """\
rack: {rack}
seed: {rack}-seed
networks:
  management: {network}
devices:
  - name: "node{{n:02d}}"
    kind: compute
    model: generic
    count: 4
    power_on: true
    bmc:
      boot_time: 0
      users:
        - {{name: admin, password: admin}}
  - name: sw1
    kind: switch
    model: arista-7050
    ports: 48
    address: {address}
    port: {port}
    snmp:
      communities:
        - {{name: public, access: ro}}
cables:
  - {{a: node01/nic0, b: sw1/1}}
  - {{a: node02/nic0, b: sw1/2}}
  - {{a: node03/nic0, b: sw1/3}}
  - {{a: node04/nic0, b: sw1/4}}
"""


def switch_spec(address: str, network: str, port: int = 161, rack: str = SWITCH_RACK) -> str:
    """A rack of one 48-port arista-7050 switch at ``address`` with four cabled, powered nodes."""
    return SWITCH_SPEC.format(rack=rack, network=network, address=address, port=port)


def start_vrack_switch(
    procs: Processes, workdir: Path, address: str, network: str, port: int = 161, rack: str = SWITCH_RACK
) -> subprocess.Popen[bytes]:
    """``vrack up`` the one-switch rack; returns once control.json says running."""
    proc, _ = start_vrack(procs, workdir, rack, switch_spec(address, network, port, rack), timeout=60)
    return proc


# --------------------------------------------------------------------------- snmpsim


def _run(argv: list[str], what: str, timeout: float = 300) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise PeerError(f"{what} failed (exit {done.returncode}): {(done.stderr or done.stdout)[-1500:]}")


def _has_gdbm(python: str) -> bool:
    return subprocess.run([python, "-c", "import dbm.gnu"], capture_output=True, check=False).returncode == 0


def ensure_snmpsim(venv: Path = SNMPSIM_VENV) -> Path:
    """The ``snmpsim-command-responder`` of a venv that can index ``.snmprec`` files; built on first use.

    Installs Debian's ``python3-venv python3-gdbm`` with apt-get when
    ``/usr/bin/python3`` lacks them, makes the venv from that interpreter and
    pip-installs ``snmpsim`` (plus ``pysmi``, which snmpsim 1.2.2 imports
    without declaring it).  Raises :class:`PeerError` when any step fails.
    """
    responder = venv / "bin" / "snmpsim-command-responder"
    python = venv / "bin" / "python"
    if responder.exists() and _has_gdbm(str(python)):
        return responder
    if not Path(DEBIAN_PYTHON).exists():
        raise PeerError(f"{DEBIAN_PYTHON} is missing: snmpsim needs a Python with dbm.gnu")
    if not _has_gdbm(DEBIAN_PYTHON) or not _venv_module_works():
        if shutil.which("apt-get") is None:
            raise PeerError("python3-gdbm/python3-venv are missing and apt-get is not available")
        _run(["apt-get", "install", "-y", "-q", "python3-venv", "python3-gdbm"], "apt-get install python3-gdbm")
    shutil.rmtree(venv, ignore_errors=True)
    _run([DEBIAN_PYTHON, "-m", "venv", str(venv)], "creating the snmpsim venv")
    _run(
        [str(python), "-m", "pip", "install", "-q", f"snmpsim=={SNMPSIM_VERSION}", "pysmi"],
        "pip install snmpsim",
    )
    if not responder.exists() or not _has_gdbm(str(python)):
        raise PeerError(f"snmpsim venv at {venv} is unusable")
    return responder


def _venv_module_works() -> bool:
    return subprocess.run([DEBIAN_PYTHON, "-c", "import ensurepip, venv"], capture_output=True).returncode == 0


def snmpsim_version(responder: Path) -> str:
    python = responder.parent / "python"
    done = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('snmpsim'), m.version('pysnmp'))"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or "unknown"


def start_snmpsim(
    procs: Processes, responder: Path, workdir: Path, records: list[str], address: str, port: int = 161
) -> subprocess.Popen[bytes]:
    """Serve ``records`` (``.snmprec`` lines) as community ``public`` on ``address:port``; does not wait.

    As root snmpsim insists on dropping privileges, but it binds through
    pysnmp 7's asynchronous transport only after dropping them, so port 161
    would fail silently; ``SNMPSIM_ALLOW_ROOT=true`` (snmpsim's own switch)
    keeps it root.  Its index is rebuilt on every start (a fresh cache dir).
    """
    data = workdir / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "public.snmprec").write_text("\n".join(records) + "\n", encoding="utf-8")
    cache = workdir / "cache"
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir()
    argv = [
        "env", "SNMPSIM_ALLOW_ROOT=true", str(responder), f"--data-dir={data}", f"--cache-dir={cache}",
        f"--agent-udpv4-endpoint={address}:{port}",
    ]  # fmt: skip
    return procs.spawn(argv, workdir / "snmpsim.log", cwd=workdir)


# --------------------------------------------------------------------------- net-snmp snmpd


def snmpd_version() -> str:
    done = subprocess.run(["snmpd", "-v"], capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if "version" in line.lower():
            return line.split(":", 1)[-1].strip()
    return "unknown"


def start_snmpd(
    procs: Processes, workdir: Path, address: str, overrides: list[str] | None = None, port: int = 161
) -> subprocess.Popen[bytes]:
    """``snmpd -f`` on ``address:port`` with ``rocommunity public``; does not wait.

    With ``overrides`` (``override OID TYPE VALUE`` lines) only the override
    and VACM-config modules are initialised, so the agent serves exactly those
    objects; without, snmpd runs with all its own MIB modules.
    """
    if shutil.which("snmpd") is None:
        raise PeerError("snmpd is not installed (Debian package snmpd)")
    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / "snmpd.conf"
    lines = ["rocommunity public 127.0.0.0/8", *(overrides or [])]
    conf.write_text("\n".join(lines) + "\n", encoding="ascii")
    argv = [
        "env", "MIBS=", "snmpd", "-f", "-Lo", "-C", "-c", str(conf), "--noPersistentLoad=1",
        "--noPersistentSave=1", "-p", str(workdir / "snmpd.pid"),
    ]  # fmt: skip
    if overrides is not None:
        argv += ["-I", "override,vacm_conf"]
    argv.append(f"udp:{address}:{port}")
    return procs.spawn(argv, workdir / "snmpd.log", cwd=workdir)
