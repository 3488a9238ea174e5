"""Starting and stopping the three IPMI servers the benchmarks compare, each in its own process group.

* ``ipmi_sim`` (OpenIPMI, Debian ``openipmi``): one process per BMC, with the
  minimal ``lan.conf``/``sim.emu`` from the platform notes written to a temp dir;
* pyghmi's stock BMC: :mod:`bench.pyghmi_peer`, one process for any number of BMCs;
* vrack: ``python -m vrack --state-dir DIR up SPEC`` with a generated spec.

Every process starts in a new session (its own process group) and is
registered with a :class:`Processes` owner whose :meth:`Processes.stop_all`
(called from a ``finally``) sends SIGTERM to each group, then SIGKILL to any
group still alive after a grace period.  Nothing outlives the benchmark.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from vrack.testing.waiting import wait_until as _wait_until

REPO_ROOT = Path(__file__).resolve().parents[1]


class PeerError(Exception):
    """A peer did not start (exited, or no sign of life before its deadline)."""


def wait_until(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.01) -> Any:
    """:func:`vrack.testing.waiting.wait_until` raising :class:`PeerError`."""
    return _wait_until(condition, timeout, what, interval=interval, error=PeerError)


class Processes:
    """Owner of every process a benchmark starts; each runs in its own process group."""

    def __init__(self) -> None:
        self.running: list[subprocess.Popen[bytes]] = []

    def spawn(
        self, argv: list[str], log: Path, cwd: Path | None = None, stdout_pipe: bool = False
    ) -> subprocess.Popen[bytes]:
        """Start ``argv`` in a new session; stderr (and stdout unless piped) go to ``log``."""
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as sink:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if stdout_pipe else sink,
                stderr=sink,
                cwd=cwd or REPO_ROOT,
                env=dict(os.environ, PYTHONUNBUFFERED="1"),
                start_new_session=True,
            )
        self.running.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
        """SIGTERM the process group of ``proc``; SIGKILL it if still alive after ``grace`` seconds."""
        self._signal(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self._signal(proc, signal.SIGKILL)
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
        if proc in self.running:
            self.running.remove(proc)

    def stop_all(self, grace: float = 10.0) -> None:
        """Stop every process still registered: SIGTERM to all groups first, then wait, then SIGKILL."""
        for proc in self.running:
            self._signal(proc, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in list(self.running):
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            self.stop(proc, grace=1.0)

    @staticmethod
    def _signal(proc: subprocess.Popen[bytes], signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signum)


def run_in_group(argv: list[str], timeout: float) -> tuple[int, bytes, bytes]:
    """Run ``argv`` to completion in its own process group; kill the whole group if it overruns or we unwind.

    Returns (exit code, stdout, stderr).  Used for the load generator, whose
    forked client processes must not outlive it.
    """
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO_ROOT,
        start_new_session=True,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=timeout)
    except BaseException:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    return proc.returncode, out, err


# --------------------------------------------------------------------------- ipmi_sim

LAN_CONF = """\
name "{name}"
set_working_mc 0x20
  startlan 1
    addr {address} {port}
    priv_limit admin
    allowed_auths_callback none md2 md5 straight
    allowed_auths_user none md2 md5 straight
    allowed_auths_operator none md2 md5 straight
    allowed_auths_admin none md2 md5 straight
    guid a123456789abcdefa123456789abcdef
  endlan
  user 1 true  ""        "test"  user   10  none md2 md5 straight
  user 2 true  "admin"   "admin" admin  {max_sessions}  none md2 md5 straight
serial 15 {address} 9002 codec VM
startcmd "true"
"""

SIM_EMU = """\
mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
sel_enable 0x20 1000 0x0a
mc_enable 0x20
"""


def write_ipmi_sim_config(directory: Path, address: str, port: int = 623, max_sessions: int = 63) -> Path:
    """Write lan.conf, sim.emu and an empty state dir for one ipmi_sim BMC; return ``directory``.

    The serial (VM) listener sits on the BMC's own address, TCP 9002, so that
    many ipmi_sim processes never share a port.
    """
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "state").mkdir(exist_ok=True)
    name = "sim" + address.replace(".", "_")
    (directory / "lan.conf").write_text(
        LAN_CONF.format(name=name, address=address, port=port, max_sessions=max_sessions), encoding="ascii"
    )
    (directory / "sim.emu").write_text(SIM_EMU, encoding="ascii")
    return directory


def start_ipmi_sim(procs: Processes, directory: Path, address: str, port: int = 623) -> subprocess.Popen[bytes]:
    """Start one ``ipmi_sim -n`` (no console) serving ``address:port``; does not wait for it."""
    write_ipmi_sim_config(directory, address, port)
    argv = ["ipmi_sim", "-c", "lan.conf", "-f", "sim.emu", "-s", str(directory / "state"), "-n"]
    return procs.spawn(argv, directory / "ipmi_sim.log", cwd=directory)


# --------------------------------------------------------------------------- pyghmi


def start_pyghmi(
    procs: Processes,
    log: Path,
    addresses: list[str] | None = None,
    count: int = 0,
    network: str = "127.12.0.0/16",
    timeout: float = 120.0,
) -> tuple[subprocess.Popen[bytes], float]:
    """Start :mod:`bench.pyghmi_peer`; return it and the monotonic time it reported every socket bound."""
    argv = [sys.executable, "-m", "bench.pyghmi_peer", "--network", network, "--count", str(count)]
    for address in addresses or []:
        argv += ["--address", address]
    proc = procs.spawn(argv, log, stdout_pipe=True)
    assert proc.stdout is not None
    line = _read_line(proc.stdout, timeout)
    if not line.startswith(b"ready"):
        raise PeerError(f"pyghmi peer did not start (exit {proc.poll()}); see {log}")
    return proc, time.monotonic()


def _read_line(stream: IO[bytes], timeout: float) -> bytes:
    """One line from a pipe, or b'' after ``timeout`` seconds (the pipe is read with select)."""
    import select

    ready, _, _ = select.select([stream], [], [], timeout)
    return stream.readline() if ready else b""


# --------------------------------------------------------------------------- vrack


def vrack_spec(rack: str, network: str, count: int, session_limit: int = 16) -> str:
    """A rack of ``count`` generic compute nodes whose BMCs (admin/admin) fill ``network`` from its first host.

    ``boot_time: 0`` makes a BMC answer as soon as the rack is up (the default
    simulates 3 s of BMC boot after AC power, which is behaviour, not cost).
    """
    return (
        f"rack: {rack}\nseed: {rack}-seed\nnetworks:\n  management: {network}\ndevices:\n"
        f'  - name: "node{{n:04d}}"\n    kind: compute\n    model: generic\n    count: {count}\n'
        f"    bmc:\n      boot_time: 0\n      session_limit: {session_limit}\n"
        "      users:\n        - {name: admin, password: admin}\n"
    )


def spawn_vrack(
    procs: Processes, workdir: Path, rack: str, spec_text: str, up_args: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    """``python -m vrack up [up_args]`` a generated spec in ``workdir`` (log ``RACK.log``); does not wait for it."""
    workdir.mkdir(parents=True, exist_ok=True)
    spec = workdir / f"{rack}.yaml"
    spec.write_text(spec_text, encoding="utf-8")
    state = workdir / "state"
    (state / rack / "control.json").unlink(missing_ok=True)
    argv = [sys.executable, "-m", "vrack", "--state-dir", str(state), "up", *up_args, str(spec)]
    return procs.spawn(argv, workdir / f"{rack}.log")


def wait_vrack_running(proc: subprocess.Popen[bytes], workdir: Path, rack: str, timeout: float) -> float:
    """Wait until the rack's control.json says running (every socket bound); return that monotonic time."""
    control = workdir / "state" / rack / "control.json"

    def running() -> bool:
        if proc.poll() is not None:
            tail = (workdir / f"{rack}.log").read_text(errors="replace")[-2000:]
            raise PeerError(f"vrack up exited with {proc.returncode}:\n{tail}")
        try:
            info = json.loads(control.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return False
        return bool(info.get("status") == "running" and info.get("pid") == proc.pid)

    wait_until(running, timeout, f"vrack rack {rack} to report running")
    return time.monotonic()


def start_vrack(
    procs: Processes, workdir: Path, rack: str, spec_text: str, timeout: float = 120.0
) -> tuple[subprocess.Popen[bytes], float]:
    """``python -m vrack up`` a generated spec; return the process and when control.json said running."""
    proc = spawn_vrack(procs, workdir, rack, spec_text)
    return proc, wait_vrack_running(proc, workdir, rack, timeout)
