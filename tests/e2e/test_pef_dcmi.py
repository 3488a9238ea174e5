"""PEF and DCMI with the real clients: FreeIPMI's ipmi-pef-config checks out, commits and diffs the PEF
configuration; ``ipmitool pef``; ``ipmitool dcmi power reading`` and FreeIPMI's ``ipmi-dcmi`` read the
power the rack's power model draws (what the PDU outlet feeding the node reports); a DCMI power limit set with ipmitool
throttles what the PDU sees, and one the host cannot meet powers it off with a SEL event."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator

import pytest

from tests.support.clients import ipmitool, run
from vrack.testing import RackHandle, start_rack

pytestmark = pytest.mark.e2e
HOST = "127.64.3.1"
SPEC = textwrap.dedent(
    f"""\
    rack: pef-dcmi
    networks: {{management: 127.64.3.0/24}}
    devices:
      - {{name: node01, kind: compute, model: quanta-d51, post_seconds: 0, bmc: {{address: {HOST}, boot_time: 0}}}}
      - {{name: pdu1, kind: pdu, model: servertech-sentry3, outlets: 4, address: 127.64.3.9}}
    power:
      - {{outlet: pdu1/1, to: node01/psu1}}
    """
)
FREEIPMI = ["-h", HOST, "-u", "admin", "-p", "admin"]


@pytest.fixture(scope="module")
def rack() -> Iterator[RackHandle]:
    handle = start_rack(SPEC, mode="inprocess", ports="standard")
    yield handle
    handle.stop()


def outlet_watts(rack: RackHandle) -> float:
    outlets = rack.pdu("pdu1").describe()["outlets"]
    return float(next(o for o in outlets if o["outlet"] == 1)["watts"])


def reading(text: str, label: str) -> int:
    found = re.search(rf"{re.escape(label)}\s*:\s*(\d+) [Ww]atts", text)
    assert found, text
    return int(found.group(1))


def test_power_readings_are_the_power_models(rack: RackHandle) -> None:
    ipmitool(HOST, "chassis power off").ok()
    standby = ipmitool(HOST, "dcmi power reading").ok().stdout
    assert reading(standby, "Instantaneous power reading") == outlet_watts(rack) == 12
    assert "Power reading state is:                   activated" in standby
    ipmitool(HOST, "chassis power on").ok()
    on = ipmitool(HOST, "dcmi power reading").ok().stdout
    assert reading(on, "Instantaneous power reading") == outlet_watts(rack) == 280
    stats = run(["ipmi-dcmi", *FREEIPMI, "--get-system-power-statistics"]).ok().stdout
    assert reading(stats, "Current Power") == 280
    assert (
        reading(stats, "Minimum Power over sampling duration"),
        reading(stats, "Maximum Power over sampling duration"),
    ) == (12, 280)
    assert 12 <= reading(stats, "Average Power over sampling duration") <= 280
    assert "Power Measurement                    : Active" in stats
    caps = run(["ipmi-dcmi", *FREEIPMI, "--get-dcmi-capability-info"]).ok().stdout
    assert "Power Management / Monitoring Support              : Available" in caps
    assert "Primary LAN Out-of-band Channel Number             : 1" in caps


def test_ipmi_pef_config_checkout_commit_and_diff(rack: RackHandle) -> None:
    checkout = run(["ipmi-pef-config", *FREEIPMI, "--checkout"]).ok()
    sections = re.findall(r"^Section (\S+)", checkout.stdout, re.M)
    assert sections[:2] == ["PEF_Conf", "Community_String"] and checkout.stderr == ""
    assert [s for s in sections if s.startswith("Event_Filter_")] == [f"Event_Filter_{n}" for n in range(1, 17)]
    assert [s for s in sections if s.startswith("Alert_Policy_")] == [f"Alert_Policy_{n}" for n in range(1, 9)]
    assert "Alert_String_3" in sections
    assert re.search(r"Section Event_Filter_4\n(.*\n)*?\tSensor_Type\s+Power_Supply\n", checkout.stdout)
    changes = ["PEF_Conf:Enable_PEF=No", "Event_Filter_9:Enable_Filter=Yes", "Event_Filter_9:Sensor_Type=Fan",
               "Alert_Policy_2:Policy_Enabled=Yes", "Alert_String_1:Alert_String=Fan_failure_on_node01"]  # fmt: skip
    run(["ipmi-pef-config", *FREEIPMI, "--commit", *[arg for c in changes for arg in ("-e", c)]]).ok()
    after = run(["ipmi-pef-config", *FREEIPMI, "--checkout"]).ok().stdout
    assert re.search(r"Section PEF_Conf\n(.*\n)*?\tEnable_PEF\s+No\n", after)
    assert re.search(r"Section Event_Filter_9\n(.*\n)*?\tEnable_Filter\s+Yes\n(.*\n)*?\tSensor_Type\s+Fan\n", after)
    assert re.search(r"Section Alert_Policy_2\n(.*\n)*?\tPolicy_Enabled\s+Yes\n", after)
    assert re.search(r"Section Alert_String_1\n(.*\n)*?\tAlert_String\s+Fan_failure_on_node01\n", after)
    diff = run(["ipmi-pef-config", *FREEIPMI, "--diff", "-e", "PEF_Conf:Enable_PEF=Yes"]).ok().stdout
    assert diff.strip() == "PEF_Conf:Enable_PEF - input=`Yes':actual=`No'"
    info = ipmitool(HOST, "pef info").ok().stdout
    assert "0x51 | 16 | 8 |" in info and "Alert,Power-off,Reset,Power-cycle" in info
    filters = ipmitool(HOST, "pef filter list").ok().stdout.splitlines()
    assert filters[0].startswith(" 1 | enabled, pre-configured | Temperature | Any | Critical")
    assert ipmitool(HOST, "raw 0x04 0x12 0x05 0x04").returncode != 0  # number of filters is read-only (0x82)


def test_a_dcmi_power_limit_throttles_the_outlet_and_an_unholdable_one_powers_the_host_off(rack: RackHandle) -> None:
    ipmitool(HOST, "chassis power on").ok()
    for setting in ("limit 250", "correction 1000", "action power_off"):
        ipmitool(HOST, f"dcmi power set_limit {setting}").ok()
    assert "No Active Power Limit" in ipmitool(HOST, "dcmi power get_limit").ok().stdout
    assert outlet_watts(rack) == 280
    ipmitool(HOST, "dcmi power activate").ok()
    assert outlet_watts(rack) == 250  # 250 W is within reach of throttling: the PDU sees it at once
    assert reading(ipmitool(HOST, "dcmi power reading").ok().stdout, "Instantaneous power reading") == 250
    limit = run(["ipmi-dcmi", *FREEIPMI, "--get-power-limit"]).ok().stdout
    assert "Power Limit Requested                             : 250 watts" in limit
    assert "Hard Power Off system" in limit
    since = rack.journal.mark()
    ipmitool(HOST, "dcmi power set_limit limit 100").ok()  # below what the host can throttle to
    rack.journal.wait_for(since, timeout=15, device="node01", operation="host-power", on=False, cause="power-limit")
    assert "Chassis Power is off" in ipmitool(HOST, "chassis power status").ok().stdout
    events = ipmitool(HOST, "sel elist").ok().stdout
    assert "Upper Critical going high | Asserted | Reading 280 > Threshold 100 Watts" in events
    ipmitool(HOST, "dcmi power deactivate").ok()


def test_dcmi_identity_strings_and_temperatures_with_ipmitool_and_ipmi_dcmi(rack: RackHandle) -> None:
    ipmitool(HOST, "chassis power on").ok()
    ipmitool(HOST, "dcmi set_asset_tag RACK7-SLOT12-ASSET-0001").ok()  # 23 bytes: two chunks
    assert "Asset tag: RACK7-SLOT12-ASSET-0001" in ipmitool(HOST, "dcmi asset_tag").ok().stdout
    assert run(["ipmi-dcmi", *FREEIPMI, "--get-asset-tag"]).ok().stdout.strip() == "RACK7-SLOT12-ASSET-0001"
    assert "Identifier String: node01" in ipmitool(HOST, "dcmi get_mc_id_string").ok().stdout
    run(["ipmi-dcmi", *FREEIPMI, "--set-management-controller-identifier-string=bmc-node01.rack7"]).ok()
    assert "Identifier String: bmc-node01.rack7" in ipmitool(HOST, "dcmi get_mc_id_string").ok().stdout
    sensors = ipmitool(HOST, "dcmi sensors").ok().stdout
    assert re.search(r"Inlet: 1 temperature sensor found:\s*Record ID 0x0003: Temp_Inlet\s*\| 24 degrees C", sensors)
    assert "CPU: 2 temperature sensors found:" in sensors
    temps = ipmitool(HOST, "dcmi get_temp_reading").ok().stdout
    assert re.search(r"CPU temperature sensors\(41h\)\s+1\s+\+45 C", temps), temps
    assert re.search(r"Inlet air temperature\(40h\)\s+1\s+\+24 C", temps), temps
    info = run(["ipmi-dcmi", *FREEIPMI, "--get-dcmi-sensor-info"]).ok().stdout
    assert re.search(r"CPU Temperature SDR Record IDs\n1\n2\n", info), info
