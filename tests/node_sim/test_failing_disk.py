"""A drive going bad (the disk-fail fault): what smartctl, RackHD's get_smart.sh and perccli report."""

from __future__ import annotations

import json

from node_sim.catalog import run_command
from tests.rackhd_double.nodes import make_node
from tests.rackhd_double.templates import render

PERCCLI = "sudo /opt/MegaRAID/perccli/perccli64"


def test_a_failing_sata_drive_fails_its_smart_check_and_only_it() -> None:
    node = make_node("quanta-d51")
    node.ctx.failing_disks.add(1)
    bad = run_command("sudo smartctl -a /dev/sdb", node.ctx)
    assert bad.exit_code == 0x18  # smartctl's bits 3 (DISK FAILING) and 4 (prefail attribute <= threshold)
    assert "SMART overall-health self-assessment test result: FAILED!" in bad.stdout
    reallocated = next(line for line in bad.stdout.splitlines() if "Reallocated_Sector_Ct" in line)
    assert reallocated.split()[3:] == ["009", "009", "010", "Pre-fail", "Always", "FAILING_NOW", "3960"]
    good = run_command("sudo smartctl -a /dev/sda", node.ctx)
    assert good.exit_code == 0 and "test result: PASSED" in good.stdout
    node.ctx.files["get_smart.sh"] = render("get_smart.sh") or b""
    report = run_command("sudo bash get_smart.sh", node.ctx).stdout
    assert report.count("FAILED!") == 1 and report.count("PASSED") == 2
    node.ctx.failing_disks.discard(1)
    assert run_command("sudo smartctl -a /dev/sdb", node.ctx).exit_code == 0


def test_a_failing_drive_behind_the_perc_shows_in_smart_and_in_perccli() -> None:
    node = make_node("dell-r630")
    member = next(i for i, disk in enumerate(node.hardware.disks) if disk.raid_slot == 0)
    node.ctx.failing_disks.add(member)
    bad = run_command("sudo smartctl -a -d megaraid,0 /dev/bus/0", node.ctx)
    assert bad.exit_code == 0x08 and "FAILURE PREDICTION THRESHOLD EXCEEDED" in bad.stdout
    assert "Elements in grown defect list: 1872" in bad.stdout
    assert "SMART Health Status: OK" in run_command("sudo smartctl -a -d megaraid,1 /dev/bus/0", node.ctx).stdout
    drives = json.loads(run_command(f"{PERCCLI} /c0 /eall /sall show all J", node.ctx).stdout)
    data = drives["Controllers"][0]["Response Data"]
    states = {
        name: state
        for key, details in data.items()
        if key.endswith(" - Detailed Information")
        for name, state in details.items()
        if name.endswith(" State")
    }
    flagged = sorted(k for k, v in states.items() if v["S.M.A.R.T alert flagged by drive"] == "Yes")
    assert len(states) == 2 and flagged == ["Drive /c0/e32/s0 State"], states
    assert states["Drive /c0/e32/s0 State"]["Predictive Failure Count"] == 3
