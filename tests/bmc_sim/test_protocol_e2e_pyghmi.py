"""End to end with pyghmi's client (pyghmi.ipmi.command.Command) against BmcService on 127.20.1.4:623.

pyghmi's client runs its own I/O thread, so each use runs in a fresh subprocess (no leaked threads or
sockets in the test process).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from tests.bmc_sim.ipmi_testkit.clients import DEVICE_ID, Run, run
from tests.bmc_sim.ipmi_testkit.server import BmcServer, running_bmc

pytestmark = pytest.mark.e2e
HOST = "127.20.1.4"

SCRIPT = """
import sys
from pyghmi.ipmi import command
try:
    c = command.Command(bmc=sys.argv[1], userid=sys.argv[2], password=sys.argv[3])
except Exception as exc:
    print("ERROR", type(exc).__name__, exc)
    sys.exit(2)
reply = c.raw_command(netfn=6, command=1)
print("RAW", reply["code"], bytes(reply["data"]).hex())
print("POWER", c.get_power()["powerstate"])
c.ipmi_session.logout()
"""


@pytest.fixture(scope="module")
def bmc() -> Iterator[BmcServer]:
    with running_bmc(HOST) as server:
        yield server


def pyghmi(user: str, password: str) -> Run:
    return run([sys.executable, "-c", SCRIPT, HOST, user, password])


def test_raw_command_and_power_state(bmc: BmcServer) -> None:
    """pyghmi tries suite 17 first; Get Device ID and Get Chassis Status go through."""
    result = pyghmi("admin", "admin")
    assert result.returncode == 0, result.describe()
    assert f"RAW 0 {DEVICE_ID.replace(' ', '')}\n" in result.stdout and "POWER off" in result.stdout


@pytest.mark.parametrize(
    ("user", "password", "error"),
    [("admin", "wrong", "Incorrect password provided"), ("nobody", "admin", "Unauthorized name in RAKP2")],
)
def test_refusals(bmc: BmcServer, user: str, password: str, error: str) -> None:
    result = pyghmi(user, password)
    print(f"pyghmi {error}: rc={result.returncode} after {result.seconds:.3f} s")
    assert result.returncode == 2 and error in result.stdout, result.describe()
