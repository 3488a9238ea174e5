"""RackHD's ipmitool command lines, verbatim, against a rack started with ``vrack up``.

Every command line of ``rackhd-facts.md`` §1.2 runs here in the form RackHD
builds it (argv for OBM actions and out-of-band catalogs, a shell string for
pollers), and its output goes through the fields RackHD's parsers read
(``tests/e2e/rackhd_parsers.py``, §1.4).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import rackhd_parsers as parse
from tests.support.clients import ipmitool, rackhd_poller
from tests.support.rack_process import RackProcess
from tests.support.waiting import wait_for

pytestmark = pytest.mark.e2e

NODE01, NODE02, NODE03 = "127.11.0.1", "127.11.0.2", "127.11.0.3"


def power_is(host: str, on: bool, user: str = "admin", password: str = "admin") -> bool:
    return parse.power_status(ipmitool(host, "chassis power status", user, password).ok().stdout) is on


# --------------------------------------------------------------------------- OBM actions (ipmi-obm-service.js)


def test_obm_power_on_off_reboot_sequence(ipmi_rack: RackProcess) -> None:
    """powerOn, powerOff (with its 500 ms re-check), reboot = off then on, as the OBM service runs them."""
    host = NODE01
    if power_is(host, True):
        ipmitool(host, "chassis power off").ok()
        wait_for(lambda: power_is(host, False), 10, "power off")
    assert "Chassis Power is off" in ipmitool(host, "chassis power status").ok().stdout
    out = ipmitool(host, "chassis power on").ok().stdout
    assert "Chassis Power Control: Up/On" in out
    assert power_is(host, True)
    ipmitool(host, "chassis power off").ok()
    wait_for(lambda: power_is(host, False), 10, "power off after powerOff")
    # Graph.Reboot.Node: status, off, status, status, on
    ipmitool(host, "chassis power on").ok()
    assert power_is(host, True)


def test_obm_reset_soft_and_cycle(ipmi_rack: RackProcess) -> None:
    """reset keeps power on; soft shutdown reaches off; cycle comes back on."""
    host = NODE02
    if not power_is(host, True, "root", "calvin"):
        ipmitool(host, "chassis power on", "root", "calvin").ok()
    assert "Reset" in ipmitool(host, "chassis power reset", "root", "calvin").ok().stdout
    assert power_is(host, True, "root", "calvin")
    assert "Soft" in ipmitool(host, "chassis power soft", "root", "calvin").ok().stdout
    wait_for(lambda: power_is(host, False, "root", "calvin"), 15, "soft shutdown to finish")
    ipmitool(host, "chassis power on", "root", "calvin").ok()
    assert "Cycle" in ipmitool(host, "chassis power cycle", "root", "calvin").ok().stdout
    wait_for(lambda: power_is(host, True, "root", "calvin"), 15, "power cycle to come back on")


def test_obm_boot_device_pxe_disk_and_force_pxe(ipmi_rack: RackProcess) -> None:
    """setBootPxe (raw param 3 then bootdev pxe), forceBootPxe, setBootDisk, read back with bootparam get 5."""
    host = NODE01
    ipmitool(host, "raw 0x00 0x08 0x03 0x08").ok()
    assert "Set Boot Device to pxe" in ipmitool(host, "chassis bootdev pxe").ok().stdout
    assert "Force PXE" in ipmitool(host, "chassis bootparam get 5").ok().stdout
    ipmitool(host, "chassis bootparam set bootflag force_pxe options=no-timeout,no-PEF").ok()
    assert "Force PXE" in ipmitool(host, "chassis bootparam get 5").ok().stdout
    assert "Set Boot Device to disk" in ipmitool(host, "chassis bootdev disk").ok().stdout
    assert "Force Boot from default Hard-Drive" in ipmitool(host, "chassis bootparam get 5").ok().stdout


def test_obm_identify_clear_sel_watchdog(ipmi_rack: RackProcess) -> None:
    """identifyOn/Off show in the chassis poller's uid; clearSEL; clearWatchDog."""
    host = NODE01
    ipmitool(host, "chassis identify force").ok()
    assert parse.chassis_raw(rackhd_poller(host, "raw 0x00 0x01").ok().stdout)["uid"] == "On"
    ipmitool(host, "chassis identify 0").ok()
    assert parse.chassis_raw(rackhd_poller(host, "raw 0x00 0x01").ok().stdout)["uid"] == "Off"
    ipmitool(host, "sel clear").ok()
    info = parse.sel_info(rackhd_poller(host, "sel").ok().stdout)
    assert info["Last Del Time"] != "Not Available"
    ipmitool(host, "mc watchdog off").ok()
    assert "Stopped" in ipmitool(host, "mc watchdog get").ok().stdout


def test_obm_mc_reset_cold_goes_silent_then_answers(ipmi_rack: RackProcess) -> None:
    """mcResetCold: the BMC drops off the network for its reset time, then mc info works again."""
    host = "127.11.0.4"  # spare1, mc_reset_time 1 s
    ipmitool(host, "mc reset cold").ok()
    silent = ipmitool(host, "mc info", extra="-R 1 -N 1")
    assert silent.returncode != 0
    info = wait_for(lambda: ipmitool(host, "mc info", extra="-R 1 -N 1").returncode == 0, 30, "BMC back after reset")
    assert info
    assert parse.mc_info(ipmitool(host, "mc info").ok().stdout)["IPMI Version"] == "2.0"


# --------------------------------------------------------------------------- pollers (ipmitool.js, shell form)


def test_poller_chassis_raw_tracks_power(ipmi_rack: RackProcess) -> None:
    host = "127.11.0.5"
    ipmitool(host, "chassis power on").ok()
    assert parse.chassis_raw(rackhd_poller(host, "raw 0x00 0x01").ok().stdout)["power"] is True
    ipmitool(host, "chassis power off").ok()
    wait_for(lambda: not parse.chassis_raw(rackhd_poller(host, "raw 0x00 0x01").ok().stdout)["power"], 10, "off")


def test_poller_sdr_verbose_records_have_rackhd_fields(ipmi_rack: RackProcess) -> None:
    """``-v sdr``: every sensor survives RackHD's filter, threshold sensors carry a Status."""
    for host, user, password in ((NODE01, "admin", "admin"), (NODE02, "root", "calvin")):
        result = rackhd_poller(host, "-v sdr", user, password).ok()
        records = parse.sdr_verbose(result.stdout)
        assert len(records) >= 5, result.stdout
        types = {r["sensorType"] for r in records}
        assert "Temperature" in types and "Fan" in types
        thresholds = [r for r in records if r["sdrType"] == "Threshold"]
        assert thresholds and all(r.get("status") for r in thresholds)


def test_poller_drive_health(ipmi_rack: RackProcess) -> None:
    """``-c sdr type 0xd``: drive slot sensors with 'ok' in the third field."""
    drives = parse.drive_health(rackhd_poller(NODE01, "-c sdr type 0xd").ok().stdout)
    assert drives, "the quanta-d51 model has drive slot sensors"


def test_poller_sel_information_and_last_25(ipmi_rack: RackProcess, tmp_path: Path) -> None:
    """``sel``, ``-c sel list last 25`` and the selEntries ``sel writeraw -vv`` path."""
    host = "127.11.0.6"
    ipmitool(host, "chassis power on").ok()
    ipmitool(host, "chassis power off").ok()
    info = parse.sel_info(rackhd_poller(host, "sel").ok().stdout)
    assert int(info["Entries"]) >= 2
    assert "# Free Units" in info or "Free Space" in info
    records = parse.sel_list_last(rackhd_poller(host, "-c sel list last 25").ok().stdout)
    assert records and all(r["sensorNumber"].startswith("#0x") for r in records)
    raw_file = tmp_path / "sel.raw"
    out = rackhd_poller(host, f"sel writeraw -vv {raw_file}").ok().stdout
    data = raw_file.read_bytes()
    assert len(data) % 16 == 0 and len(data) // 16 == int(info["Entries"])
    assert "SEL Record ID" in out or data


def test_sel_injection_as_fit_does(ipmi_rack: RackProcess) -> None:
    """FIT's SEL alert test: Add SEL Entry over the LAN, then read it back."""
    host = NODE03
    before = int(parse.sel_info(rackhd_poller(host, "sel").ok().stdout)["Entries"])
    raw = "raw 0x0a 0x44 0x01 0x00 0x02 0xab 0xcd 0xef 0x00 0x01 0x00 0x04 0x07 0x02 0xef 0x00 0x00 0x00"
    record_id = ipmitool(host, raw).ok().stdout.split()
    assert len(record_id) == 2
    after = int(parse.sel_info(rackhd_poller(host, "sel").ok().stdout)["Entries"])
    assert after == before + 1
    rid = int(record_id[1] + record_id[0], 16)
    assert "SEL Record ID" in ipmitool(host, f"sel get {rid}").ok().stdout


# ------------------------------------------------------------------ catalogs (ipmi-catalog.js and in-band twins)


def test_catalog_lan_print_has_real_ip_and_mac(ipmi_rack: RackProcess) -> None:
    node = ipmi_rack.api("GET", "/api/v1/devices/node01")
    values = parse.lan_print(ipmitool(NODE01, "lan print").ok().stdout)
    assert values["IP Address"] == NODE01
    assert values["MAC Address"] == node["bmc"]["mac"]
    assert values["IP Address Source"] == "Static Address"
    assert parse.lan_print(ipmitool(NODE01, "lan print 1").ok().stdout)["IP Address"] == NODE01
    assert ipmitool(NODE01, "lan print 2").returncode == 1  # RackHD accepts rc 1 on channels 2..15


def test_catalog_fru_mc_info_and_users(ipmi_rack: RackProcess) -> None:
    sections = parse.fru(ipmitool(NODE02, "fru", "root", "calvin").ok().stdout)
    board = sections["Builtin FRU Device (ID 0)"]
    assert "DELL" in board["Board Mfg"] and "0CNCJW" in board["Board Part Number"]
    assert board["Chassis Serial"] and board["Product Serial"]
    quanta = parse.fru(ipmitool(NODE01, "fru").ok().stdout)["Builtin FRU Device (ID 0)"]
    assert "Quanta" in quanta["Board Mfg"]
    info = parse.mc_info(ipmitool(NODE01, "mc info").ok().stdout)
    assert info["IPMI Version"] == "2.0" and "Additional Device Support" in info
    assert parse.user_summary_max(ipmitool(NODE01, "user summary 1").ok().stdout) == 15
    users = parse.user_list_csv(ipmitool(NODE01, "-c user list 1").ok().stdout)
    assert users["2"]["Name"] == "admin" and users["2"]["Channel Priv Limit"] == "ADMINISTRATOR"
    assert users["4"]["Name"] == "viewer" and users["4"]["Channel Priv Limit"] == "USER"


def test_bmc_credential_script_creates_a_working_user(ipmi_rack: RackProcess) -> None:
    """set_bmc_credentials.sh's sequence, then Task.Obm.Ipmi.CreateSettings's live power-status check."""
    host = NODE01
    users = parse.user_list_csv(ipmitool(host, "-c user list 1").ok().stdout)
    slot = next(str(i) for i in range(2, 16) if str(i) not in users or not users[str(i)]["Name"])
    ipmitool(host, f"user set name {slot} __rackhd__").ok()
    ipmitool(host, f"user set password {slot} 8c1a2f3e").ok()
    ipmitool(host, f"channel setaccess 1 {slot} callin=on ipmi=on link=on privilege=4").ok()
    ipmitool(host, f"user enable {slot}").ok()
    assert "Chassis Power is" in ipmitool(host, "chassis power status", "__rackhd__", "8c1a2f3e").ok().stdout
    listed = parse.user_list_csv(ipmitool(host, "-c user list 1").ok().stdout)
    assert listed[slot]["Name"] == "__rackhd__"
    assert ipmitool(host, "chassis power status", "__rackhd__", "wrong-pw").returncode != 0


# --------------------------------------------------------------------------- sessions and security


@pytest.mark.parametrize("extra", ["", "-C 3", "-C 17", "-C 1", "-C 2"])
def test_lanplus_cipher_suites(ipmi_rack: RackProcess, extra: str) -> None:
    assert "Chassis Power is" in ipmitool(NODE01, "chassis power status", extra=extra).ok().stdout


@pytest.mark.parametrize("auth", ["MD5", "PASSWORD"])
def test_ipmi15_lan_sessions(ipmi_rack: RackProcess, auth: str) -> None:
    result = ipmitool(NODE01, "chassis power status", interface="lan", extra=f"-A {auth}").ok()
    assert "Chassis Power is" in result.stdout


def test_authentication_is_enforced(ipmi_rack: RackProcess) -> None:
    """Wrong password, unknown user and cipher 0 (not enabled) are all refused."""
    assert ipmitool(NODE01, "chassis power status", "admin", "nope").returncode != 0
    assert ipmitool(NODE01, "chassis power status", "mallory", "admin").returncode != 0
    assert ipmitool(NODE01, "chassis power status", extra="-C 0").returncode != 0
    assert ipmitool(NODE01, "chassis power status", interface="lan", extra="-A NONE").returncode != 0
    assert "Chassis Power is" in ipmitool(NODE03, "chassis power status", extra="-C 0").ok().stdout


def test_user_privilege_cannot_control_power(ipmi_rack: RackProcess) -> None:
    result = ipmitool(NODE01, "chassis power on", "viewer", "viewer-pw", extra="-L USER")
    assert result.returncode != 0
    assert (
        "Chassis Power is"
        in ipmitool(NODE01, "chassis power status", "viewer", "viewer-pw", extra="-L USER").ok().stdout
    )


# --------------------------------------------------------------------------- journal


def test_journal_records_requests_without_credentials(ipmi_rack: RackProcess) -> None:
    start = ipmi_rack.last_seq()
    ipmitool(NODE02, "chassis power status", "root", "calvin").ok()
    # lanplus: ipmitool itself rejects RAKP 2 when the password is wrong and never sends RAKP 3, so the
    # BMC can only see a wrong password in IPMI 1.5 (Activate Session) or an unknown name (RAKP 1)
    assert ipmitool(NODE02, "chassis power status", "root", "not-calvin", interface="lan").returncode != 0
    assert ipmitool(NODE02, "chassis power status", "mallory", "calvin").returncode != 0
    events = ipmi_rack.events("node02", after=start)
    status = [e for e in events if e["operation"] == "chassis.get_status"]
    assert status and status[-1]["user"] == "root" and status[-1]["completion_code"] == 0
    assert status[-1]["peer"].startswith("127.")
    assert any(e.get("outcome") == "bad-password" and e["interface"] == "lan" for e in events)
    assert any(e.get("outcome") == "unknown-user" for e in events)
    wrong = ipmitool(NODE02, "chassis power status", "root", "not-calvin-either")
    assert wrong.returncode != 0  # lanplus: the client stops after RAKP 2, the BMC says so after 2 s
    wait_for(
        lambda: any(
            e.get("outcome") == "abandoned-after-rakp2" and e["user"] == "root"
            for e in ipmi_rack.events("node02", after=start)
        ),
        10,
        "the abandoned handshake in the journal",
    )
    journal_text = Path(ipmi_rack.info["events"]).read_text()
    assert "not-calvin-either" not in journal_text
    assert "calvin" not in journal_text and "1234567" not in journal_text and "viewer-pw" not in journal_text
