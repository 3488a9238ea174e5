"""In-band ipmitool in memory: what it prints and what it changes in the node's real Bmc.

Output formats are checked against real ipmitool in ``test_catalog_ipmitool_e2e.py``; here
the focus is on effects (users, boot device, power) and on error paths, on a fake clock.
"""

from __future__ import annotations

import struct

from bmc_sim.config import Privilege
from node_sim.catalog import NodeContext, run_command
from node_sim.catalog.credentials import rendered_credentials
from node_sim.catalog.ipmi_sel import event_text, format_entry
from tests.rackhd_double.nodes import make_node
from tests.rackhd_double.templates import render


def login_ok(node_bmc: object, name: bytes, password: bytes) -> bool:
    """What the session layer checks: the name exists, is enabled, has the password and LAN admin access."""
    users = node_bmc.users  # type: ignore[attr-defined]
    user = users.find_by_name(name)
    return bool(
        user
        and user.enabled
        and user.password == password
        and user.privilege_limit(1) == Privilege.ADMINISTRATOR
        and user.channel_access(1).ipmi_messaging
    )


def test_credential_commands_really_change_the_bmc_users() -> None:
    node = make_node("quanta-d51")
    for cmd in (
        "sudo ipmitool user set name 5 ops",
        "sudo ipmitool user set password 5 s3cret",
        "sudo ipmitool channel setaccess 1 5 callin=on ipmi=on link=on privilege=4",
        "sudo ipmitool user enable 5",
    ):
        result = run_command(cmd, node.ctx)
        assert result.exit_code == 0, (cmd, result)
    assert login_ok(node.bmc, b"ops", b"s3cret")
    listed = run_command("sudo ipmitool -c user list 1", node.ctx).stdout.splitlines()
    assert "5,ops,true,true,true,ADMINISTRATOR" in listed
    assert run_command("sudo ipmitool user disable 5", node.ctx).exit_code == 0
    assert not login_ok(node.bmc, b"ops", b"s3cret")


def test_long_passwords_use_the_20_byte_form() -> None:
    node = make_node()
    result = run_command("sudo ipmitool user set password 4 abcdefghijklmnopqr", node.ctx)
    assert result.exit_code == 0 and node.bmc.users.get(4).password == b"abcdefghijklmnopqr"
    too_long = run_command("sudo ipmitool user set password 4 " + "x" * 21, node.ctx)
    assert too_long.exit_code == 1 and "too long" in too_long.stderr


def test_credential_script_creates_the_rackhd_user() -> None:
    node = make_node("quanta-d51")
    script = render("set_bmc_credentials.sh", user="__rackhd__", password="0badc0de") or b""
    assert rendered_credentials(script) is not None
    node.ctx.files["set_bmc_credentials.sh"] = script
    result = run_command("sudo ./set_bmc_credentials.sh", node.ctx)
    assert result.exit_code == 0, result
    assert result.stdout.startswith("channel number is 1\n Getting the user list\nCreating a new user\n")
    assert "Set User Password command successful" in result.stdout
    assert login_ok(node.bmc, b"__rackhd__", b"0badc0de")
    assert "0badc0de" not in result.stdout + result.stderr


def test_credential_script_overwrites_an_existing_user() -> None:
    node = make_node("generic")
    run_command("sudo ipmitool user set name 7 __rackhd__", node.ctx)
    node.ctx.files["set_bmc_credentials.sh"] = render("set_bmc_credentials.sh", user="__rackhd__", password="p2") or b""
    result = run_command("sudo ./set_bmc_credentials.sh", node.ctx)
    assert "Username already present, overwriting existing user" in result.stdout
    assert node.bmc.users.find_by_name(b"__rackhd__").user_id == 7  # type: ignore[union-attr]
    assert login_ok(node.bmc, b"__rackhd__", b"p2")


def test_with_ipmitool_1_8_19_the_script_finds_no_free_slot() -> None:
    """ipmitool >= 1.8.18 lists every slot, so the script's count reaches the maximum (RackHD quirk)."""
    node = make_node("quanta-d51", ipmitool_version="1.8.19")
    node.ctx.files["set_bmc_credentials.sh"] = render("set_bmc_credentials.sh", user="__rackhd__", password="x") or b""
    result = run_command("sudo ./set_bmc_credentials.sh", node.ctx)
    assert result.exit_code == 1 and result.stdout.endswith("reach max user count\n")
    assert node.bmc.users.find_by_name(b"__rackhd__") is None


def test_user_list_of_the_microkernel_ipmitool_skips_unused_slots() -> None:
    old = run_command("sudo ipmitool -c user list 1", make_node(ipmitool_version="1.8.14").ctx).stdout
    new = run_command("sudo ipmitool -c user list 1", make_node(ipmitool_version="1.8.19").ctx).stdout
    assert old == "2,admin,true,true,true,ADMINISTRATOR\n"
    assert len(new.splitlines()) == 15 and old.strip() in new


def test_bootdev_pxe_sets_the_bmc_boot_flags() -> None:
    node = make_node()
    seen: list[tuple[str, bool]] = []
    node.bmc.add_boot_listener(lambda device, persistent: seen.append((device, persistent)))
    result = run_command("sudo ipmitool chassis bootdev pxe", node.ctx)
    assert (result.stdout, result.exit_code) == ("Set Boot Device to pxe\n", 0)
    assert node.bmc.chassis.boot.get(5)[:2] == bytes([0x80, 0x04]) and seen and seen[-1][0] == "pxe"


def test_power_cycle_in_band_cycles_a_running_host() -> None:
    node = make_node(initial_power_on=True)
    changes: list[tuple[bool, str]] = []
    node.bmc.add_power_listener(lambda on, cause: changes.append((on, cause)))
    result = run_command("ipmitool -I open chassis power cycle", node.ctx)
    assert (result.stdout, result.exit_code) == ("Chassis Power Control: Cycle\n", 0)
    node.clock.advance(30)
    assert changes and changes[0][0] is False and node.bmc.chassis.power_on
    off = make_node()
    refused = run_command("ipmitool -I open chassis power cycle", off.ctx)
    assert refused.exit_code == 1
    assert refused.stderr == "Set Chassis Power Control to Cycle failed: Command not supported in present state\n"


def test_channels_other_than_the_lan_fail_as_rackhd_expects() -> None:
    ctx = make_node().ctx
    lan = run_command("sudo ipmitool lan print 2", ctx)
    assert (lan.exit_code, lan.stdout, lan.stderr) == (1, "", "Invalid channel: 2\n")
    summary = run_command("sudo ipmitool user summary 2", ctx)
    assert (summary.exit_code, summary.stderr) == (1, "IPMI command failed: Invalid data field in request\n")


def test_without_an_ipmi_device_ipmitool_cannot_open_it() -> None:
    node = make_node()
    bare = NodeContext(node.hardware, node.identity, ipmi=None)
    result = run_command("sudo ipmitool mc info", bare)
    assert result.exit_code == 1 and "Could not open device at /dev/ipmi0" in result.stderr


def test_out_of_band_use_is_refused_in_band() -> None:
    result = run_command("ipmitool -I lanplus -H 10.0.0.1 -U a -P b chassis power status", make_node().ctx)
    assert result.exit_code == 1 and "RMCP+" in result.stderr


def test_a_silent_bmc_makes_ipmitool_fail() -> None:
    node = make_node()
    node.bmc.set_ac_power(False)
    result = run_command("sudo ipmitool mc info", node.ctx)
    assert result.exit_code == 1 and "Node busy" in result.stderr


def test_sel_lines_follow_ipmitool() -> None:
    record = struct.pack("<HBIHBBBBBBB", 0x1A, 2, 1_704_067_276, 0x20, 4, 0x09, 0xE0, 0x6F, 0x01, 0xFF, 0xFF)
    assert format_entry(record, 7244, csv=True) == "1a,01/01/24,00:01:16 UTC,Power Unit #0xe0,Power cycle,Asserted"
    assert (
        format_entry(record, 7244, csv=False)
        == "  1a | 01/01/24 | 00:01:16 UTC | Power Unit #0xe0 | Power cycle | Asserted"
    )
    early = struct.pack("<HBIHBBBBBBB", 2, 2, 12345, 0x20, 4, 0x01, 0, 0x81, 0x07, 0xFF, 0xFF)
    assert (
        format_entry(early, 7244, csv=True)
        == "2, Pre-Init ,0000012345,Temperature,Upper Non-critical going high,Deasserted"
    )


def test_sel_texts_depend_on_the_bmc_vendor_as_ipmitool_decorates_them() -> None:
    assert event_text(0x6F, 0x09, 4, 7244) == "AC lost"
    assert event_text(0x6F, 0x09, 4, 10876) == "AC lost ()"
    assert event_text(0x01, 0x01, 0, 674) == "Lower Non-critical going low "  # ipmitool's trailing blank
    memory = struct.pack("<HBIHBBBBBBB", 1, 2, 1_704_067_200, 0x20, 4, 0x0C, 1, 0x6F, 0x00, 0xFF, 0xFF)
    for model, text, oem_error in (
        ("quanta-d51", "Correctable ECC ()", "Get Platform ID command failed: 0xc1 Invalid command\n"),
        ("generic", "Correctable ECC", "Get Board ID command failed: 0xc1 Invalid command\n"),
        ("dell-r630", "Correctable ECC", ""),
    ):
        node = make_node(model)
        node.bmc.sel.add_raw(memory)
        result = run_command("sudo ipmitool sel list -c", node.ctx)
        assert result.stdout.split(",")[4] == text and result.stderr == oem_error, model


def test_sel_list_of_an_empty_log_says_so_on_stderr() -> None:
    result = run_command("sudo ipmitool sel list -c", make_node().ctx)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "SEL has no entries\n")


def test_raw_prints_the_reply_bytes() -> None:
    result = run_command("sudo ipmitool raw 0x06 0x01", make_node("quanta-d51").ctx)
    assert result.exit_code == 0 and result.stdout.startswith(" 20 01 03 20 02")
