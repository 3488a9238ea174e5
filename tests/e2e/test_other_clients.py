"""FreeIPMI and pyghmi against the rack's BMCs (the rack fixture of test_rackhd_ipmi)."""

from __future__ import annotations

import pytest

from tests.support.clients import run
from tests.support.rack_process import RackProcess

pytestmark = pytest.mark.e2e

HOST = "127.11.0.1"
FREEIPMI = ["-h", HOST, "-u", "admin", "-p", "admin"]


def test_freeipmi_ipmipower_lan20_and_lan15(ipmi_rack: RackProcess) -> None:
    out = run(["ipmipower", "-D", "LAN_2_0", *FREEIPMI, "--stat"]).ok().stdout
    assert HOST in out and ("on" in out or "off" in out)
    out15 = run(["ipmipower", "-D", "LAN", *FREEIPMI, "--stat"]).ok().stdout
    assert HOST in out15 and ("on" in out15 or "off" in out15)


def test_freeipmi_bmc_info(ipmi_rack: RackProcess) -> None:
    out = run(["bmc-info", "-D", "LAN_2_0", *FREEIPMI]).ok().stdout
    assert "IPMI Version" in out and "2.0" in out
    assert "Manufacturer ID" in out


def test_freeipmi_sensors_sel_fru(ipmi_rack: RackProcess) -> None:
    sensors = run(["ipmi-sensors", "-D", "LAN_2_0", *FREEIPMI]).ok().stdout
    assert "Temperature" in sensors and "Fan" in sensors
    run(["ipmi-sel", "-D", "LAN_2_0", *FREEIPMI]).ok()
    fru = run(["ipmi-fru", "-D", "LAN_2_0", *FREEIPMI]).ok().stdout
    assert "Quanta" in fru


def test_pyghmi_client(ipmi_rack: RackProcess) -> None:
    """pyghmi's client: power, boot device, sensors (SDR decoding) and inventory (FRU)."""
    from pyghmi.ipmi import command

    ipmi = command.Command(bmc="127.11.0.2", userid="admin", password="admin", keepalive=False)
    try:
        ipmi.set_power("on", wait=True)
        assert ipmi.get_power()["powerstate"] == "on"
        ipmi.set_bootdev("network")
        assert ipmi.get_bootdev()["bootdev"] == "network"
        readings = list(ipmi.get_sensor_data())
        assert any(r.type == "Temperature" for r in readings)
        inventory = dict(ipmi.get_inventory())
        assert "System" in inventory
    finally:
        ipmi.ipmi_session.logout()
