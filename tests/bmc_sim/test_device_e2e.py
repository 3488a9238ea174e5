"""End to end: the real device behind the real session layer and UDP
transport, driven by ipmitool and FreeIPMI with RackHD's command lines.

The module starts itself as a server subprocess (``python test_device_e2e.py
--serve ADDRESS``) on 127.21.1.1, port 623 when run as root and an ephemeral
port otherwise, and stops it afterwards.
"""

from __future__ import annotations

import os
import re
import select
import shlex
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ADDRESS = "127.21.1.1"
GUID = "4c4c4544-0031-3510-8051-b4c04f333732"
FIT_ADD = "raw 0x0a 0x44 0x01 0x00 0x02 0xab 0xcd 0xef 0x00 0x01 0x00 0x04 0x07 0x02 0xef 0x00 0x00 0x00"

pytestmark = pytest.mark.e2e


# -- server side (runs in the subprocess) ---------------------------------------------
def serve(address: str, port: int) -> int:
    from twisted.internet import reactor

    from bmc_sim.config import LanConfig, UserConfig
    from bmc_sim.device import Bmc
    from bmc_sim.models import build_config
    from bmc_sim.protocol import BmcService
    from bmc_sim.session import BmcEndpoint

    config = build_config(
        "quanta-d51",
        name="e2e-node",
        lan=LanConfig(address, "52:54:00:21:01:01", gateway="127.21.1.254"),
        users=(UserConfig(2, "admin", "admin"),),
        serial="QTFE2E0001",
        system_guid=GUID,
        mc_reset_time=1.0,
    )
    bmc = Bmc(config, reactor)
    endpoint = BmcEndpoint(bmc, reactor)
    service = BmcService(endpoint, address, port, reactor=reactor)
    service.startService()
    print(f"READY {service.port}", flush=True)
    reactor.run()  # type: ignore[misc]
    return 0


# -- client side ------------------------------------------------------------------------
@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    def ok(self) -> Result:
        assert self.returncode == 0, f"rc {self.returncode}: {self.stderr}{self.stdout}"
        return self


@dataclass
class Server:
    address: str
    port: int

    def ipmitool(self, command: str, user: str = "admin", password: str = "admin") -> Result:
        argv = ["ipmitool", "-I", "lanplus", "-H", self.address, "-p", str(self.port), "-U", user, "-P", password]
        proc = subprocess.run(argv + shlex.split(command), capture_output=True, text=True, timeout=60, check=False)
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def freeipmi(self, tool: str, *args: str) -> Result:
        argv = [tool, "-D", "LAN_2_0", "-h", f"{self.address}:{self.port}", "-u", "admin", "-p", "admin", *args]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="module")
def bmc() -> Iterator[Server]:
    port = 623 if os.geteuid() == 0 else 0
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", ADDRESS, str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 20
        line = ""
        while time.monotonic() < deadline and not line.startswith("READY"):
            ready, _, _ = select.select([proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            line = proc.stdout.readline()
            if not line:
                break
        assert line.startswith("READY"), f"server did not start: {line!r}"
        yield Server(ADDRESS, int(line.split()[1]))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def until_ok(fn: Callable[[], Result], timeout: float = 20.0) -> Result:
    """Repeat ``fn()`` until it succeeds or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        result = fn()
        if result.returncode == 0 or time.monotonic() > deadline:
            return result


def test_power_control_and_chassis_poller(bmc: Server) -> None:
    """`chassis power on/off/status` and RackHD's `raw 0x00 0x01` (power bit, 3-4 bytes)."""
    assert bmc.ipmitool("chassis power on").ok().stdout.strip() == "Chassis Power Control: Up/On"
    assert "Chassis Power is on" in bmc.ipmitool("chassis power status").ok().stdout
    raw = "".join(bmc.ipmitool("raw 0x00 0x01").ok().stdout.split())
    assert len(raw) in (6, 8) and int(raw[:2], 16) & 0x01
    bmc.ipmitool("chassis power off").ok()
    assert "Chassis Power is off" in bmc.ipmitool("chassis power status").ok().stdout


def test_verbose_sdr_has_the_fields_rackhd_keeps(bmc: Server) -> None:
    """`-v sdr`: every sensor record has Sensor ID, Entity ID, Sensor Type and Reading; thresholds a Status."""
    bmc.ipmitool("chassis power on").ok()
    blocks = [b for b in bmc.ipmitool("-v sdr").ok().stdout.split("\n\n") if "Sensor ID" in b]
    assert len(blocks) >= 18
    for block in blocks:
        assert re.search(r"^ Entity ID\s+: \d+\.\d+ \(", block, re.M), block
        assert re.search(r"^ Sensor Type \((Threshold|Discrete)\)\s*: ", block, re.M), block
        assert re.search(r"^ Sensor Reading\s+: \S", block, re.M), block
        if "(Threshold)" in block:
            assert re.search(r"^ Status\s+: ok$", block, re.M), block
    p12 = next(b for b in blocks if "P12V" in b)
    assert re.search(r"Sensor Reading\s+: 12 \(\+/- 0\) Volts", p12)


def test_drive_health_poller(bmc: Server) -> None:
    """`-c sdr type 0xd`: one CSV line per drive slot, status ok, present drives say so."""
    lines = bmc.ipmitool("-c sdr type 0xd").ok().stdout.strip().splitlines()
    fields = [line.split(",") for line in lines]
    assert [f[0] for f in fields] == ["HDD0", "HDD1", "HDD2", "HDD3"]
    assert all(f[2] == "ok" for f in fields)
    assert [f[-1] for f in fields] == ["Drive Present"] * 3 + [""]


def test_fru_builtin_device(bmc: Server) -> None:
    """`fru`: the Builtin FRU Device section has Board Mfg, Board Part Number and both serials."""
    out = bmc.ipmitool("fru").ok().stdout
    assert out.startswith("FRU Device Description : Builtin FRU Device (ID 0)")
    fields = dict(line.split(":", 1) for line in out.splitlines()[1:] if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    assert fields["Board Mfg"] == "Quanta"
    assert fields["Board Part Number"] == "31S2BMB00E0"
    assert fields["Chassis Serial"] == fields["Product Serial"] == "QTFE2E0001"


def test_sel_pollers(bmc: Server) -> None:
    """FIT's raw Add SEL Entry, `-c sel list last 25` (6 CSV fields), `sel writeraw`, `sel clear`."""
    assert bmc.ipmitool(FIT_ADD).ok().stdout.split()
    lines = bmc.ipmitool("-c sel list last 25").ok().stdout.strip().splitlines()
    assert lines and all(len(line.split(",")) == 6 for line in lines)
    assert any(",Processor #0x02," in line for line in lines)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sel.raw"
        out = bmc.ipmitool(f"sel writeraw {path} -vv").ok().stdout
        raw = path.read_bytes()
    assert raw and len(raw) % 16 == 0
    assert re.search(r"^SEL Record ID\s+: [0-9a-f]{4}", out, re.M)
    records = [raw[i : i + 16] for i in range(0, len(raw), 16)]
    assert any(r[10] == 0x07 and r[12] & 0x7F == 0x6F for r in records)
    info = bmc.ipmitool("sel").ok().stdout
    assert re.search(r"^Entries\s+: \d+$", info, re.M) and "# Free Units" in info
    bmc.ipmitool("sel clear").ok()
    assert re.search(r"^Entries\s+: 0$", bmc.ipmitool("sel info").ok().stdout, re.M)


def test_lan_print(bmc: Server) -> None:
    """`lan print 1` shows the real IP and MAC, the IP source and cipher privileges; `lan print 2` fails."""
    out = bmc.ipmitool("lan print 1").ok().stdout
    assert re.search(rf"^IP Address\s+: {re.escape(ADDRESS)}$", out, re.M)
    assert re.search(r"^MAC Address\s+: 52:54:00:21:01:01$", out, re.M)
    assert re.search(r"^IP Address Source\s+: Static Address$", out, re.M)
    assert re.search(r"^Cipher Suite Priv Max\s+: a", out, re.M)
    assert bmc.ipmitool("lan print").ok().stdout == out
    assert bmc.ipmitool("lan print 2").returncode == 1


def test_users_and_new_credentials(bmc: Server) -> None:
    """The BMC credential script's commands create a login that works for a new session."""
    assert re.search(r"Maximum IDs\s+: 15", bmc.ipmitool("user summary 1").ok().stdout)
    bmc.ipmitool("user set name 6 __rackhd__").ok()
    bmc.ipmitool("user set password 6 c0ffee42").ok()
    bmc.ipmitool("channel setaccess 1 6 callin=on ipmi=on link=on privilege=4").ok()
    bmc.ipmitool("user enable 6").ok()
    rows = [line.split(",") for line in bmc.ipmitool("-c user list 1").ok().stdout.splitlines()]
    assert ["6", "__rackhd__", "true", "true", "true", "ADMINISTRATOR"] in rows
    assert "Chassis Power is" in bmc.ipmitool("chassis power status", "__rackhd__", "c0ffee42").ok().stdout
    assert bmc.ipmitool("chassis power status", "__rackhd__", "wrong").returncode != 0


def test_boot_device_lines(bmc: Server) -> None:
    """RackHD's setBootPxe and forceBootPxe lines, read back with `chassis bootparam get 5`."""
    bmc.ipmitool("raw 0x00 0x08 0x03 0x08").ok()
    assert "Set Boot Device to pxe" in bmc.ipmitool("chassis bootdev pxe").ok().stdout
    assert "Force PXE" in bmc.ipmitool("chassis bootparam get 5").ok().stdout
    bmc.ipmitool("chassis bootparam set bootflag force_pxe options=no-timeout,no-PEF").ok()
    bmc.ipmitool("chassis bootdev disk").ok()
    assert "Force Boot from default Hard-Drive" in bmc.ipmitool("chassis bootparam get 5").ok().stdout


def test_identify_and_watchdog(bmc: Server) -> None:
    """`chassis identify force`/`0` show in the chassis poller; `mc watchdog off/get`."""
    bmc.ipmitool("chassis identify force").ok()
    raw = bmc.ipmitool("raw 0x00 0x01").ok().stdout.split()
    assert (int(raw[2], 16) >> 4) & 0x03 == 2
    bmc.ipmitool("chassis identify 0").ok()
    raw = bmc.ipmitool("raw 0x00 0x01").ok().stdout.split()
    assert (int(raw[2], 16) >> 4) & 0x03 == 0
    assert "timer stopped" in bmc.ipmitool("mc watchdog off").ok().stdout
    assert re.search(r"Watchdog Timer Is:\s+Stopped", bmc.ipmitool("mc watchdog get").ok().stdout)


def test_device_id_for_both_clients(bmc: Server) -> None:
    """`mc info` (ipmitool) and `bmc-info` (FreeIPMI, which needs 11 or 15 bytes) agree."""
    out = bmc.ipmitool("mc info").ok().stdout
    assert re.search(r"^Manufacturer ID\s+: 7244$", out, re.M)
    assert re.search(r"^Firmware Revision\s+: 3\.20$", out, re.M)
    info = bmc.freeipmi("bmc-info", "--get-device-id").ok().stdout
    assert re.search(r"Firmware Revision\s+: 3\.20", info)
    guid = bmc.freeipmi("bmc-info", "--get-system-guid").ok().stdout.strip()
    assert uuid.UUID(guid.split()[-1]) == uuid.UUID(GUID)
    assert GUID in bmc.ipmitool("mc guid").ok().stdout


def test_pyghmi_client(bmc: Server) -> None:
    """pyghmi's client reads power, boot device, FRU inventory and sensors from the same BMC."""
    from pyghmi.ipmi import command

    client = command.Command(bmc=bmc.address, userid="admin", password="admin", port=bmc.port)
    try:
        client.set_power("on", wait=True)
        assert client.get_power() == {"powerstate": "on"}
        client.set_bootdev("network")
        assert client.get_bootdev()["bootdev"] == "network"
        system = dict(client.get_inventory())["System"]
        assert (system["Board manufacturer"], system["Serial Number"]) == ("Quanta", "QTFE2E0001")
        readings = {s.name: s.value for s in client.get_sensor_data()}
        assert readings["P12V"] == 12.0 and readings["Fan_SYS0"] == 8000.0
    finally:
        client.ipmi_session.logout()


def test_mc_reset_cold_then_mc_info(bmc: Server) -> None:
    """`mc reset cold` is acknowledged; the BMC comes back and answers `mc info`."""
    assert "Sent cold reset command to MC" in bmc.ipmitool("mc reset cold").ok().stdout
    assert until_ok(lambda: bmc.ipmitool("mc info")).returncode == 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        sys.exit(serve(sys.argv[2], int(sys.argv[3])))
    sys.exit(f"usage: {sys.argv[0]} --serve ADDRESS PORT")
