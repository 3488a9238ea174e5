"""PEF alerts end to end: a threshold event the BMC logs goes out as a Platform Event Trap that a real
snmptrapd receives and FreeIPMI's ipmi-pet decodes, once ipmitool and ipmi-pef-config set a destination
and enable the alert policy (a BMC's factory state sends nothing).  Rack on 127.60.3.0/24, in process, as
root (UDP 623 and 162).
"""

from __future__ import annotations

import re
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.clients import ipmitool, run
from tests.support.waiting import wait_for
from vrack.testing import RackHandle, start_rack

pytestmark = pytest.mark.e2e
HOST, RECEIVER = "127.60.3.1", "127.60.3.250"
SPEC = textwrap.dedent(
    f"""\
    rack: pet
    seed: pet-seed
    networks: {{management: 127.60.3.0/24}}
    devices:
      - {{name: node01, kind: compute, model: quanta-d51, power_on: true, bmc: {{address: {HOST}, boot_time: 0}}}}
    """
)
PET = re.compile(r"Enterprise Specific Trap \((\d+)\).*?Hex-STRING: ((?:[0-9A-F]{2}\s+)+)", re.S)


@pytest.fixture
def rack(tmp_path: Path) -> Iterator[RackHandle]:
    handle = start_rack(SPEC, mode="inprocess", ports="standard", state_dir=tmp_path / "state")
    yield handle
    handle.stop()


@pytest.fixture
def traps(tmp_path: Path) -> Iterator[Path]:
    conf, log = tmp_path / "snmptrapd.conf", tmp_path / "traps.log"
    conf.write_text("authCommunity log public\n")
    argv = ["snmptrapd", "-f", "-n", "-C", "-c", str(conf), "-m", "", "-On", "-Lf", str(log), f"udp:{RECEIVER}:162"]
    trapd = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: log.exists() and "NET-SNMP version" in log.read_text(), 10, "snmptrapd to start")
        yield log
    finally:
        trapd.terminate()
        trapd.wait(10)


def test_a_critical_temperature_is_a_pet_that_ipmi_pet_decodes(rack: RackHandle, traps: Path) -> None:
    node = rack.node("node01")
    node.set_sensor("Temp_CPU0", 120)  # before a destination is set: logged, not sent
    assert "3183" not in traps.read_text()
    node.set_sensor("Temp_CPU0", None)
    ipmitool(HOST, f"lan alert set 1 1 ipaddr {RECEIVER}").ok()
    pef = ["ipmi-pef-config", "-h", HOST, "-u", "admin", "-p", "admin", "--commit"]
    run([*pef, "-e", "Alert_Policy_1:Policy_Enabled=Yes", "-e", "Alert_Policy_1:Destination_Selector=1"]).ok()
    node.set_sensor("Temp_CPU0", 120)
    wait_for(lambda: len(PET.findall(traps.read_text())) >= 3, 10, "three PETs (non-critical, critical, non-rec.)")
    specific, data = PET.findall(traps.read_text())[1]
    assert int(specific) == 0x01 << 16 | 0x01 << 8 | 0x09  # temperature, threshold, upper critical going high
    hexes = ["0x" + byte.lower() for byte in data.split()]
    decoded = run(["ipmi-pet", "-h", HOST, "-u", "admin", "-p", "admin", specific, *hexes]).ok().stdout
    line = next(line for line in decoded.splitlines() if "Temp_CPU0" in line)
    assert "Temperature" in line and "Upper Critical - going high" in line and "Sensor Reading = 120.00 C" in line
