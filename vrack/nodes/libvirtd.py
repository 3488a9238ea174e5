"""Start and stop virtlogd + libvirtd by hand (no systemd on the CI machine), optionally inside a netns.

libvirtd must run in the namespace that holds the bridge its domains plug into: a ``type='bridge'``
interface is a tap that libvirtd creates and enslaves in its own namespace.  So for a ``netns`` rack
the daemon runs inside the rack namespace (``ip netns exec NS libvirtd --daemon``); its unix sockets
under /run/libvirt are reachable from every namespace.  Only one libvirtd can run on a host (the
qemu driver's state directories are fixed), so :meth:`LibvirtDaemon.start` refuses to start a second.

``/dev/kvm`` choice: this machine's ``/dev/kvm`` is ``600 root:root`` (no udev).  libvirt then probes
QEMU's capabilities as root with KVM, finds KVM unusable for the ``libvirt-qemu`` user and probes again
on every API call (``defineXML`` 52 s).  :func:`ensure_kvm_group_access` does what Debian's udev rule
would do, ``root:kvm 0660``, and leaves it so (the cached capabilities stay valid).  VM nodes still
use TCG (``type='qemu'``): KVM cannot run SeaBIOS/iPXE on this machine (platform-notes §4).
"""

from __future__ import annotations

import functools
import grp
import os
import signal
import socket
import stat
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from vrack.procs import process_alive

LIBVIRT_SOCKET = Path("/run/libvirt/libvirt-sock")
VIRTLOGD_SOCKET = Path("/run/libvirt/virtlogd-sock")
RUN_DIR = Path("/run/vrack/libvirt")
KVM_DEVICE = Path("/dev/kvm")


class LibvirtDaemonError(Exception):
    """libvirtd or virtlogd could not be started, or another libvirtd already runs."""


def ensure_kvm_group_access(device: Path = KVM_DEVICE) -> bool:
    """Make ``device`` ``root:kvm 0660`` if it exists and is not; True if it changed anything."""
    try:
        info = device.stat()
    except FileNotFoundError:
        return False
    try:
        kvm_gid = grp.getgrnam("kvm").gr_gid
    except KeyError:
        return False
    if info.st_gid == kvm_gid and stat.S_IMODE(info.st_mode) & 0o660 == 0o660:
        return False
    os.chown(device, 0, kvm_gid)
    os.chmod(device, 0o660)
    return True


def socket_answers(path: Path) -> bool:
    """True if a process accepts connections on the unix socket ``path``."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def _alive(pid: int) -> bool:
    return process_alive(pid)


def _gone(pid: int) -> bool:
    return not _alive(pid)


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text(encoding="ascii").strip())
    except (FileNotFoundError, ValueError):
        return None


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise LibvirtDaemonError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


class LibvirtDaemon:
    """virtlogd + libvirtd started by hand (``--daemon``) in ``netns`` (None: this namespace).

    Pid files and the daemons' log go to ``run_dir``.  :meth:`stop` stops only what :meth:`start`
    started (a virtlogd that was already running is used, not restarted).  Blocking: call it from a
    thread (``deferToThread``) inside a running reactor.
    """

    def __init__(
        self,
        netns: str | None = None,
        run_dir: Path = RUN_DIR,
        *,
        uri: str = "qemu:///system",
        fix_kvm: bool = True,
    ) -> None:
        self.netns = netns
        self.run_dir = run_dir
        self.uri = uri
        self.fix_kvm = fix_kvm
        self.log_file = run_dir / "libvirtd.log"
        self._pid_files = {"libvirtd": run_dir / "libvirtd.pid", "virtlogd": run_dir / "virtlogd.pid"}

    def _command(self, *argv: str) -> list[str]:
        return ["ip", "netns", "exec", self.netns, *argv] if self.netns else list(argv)

    def start(self, timeout: float = 120.0) -> float:
        """Start the daemons and wait until libvirt answers on :attr:`uri`; return the seconds it took.

        The first start on a machine probes QEMU's capabilities (about 7-12 s); later starts use the
        cache (well under a second).  Raises :class:`LibvirtDaemonError` if a libvirtd already answers.
        """
        if socket_answers(LIBVIRT_SOCKET):
            raise LibvirtDaemonError(f"a libvirtd already answers on {LIBVIRT_SOCKET}; stop it first")
        if self.fix_kvm:
            ensure_kvm_group_access()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        env = {**os.environ, "LIBVIRT_LOG_OUTPUTS": f"3:file:{self.log_file}"}
        if not socket_answers(VIRTLOGD_SOCKET):
            self._spawn("virtlogd", env)
            _wait_for(lambda: socket_answers(VIRTLOGD_SOCKET), timeout, "virtlogd")
        self._spawn("libvirtd", env)
        _wait_for(self._answers, timeout, f"libvirtd on {self.uri}")
        return time.monotonic() - started

    def _spawn(self, daemon: str, env: dict[str, str]) -> None:
        pid_file = self._pid_files[daemon]
        pid_file.unlink(missing_ok=True)
        done = subprocess.run(
            self._command(daemon, "--daemon", "--pid-file", str(pid_file)),
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise LibvirtDaemonError(f"{daemon} did not start: {done.stderr.strip()}")

    def _answers(self) -> bool:
        import libvirt  # optional dependency (the 'vm' extra)

        pid = _read_pid(self._pid_files["libvirtd"])
        if pid is not None and not _alive(pid):
            raise LibvirtDaemonError(f"libvirtd exited during start-up; see {self.log_file}")
        libvirt.registerErrorHandler(lambda _ctx, _err: None, None)  # refused connections are expected here
        try:
            conn = libvirt.open(self.uri)
        except libvirt.libvirtError:
            return False
        try:
            conn.getVersion()
        finally:
            conn.close()
        return True

    def running(self) -> bool:
        """True if the libvirtd this object started (per its pid file) is alive."""
        pid = _read_pid(self._pid_files["libvirtd"])
        return pid is not None and _alive(pid)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM libvirtd then virtlogd (those started here), SIGKILL after ``timeout``; idempotent.

        Running domains are not stopped: power them off (or undefine them) first.
        """
        for daemon in ("libvirtd", "virtlogd"):
            pid_file = self._pid_files[daemon]
            pid = _read_pid(pid_file)
            if pid is not None and _alive(pid):
                gone = functools.partial(_gone, pid)
                os.kill(pid, signal.SIGTERM)
                try:
                    _wait_for(gone, timeout, f"{daemon} (pid {pid}) to exit")
                except LibvirtDaemonError:
                    os.kill(pid, signal.SIGKILL)
                    _wait_for(gone, 5.0, f"{daemon} (pid {pid}) to die")
            pid_file.unlink(missing_ok=True)
