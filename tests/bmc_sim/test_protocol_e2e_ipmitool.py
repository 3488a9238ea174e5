"""End to end with ipmitool 1.8.19 against BmcService on 127.20.1.x:623 (a subprocess with the device double)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.bmc_sim.ipmi_testkit.clients import DEVICE_ID, NEEDS_ROOT, ipmitool
from tests.bmc_sim.ipmi_testkit.server import BmcServer, running_bmc
from tests.support.privileges import require_root

pytestmark = pytest.mark.e2e
HOST = "127.20.1.1"
HOST_SUITE0 = "127.20.1.2"


@pytest.fixture(scope="module")
def bmc() -> Iterator[BmcServer]:
    with running_bmc(HOST) as server:
        yield server


@pytest.fixture(scope="module")
def bmc_with_suite_0() -> Iterator[BmcServer]:
    require_root(NEEDS_ROOT)
    server = BmcServer(HOST_SUITE0, cipher_suites=(0, 3, 17), auth_types=(0, 2)).start()
    yield server
    assert server.stop() == 0, server.output()


def test_default_cipher_suite_is_17(bmc: BmcServer) -> None:
    """ipmitool asks Get Channel Cipher Suites outside a session, picks 17 and runs the command."""
    result = ipmitool(HOST, "raw", "0x06", "0x01", options=("-v",))
    assert result.returncode == 0, result.describe()
    assert DEVICE_ID in result.stdout and "Using best available cipher suite 17" in result.stderr


@pytest.mark.parametrize("suite", ["1", "2", "3", "17"])
def test_explicit_cipher_suites(bmc: BmcServer, suite: str) -> None:
    result = ipmitool(HOST, "raw", "0x06", "0x01", options=("-C", suite))
    assert result.returncode == 0 and DEVICE_ID in result.stdout, result.describe()


@pytest.mark.parametrize("auth", ["MD5", "PASSWORD"])
def test_ipmi15_lan_interface(bmc: BmcServer, auth: str) -> None:
    result = ipmitool(HOST, "raw", "0x06", "0x01", interface="lan", options=("-A", auth))
    assert result.returncode == 0 and DEVICE_ID in result.stdout, result.describe()


def test_chassis_commands_and_session_info(bmc: BmcServer) -> None:
    assert ipmitool(HOST, "chassis", "power", "on").returncode == 0
    status = ipmitool(HOST, "chassis", "status")
    assert status.returncode == 0 and "System Power         : on" in status.stdout, status.describe()
    info = ipmitool(HOST, "session", "info", "active")
    assert "privilege level               : ADMINISTRATOR" in info.stdout, info.describe()
    assert "session type                  : IPMIv2/RMCP+" in info.stdout
    ciphers = ipmitool(HOST, "channel", "getciphers", "ipmi")
    assert ciphers.returncode == 0 and "17   N/A     hmac_sha256" in ciphers.stdout, ciphers.describe()


def test_wrong_password_fails_fast(bmc: BmcServer) -> None:
    result = ipmitool(HOST, "raw", "0x06", "0x01", password="wrong")
    print(f"lanplus wrong password: rc={result.returncode} after {result.seconds:.3f} s")
    assert result.returncode != 0 and "Unable to establish IPMI v2 / RMCP+ session" in result.stderr


def test_unknown_user_fails_fast(bmc: BmcServer) -> None:
    result = ipmitool(HOST, "raw", "0x06", "0x01", user="nobody")
    print(f"lanplus unknown user: rc={result.returncode} after {result.seconds:.3f} s")
    assert result.returncode != 0 and "Unable to establish IPMI v2 / RMCP+ session" in result.stderr
    assert any(r["outcome"] == "unknown-user" and r["user_name"] == "nobody" for r in bmc.records())


def test_ipmi15_unknown_user_fails_fast(bmc: BmcServer) -> None:
    result = ipmitool(HOST, "raw", "0x06", "0x01", user="nobody", interface="lan")
    print(f"lan unknown user: rc={result.returncode} after {result.seconds:.3f} s")
    assert result.returncode != 0 and "Invalid user name" in result.stderr


def test_ipmi15_wrong_password_fails(bmc: BmcServer) -> None:
    """IPMI 1.5 drops an Activate Session that fails authentication, so ipmitool fails on its timeout."""
    result = ipmitool(HOST, "raw", "0x06", "0x01", password="wrong", interface="lan", options=("-R", "1", "-N", "1"))
    print(f"lan wrong password (-R 1 -N 1): rc={result.returncode} after {result.seconds:.3f} s")
    assert result.returncode != 0 and "Unable to establish LAN session" in result.stderr


def test_cipher_suite_0_refused_unless_enabled(bmc: BmcServer, bmc_with_suite_0: BmcServer) -> None:
    refused = ipmitool(HOST, "raw", "0x06", "0x01", options=("-C", "0"))
    assert refused.returncode != 0 and "no matching authentication" in refused.stderr, refused.describe()
    allowed = ipmitool(HOST_SUITE0, "raw", "0x06", "0x01", options=("-C", "0"))
    assert allowed.returncode == 0 and DEVICE_ID in allowed.stdout, allowed.describe()
