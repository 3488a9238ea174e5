"""BIOS settings over Redfish, driven by sushy (Ironic's Redfish library) against a vrack BMC over HTTPS:
``set_attributes`` stages changes at ``/Bios/Settings`` (``pending_attributes``), a refused value is a 400
naming the attribute and its valid values, the host's next power on applies them (journal ``host
bios-applied``, ``/Bios`` attributes) and the firmware boots in the mode ``BootMode`` says (journal ``host post``
``boot_mode``, the console's POST screen); ``reset_bios`` brings the defaults back at the next reset.

Rack on 127.66.40.0/24, in process through vrack.testing, as root (TCP 443; ports="standard").
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import sushy

from vrack.testing import start_rack
from vrack.testing.waiting import wait_until

pytestmark = pytest.mark.e2e

SPEC = textwrap.dedent(
    """\
    rack: redfish-bios
    seed: redfish-bios-seed
    networks: {management: 127.66.40.0/24}
    devices:
      - name: node01
        kind: compute
        model: dell-r630
        bmc: {boot_time: 0, users: [{name: admin, password: admin}]}
    """
)


def _console_shows(path: Path, text: str, after: int) -> bool:
    return path.exists() and text in path.read_text(errors="replace")[after:]


def test_sushy_bios_settings_apply_at_the_next_boot() -> None:
    rack = start_rack(SPEC, mode="inprocess", ports="standard")
    try:
        bmc = rack.node("node01").bmc
        root = sushy.Sushy(f"{bmc.redfish_url}/redfish/v1", username="admin", password="admin", verify=bmc.redfish_ca)
        system = root.get_system("/redfish/v1/Systems/System.Embedded.1")
        bios = system.bios
        assert bios.attributes["BootMode"] == "Uefi" and bios.attributes["LogicalProc"] == "Enabled"
        assert bios.pending_attributes == {}
        assert bios.supported_apply_times == [sushy.ApplyTime.ON_RESET]
        registry = bios.get_attribute_registry()  # /Registries: what Ironic caches as allowable values
        assert registry is not None
        entries = {a.name: a for a in registry.registry_entries.attributes}
        assert [v["ValueName"] for v in entries["BootMode"].allowable_values] == ["Uefi", "Bios"]
        assert entries["SystemBiosVersion"].read_only and entries["AssetTag"].max_length == 63

        with pytest.raises(sushy.exceptions.BadRequestError) as refused:
            bios.set_attributes({"LogicalProc": "Disabled", "BootMode": "Legacy"})
        assert "Attributes/BootMode" in str(refused.value) and "Uefi, Bios" in str(refused.value)
        assert bios.pending_attributes == {}  # nothing of a refused PATCH is staged

        mark = rack.journal.mark()
        bios.set_attributes({"BootMode": "Bios", "LogicalProc": "Disabled"})
        rack.journal.wait_for(device="node01", protocol="redfish", operation="bios.settings", status=200, since=mark)
        assert bios.pending_attributes == {"BootMode": "Bios", "LogicalProc": "Disabled"}
        bios.refresh()
        assert bios.attributes["BootMode"] == "Uefi"  # pending until the host boots

        console = next(iter(rack.state_dir.rglob("node01.console.log")), rack.state_dir / "none")
        start = len(console.read_text(errors="replace")) if console.exists() else 0
        system.reset_system(sushy.ResetType.ON)
        applied = rack.journal.wait_for(device="node01", protocol="host", operation="bios-applied", since=mark)
        assert applied["attributes"] == {"BootMode": "Bios", "LogicalProc": "Disabled"}
        rack.journal.wait_for(device="node01", protocol="host", operation="post", boot_mode="legacy", since=mark)
        console = next(iter(rack.state_dir.rglob("node01.console.log")))
        wait_until(lambda: _console_shows(console, "Boot mode: Legacy BIOS", start), 10, "the legacy POST screen")
        bios.refresh()
        assert (bios.attributes["BootMode"], bios.attributes["LogicalProc"]) == ("Bios", "Disabled")
        bios.refresh()
        assert bios.pending_attributes == {}

        mark = rack.journal.mark()
        bios.reset_bios()
        bios.refresh()
        assert bios.pending_attributes["BootMode"] == "Uefi"
        system.reset_system(sushy.ResetType.FORCE_RESTART)
        rack.journal.wait_for(device="node01", protocol="host", operation="post", boot_mode="uefi", since=mark)
        bios.refresh()
        assert (bios.attributes["BootMode"], bios.attributes["LogicalProc"]) == ("Uefi", "Enabled")
    finally:
        rack.stop()
