"""RLIMIT_NOFILE for big racks (vrack.fdlimit): the count per device, raising, and the refusal's message.

Limits are changed only in child processes, never in the test runner.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from bench.peers import vrack_spec
from vrack.fdlimit import BASE_FDS, FdLimitTooLow, ensure_fd_limit, fds_needed
from vrack.plan import build_plan
from vrack.spec import load_spec

CHILD = """
import resource, sys
from vrack.fdlimit import FdLimitTooLow, ensure_fd_limit
resource.setrlimit(resource.RLIMIT_NOFILE, (300, 300))
try:
    print(ensure_fd_limit(int(sys.argv[1])), resource.getrlimit(resource.RLIMIT_NOFILE))
except FdLimitTooLow as exc:
    print("refused:", exc)
"""


def test_needed_counts_ipmi_and_redfish_sockets_per_bmc(tmp_path: Path) -> None:
    spec = tmp_path / "r.yaml"
    spec.write_text(vrack_spec("fd", "127.16.17.0/24", 40), encoding="utf-8")
    assert fds_needed(build_plan(load_spec(spec))) == BASE_FDS + 40 * 2  # UDP 623 + TCP 443 each


def test_a_limit_already_high_enough_is_left_alone() -> None:
    assert ensure_fd_limit(resource.getrlimit(resource.RLIMIT_NOFILE)[0]) is None


def test_more_than_the_kernel_allows_one_process_is_refused_with_the_sysctl_to_raise() -> None:
    nr_open = int(Path("/proc/sys/fs/nr_open").read_text().split()[0])
    with pytest.raises(FdLimitTooLow, match=rf"fs.nr_open = {nr_open}\); raise it"):
        ensure_fd_limit(nr_open + 1)


def may_raise_hard_limits() -> bool:
    """CAP_SYS_RESOURCE in the effective set (root in a container may lack it)."""
    status = Path("/proc/self/status").read_text()
    effective = int(next(line for line in status.splitlines() if line.startswith("CapEff:")).split()[1], 16)
    return bool(effective >> 24 & 1)


def test_soft_and_hard_limits_are_raised_when_permitted_or_refused_naming_the_limit_otherwise() -> None:
    out = subprocess.run([sys.executable, "-c", CHILD, "5000"], capture_output=True, text=True, check=True).stdout
    if may_raise_hard_limits():
        assert out.strip() == "(300, 5000) (5000, 5000)"
    else:
        assert out.startswith("refused: the rack needs about 5000 file descriptors") and "hard 300" in out


@pytest.mark.e2e
@pytest.mark.skipif(os.geteuid() != 0, reason="binds UDP 623: root only")
def test_vrack_up_raises_a_low_soft_limit_to_what_its_bmcs_need(tmp_path: Path) -> None:
    spec = tmp_path / "fd.yaml"
    spec.write_text(vrack_spec("fdup", "127.16.17.0/24", 40), encoding="utf-8")
    argv = [sys.executable, "-m", "vrack", "--state-dir", str(tmp_path / "state"), "up", str(spec)]

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]

    def low_limit() -> None:  # pragma: no cover - runs in the child
        resource.setrlimit(resource.RLIMIT_NOFILE, (100, hard))

    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=low_limit
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        try:
            first = proc.stdout.readline()
            assert first.startswith("rack fdup is up"), first + proc.stderr.read()
            limits = Path(f"/proc/{proc.pid}/limits").read_text()
        finally:
            proc.terminate()
        proc.communicate(timeout=30)
    line = next(line for line in limits.splitlines() if line.startswith("Max open files"))
    assert line.split()[3:5] == [str(BASE_FDS + 80), "unlimited" if hard == resource.RLIM_INFINITY else str(hard)]
