"""Stopping a test's subprocess: SIGTERM, a bounded wait, then SIGKILL."""

from __future__ import annotations

import signal
import subprocess
from typing import Any


def stop_process(proc: subprocess.Popen[Any] | None, timeout: float = 10.0, sig: int = signal.SIGTERM) -> int | None:
    """Send ``sig`` to a running ``proc`` and wait up to ``timeout`` s; kill it if it is still there.

    Returns the exit code (None for no process).  A process that already exited is left alone.
    """
    if proc is None:
        return None
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
    return proc.returncode
