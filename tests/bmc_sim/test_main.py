"""``python -m bmc_sim`` runs one BMC on its own, answering real ipmitool."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e


def test_standalone_bmc_answers_ipmitool_and_reports_requests() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bmc_sim", "--address", "127.21.8.1", "--port", "16230", "--user", "ops:s3cret-pw"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert json.loads(proc.stdout.readline())["listening"] == "127.21.8.1:16230"
        out = subprocess.run(
            [
                "ipmitool",
                "-I",
                "lanplus",
                "-H",
                "127.21.8.1",
                "-p",
                "16230",
                "-U",
                "ops",
                "-P",
                "s3cret-pw",
                "chassis",
                "power",
                "status",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
        assert "Chassis Power is off" in out
        commands = []
        while "chassis.get_status" not in commands:
            record = json.loads(proc.stdout.readline())
            assert "s3cret-pw" not in json.dumps(record)
            commands.append(record["command"])
    finally:
        proc.terminate()
        proc.wait(10)


def test_bad_user_argument_exits_2() -> None:
    result = subprocess.run([sys.executable, "-m", "bmc_sim", "--user", "nopassword"], capture_output=True, text=True)
    assert result.returncode == 2 and "expected NAME:PASSWORD" in result.stderr
