"""One liveness check (issue 14 finding 6): a killed process that is not reaped yet (a zombie) is not alive."""

from __future__ import annotations

import os
import signal
import subprocess

from vrack.procs import process_alive, process_start_time
from vrack.statedir import _alive


def test_a_zombie_is_not_alive_and_a_running_process_is() -> None:
    child = subprocess.Popen(["sleep", "60"])
    try:
        assert process_alive(child.pid) and _alive(child.pid)
        assert process_start_time(child.pid) is not None
        os.kill(child.pid, signal.SIGKILL)
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # exited, not reaped: a zombie now
        assert not process_alive(child.pid) and not _alive(child.pid)
    finally:
        child.kill()
        child.wait()
    assert not process_alive(child.pid) and process_start_time(child.pid) is None
    assert not process_alive(0) and not process_alive(-1)
