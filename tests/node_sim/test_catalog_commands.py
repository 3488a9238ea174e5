"""Catalog commands in memory: the exact strings RackHD sends, read back with RackHD-style parsers.

No sockets: each node is a personality + identity + a real ``bmc_sim`` Bmc on a fake clock.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from node_sim.catalog import LldpNeighbor, NodeContext, run_command
from node_sim.hardware_identity import disk_serial
from tests.rackhd_double import parsers
from tests.rackhd_double.nodes import make_node
from tests.rackhd_double.templates import render

MODELS = ("quanta-d51", "dell-r630", "generic")
LSALL = "sudo lsblk -o KNAME,TYPE,ROTA; echo BREAK; sudo lsscsi --size"
PERCCLI = "sudo /opt/MegaRAID/perccli/perccli64"
STORCLI = "sudo /opt/MegaRAID/storcli/storcli64"


def parsed(cmd: str, ctx: NodeContext) -> parsers.Parsed:
    result = run_command(cmd, ctx)
    assert result.exit_code == 0, (cmd, result)
    out = parsers.parse_task({"cmd": cmd, "stdout": result.stdout, "stderr": result.stderr, "error": None})
    assert out is not None and out.error is None, out
    return out


@pytest.mark.parametrize("model", MODELS)
def test_dmidecode_parses_into_rackhds_dmi_catalog(model: str) -> None:
    node = make_node(model)
    dmi = parsed("sudo dmidecode", node.ctx).data
    system = dmi["System Information"]
    assert system["Serial Number"] == node.identity.system_serial
    assert system["UUID"] == str(node.identity.system_uuid).upper()
    assert system["Manufacturer"] == node.hardware.system.manufacturer
    assert dmi["Chassis Information"]["Serial Number"] == node.identity.chassis
    assert len(dmi["Memory Device"]) == len(node.hardware.dimms)
    assert len(dmi["Processor Information"]) == node.hardware.cpu.count
    assert "PCI is supported" in dmi["BIOS Information"]["Characteristics"]


def test_ohai_carries_the_sku_fields() -> None:
    node = make_node("quanta-d51")
    ohai = parsed("sudo ohai --directory /etc/ohai/plugins", node.ctx).data
    assert "Quanta" in ohai["dmi"]["system"]["manufacturer"]
    assert "D51B-1U" in ohai["dmi"]["system"]["product_name"]
    assert ohai["dmi"]["system"]["serial_number"] == node.identity.system_serial
    assert ohai["cpu"]["real"] == 2 and ohai["cpu"]["total"] == 24
    eth0 = ohai["network"]["interfaces"]["eth0"]["addresses"]
    assert node.identity.nic_macs[0].upper() in eth0


@pytest.mark.parametrize("model", MODELS)
def test_lshw_macs_become_lookups(model: str) -> None:
    node = make_node(model)
    lshw = parsed("sudo lshw -json", node.ctx)
    assert [entry["mac"] for entry in lshw.lookups] == list(node.identity.nic_macs)
    assert lshw.data["serial"] == node.identity.system_serial


def test_lspci_lists_nics_and_the_raid_controller() -> None:
    out = run_command("sudo lspci -nn -vmm", make_node("dell-r630").ctx).stdout
    blocks = [dict(line.split(":\t", 1) for line in b.splitlines()) for b in out.split("\n\n") if b]
    nics = [b for b in blocks if b["Class"] == "Ethernet controller [0200]"]
    raid = [b for b in blocks if b["Class"].startswith("RAID bus controller")]
    assert len(nics) == 4 and nics[0]["Slot"] == "01:00.0" and "[14e4]" in nics[0]["Vendor"]
    assert len(raid) == 1 and "[1000]" in raid[0]["Vendor"] and raid[0]["SDevice"] == "PERC H730 Mini [1f49]"


def _lsscsi(stdout: str) -> tuple[dict[str, bool], list[list[str]]]:
    """RackHD's lsblk+lsscsi parser: rotational map and lsscsi rows (8-field rows merge the model)."""
    lines = stdout.strip().split("\n")[1:]
    rota: dict[str, bool] = {}
    rows: list[list[str]] = []
    in_lsblk = True
    for line in lines:
        if line == "BREAK":
            in_lsblk = False
        elif in_lsblk:
            kname, kind, rotational = line.split()
            if kind == "disk":
                rota[kname] = rotational == "1"
        else:
            split = line.split()
            if len(split) == 8:
                split = [*split[:3], f"{split[3]} {split[4]}", *split[5:]]
            rows.append(split)
    return rota, rows


def test_lsblk_and_lsscsi_as_rackhd_reads_them() -> None:
    node = make_node("quanta-d51")
    rota, rows = _lsscsi(run_command(LSALL, node.ctx).stdout)
    assert rota == {"sda": False, "sdb": True, "sdc": True}
    assert rows[0] == ["[0:0:0:0]", "disk", "ATA", "INTEL SSDSC2BB24", "0140", "/dev/sda", "240GB"]
    assert rows[1][3:] == ["ST1000NM0033-9ZM", "SN04", "/dev/sdb", "1.00TB"]


def test_raid_tools_answer_json_on_a_raid_node() -> None:
    node = make_node("dell-r630")
    for tool in (PERCCLI, STORCLI):
        count = json.loads(run_command(f"{tool} show ctrlcount J", node.ctx).stdout)
        assert count["Controllers"][0]["Response Data"]["Controller Count"] == 1
        show = json.loads(run_command(f"{tool} /c0 show all J", node.ctx).stdout)["Controllers"][0]
        assert show["Command Status"]["Status"] == "Success"
        assert show["Response Data"]["Basics"]["Model"] == "PERC H730 Mini"
        assert show["Response Data"]["VD LIST"][0]["TYPE"] == "RAID1"
    drives = json.loads(run_command(f"{PERCCLI} /c0 /eall /sall show all J", node.ctx).stdout)
    details = drives["Controllers"][0]["Response Data"]["Drive /c0/e32/s1 - Detailed Information"]
    serial = details["Drive /c0/e32/s1 Device attributes"]["SN"].strip()
    assert serial == disk_serial(node.hardware.disks[1], node.identity, 1)
    vds = json.loads(run_command(f"{PERCCLI} /c0 /vall show all J", node.ctx).stdout)
    assert vds["Controllers"][0]["Response Data"]["VD0 Properties"]["OS Drive Name"] == "/dev/sda"
    missing = run_command(f"{PERCCLI} /c1 show all J", node.ctx)
    assert missing.exit_code != 0 and "Controller 1 not found" in missing.stdout


def test_raid_tools_are_missing_without_a_controller() -> None:
    node = make_node("quanta-d51")
    via_sudo = run_command(f"{STORCLI} show ctrlcount J", node.ctx)
    assert (via_sudo.exit_code, via_sudo.stderr) == (1, "sudo: /opt/MegaRAID/storcli/storcli64: command not found\n")
    direct = run_command("/opt/MegaRAID/storcli/storcli64 show ctrlcount J", node.ctx)
    assert (direct.exit_code, direct.stderr) == (127, "sh: 1: /opt/MegaRAID/storcli/storcli64: not found\n")


def test_get_smart_needs_the_download_then_reports_every_drive() -> None:
    node = make_node("quanta-d51")
    absent = run_command("sudo bash get_smart.sh", node.ctx)
    assert (absent.exit_code, absent.stderr) == (127, "bash: get_smart.sh: No such file or directory\n")
    node.ctx.files["get_smart.sh"] = render("get_smart.sh") or b""
    out = run_command("sudo bash get_smart.sh", node.ctx).stdout
    devices = [line[4:] for line in out.splitlines() if line.startswith("####")]
    assert devices == ["/dev/sda scsi", "/dev/sdb scsi", "/dev/sdc scsi"]
    assert out.count("=== START OF INFORMATION SECTION ===") == 3
    assert "SMART Attributes Data Structure revision number: 1" in out
    assert f"Serial Number:    {disk_serial(node.hardware.disks[0], node.identity, 0)}" in out
    assert "controller_PCI_BDF=0000:00:1f.2" in out and "host_ID=2" in out


def test_get_smart_on_the_perc_node_reads_the_drives_behind_the_controller() -> None:
    node = make_node("dell-r630")
    node.ctx.files["get_smart.sh"] = render("get_smart.sh") or b""
    out = run_command("sudo bash get_smart.sh", node.ctx).stdout
    heads = [line for line in out.splitlines() if line.startswith("####")]
    assert heads == ["####/dev/sda scsi", "####/dev/bus/0 megaraid,0", "####/dev/bus/0 megaraid,1"]
    assert "SMART support is:     Unavailable - device lacks SMART capability." in out
    assert out.count("Transport protocol:   SAS (SPL-3)") == 2 and "controller_PCI_BDF=0000:03:00.0" in out


def test_driveid_matches_the_block_devices() -> None:
    node = make_node("dell-r630")
    node.ctx.files["get_driveid.js"] = render("get_driveid.js") or b""
    ids = json.loads(run_command("sudo node get_driveid.js", node.ctx).stdout)
    assert ids[0]["devName"] == "sda" and ids[0]["virtualDisk"] == "/c0/v0" and ids[0]["scsiId"] == "0:2:0:0"
    assert ids[0]["esxiWwid"].startswith("naa.6") and ids[0]["linuxWwid"].startswith("/dev/disk/by-id/scsi-36")
    quanta = make_node("quanta-d51")
    quanta.ctx.files["get_driveid.js"] = render("get_driveid.js") or b""
    sata = json.loads(run_command("sudo node get_driveid.js", quanta.ctx).stdout)
    assert [e["identifier"] for e in sata] == [0, 1, 2]
    assert all(e["esxiWwid"].startswith("t10.ATA_____") and e["virtualDisk"] == "" for e in sata)


def test_lldp_neighbours_give_rackhd_the_switch_relation_keys() -> None:
    peer = SimpleNamespace(mac="00:1C:73:AA:BB:01", chassis_name="tor1", port_id="Ethernet7", port_descr="Ethernet7")
    node = make_node("quanta-d51", neighbors=(LldpNeighbor.from_peer("eth0", peer),))
    lldp = parsed("sudo /usr/sbin/lldpcli show neighbor -f keyvalue", node.ctx).data
    assert lldp["eth0"]["chassis"]["mac"] == "00:1c:73:aa:bb:01"
    assert lldp["eth0"]["port"]["ifname"] == "Ethernet7" and lldp["eth0"]["chassis"]["name"] == "tor1"
    lonely = run_command("sudo /usr/sbin/lldpcli show neighbor -f keyvalue", make_node().ctx)
    assert lonely.exit_code == 0 and lonely.stdout == ""


def test_set_interfaces_records_static_addresses() -> None:
    node = make_node("dell-r630")
    node.ctx.files["set_interfaces.py"] = render("set_interfaces.py") or b""
    assert run_command("sudo python set_interfaces.py", node.ctx).exit_code == 0
    assert [(a.interface, a.address, a.gateway) for a in node.ctx.static_addresses] == [
        ("eth0", "10.0.0.100", "10.0.0.1"),
        ("eth1", "10.0.0.101", None),
        ("eth2", "10.0.0.102", None),
        ("eth3", "10.0.0.103", None),
    ]


def test_unknown_commands_fail_like_the_shell() -> None:
    ctx = make_node().ctx
    plain = run_command("frobnicate --all", ctx)
    assert (plain.exit_code, plain.stdout, plain.stderr) == (127, "", "sh: 1: frobnicate: not found\n")
    with_sudo = run_command("sudo frobnicate", ctx)
    assert (with_sudo.exit_code, with_sudo.stderr) == (1, "sudo: frobnicate: command not found\n")


def test_shell_lists_run_like_sh() -> None:
    ctx = make_node().ctx
    assert run_command("frobnicate || true", ctx).exit_code == 0
    chained = run_command("false && echo no; echo yes", ctx)
    assert (chained.stdout, chained.exit_code) == ("yes\n", 0)
    assert run_command("", ctx).exit_code == 0


def test_unknown_script_content_is_refused() -> None:
    ctx = make_node().ctx
    ctx.files["get_smart.sh"] = b"#!/bin/sh\necho something else\n"
    result = run_command("sudo bash get_smart.sh", ctx)
    assert result.exit_code == 126 and "unknown content" in result.stderr
