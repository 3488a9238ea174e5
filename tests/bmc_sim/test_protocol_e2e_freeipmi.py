"""End to end with FreeIPMI 1.6 (ipmipower, bmc-info) against BmcService on 127.20.1.3:623."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.bmc_sim.ipmi_testkit.clients import Run, run
from tests.bmc_sim.ipmi_testkit.server import BmcServer, running_bmc

pytestmark = pytest.mark.e2e
HOST = "127.20.1.3"


@pytest.fixture(scope="module")
def bmc() -> Iterator[BmcServer]:
    with running_bmc(HOST) as server:
        yield server


def ipmipower(*args: str, user: str = "admin", password: str = "admin") -> Run:
    return run(["ipmipower", "-h", HOST, "-u", user, "-p", password, *args, "--stat"])


@pytest.mark.parametrize("suite", ["3", "17", "1", "2"])
def test_ipmipower_lan_2_0(bmc: BmcServer, suite: str) -> None:
    """FreeIPMI checks every field strictly (session IDs, pads, sequence numbers, AuthCodes)."""
    result = ipmipower("-D", "LAN_2_0", "-I", suite)
    assert result.returncode == 0 and result.stdout.strip() == f"{HOST}: off", result.describe()


@pytest.mark.parametrize("auth", ["md5", "straight_password_key"])
def test_ipmipower_lan_1_5(bmc: BmcServer, auth: str) -> None:
    # FreeIPMI 1.6.10 compares straight-password auth codes against uninitialised bytes unless the
    # password fills all 16 bytes, so that case uses the 16-character password of user "longpw".
    user, password = ("longpw", "sixteen-chars-pw") if auth == "straight_password_key" else ("admin", "admin")
    result = ipmipower("-D", "LAN", "-a", auth, user=user, password=password)
    assert result.returncode == 0 and result.stdout.strip() == f"{HOST}: off", result.describe()


def test_bmc_info_over_lan_2_0(bmc: BmcServer) -> None:
    """bmc-info needs the 15-byte Get Device ID and reads the system GUID."""
    result = run(["bmc-info", "-D", "LAN_2_0", "-h", HOST, "-u", "admin", "-p", "admin"])
    assert result.returncode == 0, result.describe()
    assert "Manufacturer ID       : Quanta Computer Inc. (7244)" in result.stdout
    assert "System GUID : efcdab89-6745-2301-cdef-89aba1234567" in result.stdout


@pytest.mark.parametrize(
    ("driver", "user", "password", "message"),
    [
        ("LAN_2_0", "admin", "wrong", "password invalid"),
        ("LAN_2_0", "nobody", "admin", "username invalid"),
        ("LAN_2_0", "viewer", "viewer-pw", "privilege level cannot be obtained for this user"),
        ("LAN", "nobody", "admin", "username invalid"),
    ],
)
def test_refusals_fail_fast_with_the_right_message(
    bmc: BmcServer, driver: str, user: str, password: str, message: str
) -> None:
    result = ipmipower("-D", driver, user=user, password=password)
    print(f"ipmipower -D {driver} {message}: rc={result.returncode} after {result.seconds:.3f} s")
    assert result.returncode != 0 and result.stdout.strip() == f"{HOST}: {message}", result.describe()


def test_ipmi15_wrong_password_is_a_verification_timeout(bmc: BmcServer) -> None:
    result = ipmipower("-D", "LAN", "--session-timeout=2000", "--retransmission-timeout=500", password="wrong")
    assert result.returncode != 0 and result.stdout.strip() == f"{HOST}: password verification timeout"
