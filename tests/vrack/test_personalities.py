"""Every compute personality, as the rack composes it: IPMI FRU, SMBIOS and Redfish describe the same machine.

The model's strings live in bmc_sim's model file (the FRU) and node_sim's personality (SMBIOS strings that
differ from the FRU, parts); the per-node serials and UUID in the rack's plan.  Read through the interfaces
a manager uses: ``ipmitool fru print``, Get System GUID and ``dmidecode`` in the node's OS (in-band,
through the real BMC) and the BMC's Redfish service.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest

from node_sim.catalog import NodeContext, bmc_ipmi, run_command
from node_sim.hardware import load_hardware
from redfish_sim import HttpRequest
from tests.vrack.inmemory import MemoryRack
from vrack import registry
from vrack.devices.compute import ComputeDevice
from vrack.devices.compute_backends import node_identity

MODELS = registry.models("compute")
SPEC = "rack: personalities\nseed: personalities-seed\nnetworks: {management: 127.60.3.0/24}\ndevices:\n" + "".join(
    f"  - {{name: {model}, kind: compute, model: {model}, bmc: {{boot_time: 0}}}}\n" for model in MODELS
)
ADMIN = {"authorization": "Basic " + base64.b64encode(b"admin:admin").decode()}


@pytest.fixture(scope="module")
def rack() -> MemoryRack:
    return MemoryRack(SPEC)


def fields(text: str) -> dict[str, str]:
    """``Key : value`` lines (ipmitool's and dmidecode's layout), first occurrence of each key."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            found.setdefault(key.strip(), value.strip())
    return found


def redfish_get(device: ComputeDevice, path: str) -> dict[str, Any]:
    assert device.redfish is not None
    answer = device.redfish.redfish.handle(HttpRequest("GET", path, ADMIN, b"", "127.0.0.1:40000"))
    assert answer is not None and answer.status == 200, (path, answer)
    body: dict[str, Any] = json.loads(answer.body)
    return body


@pytest.mark.parametrize("model", MODELS)
def test_fru_smbios_and_redfish_agree(rack: MemoryRack, model: str) -> None:
    device = rack.rack.node(model)
    assert isinstance(device, ComputeDevice)
    context = NodeContext(load_hardware(model), node_identity(device.plan), ipmi=bmc_ipmi(device.bmc))
    fru_run = run_command("sudo ipmitool fru print 0", context)
    assert fru_run.exit_code == 0, fru_run
    fru = fields(fru_run.stdout)
    dmidecode = run_command("sudo dmidecode", context).stdout
    smbios = fields(dmidecode.split("System Information", 1)[1].split("Handle", 1)[0])
    assert context.ipmi is not None
    completion, guid = context.ipmi(0x06, 0x37, b"")  # Get System GUID: least significant byte first
    system_path = redfish_get(device, "/redfish/v1/Systems")["Members"][0]["@odata.id"]
    redfish = redfish_get(device, system_path)

    assert fru["Product Name"] == smbios["Product Name"] == redfish["Model"]
    assert fru["Product Serial"] == smbios["Serial Number"] == redfish["SerialNumber"] == device.plan.system_serial
    assert smbios["UUID"].lower() == redfish["UUID"].lower() == device.plan.system_uuid
    assert completion == 0 and str(uuid.UUID(bytes=bytes(reversed(guid)))) == device.plan.system_uuid
    # The same maker, in each interface's own words (a Dell's FRU says "DELL", its SMBIOS "Dell Inc.").
    assert fru["Product Manufacturer"] == redfish["Manufacturer"]
    assert smbios["Manufacturer"].lower().startswith(fru["Product Manufacturer"].lower())
