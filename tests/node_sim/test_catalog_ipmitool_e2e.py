"""Acceptance test of the in-band ipmitool formatter: real ipmitool 1.8.19 over RMCP+ vs the emulator, same Bmc.

Each personality's Bmc runs in this process on the reactor, served on UDP 127.24.1.x:623
(an ephemeral port when not root).  For every command RackHD runs in band, the emulator's
stdout, stderr and exit status must equal ``ipmitool -I lanplus -H <bmc> -U admin -P admin
<cmd>`` against that same Bmc.  The SEL holds power events plus one record per sensor type,
offset and generic event type, so event texts (and their vendor-dependent decoration) are
compared too.  Commands that change the BMC are run both ways on different user slots and
compared with the slot number swapped; their effect is then checked with a real login.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import pytest_twisted
from twisted.internet import reactor, task, utils

from bmc_sim.protocol import BmcService
from bmc_sim.session import BmcEndpoint
from node_sim.catalog import CommandResult, run_command
from tests.rackhd_double.nodes import SimNode, make_node

pytestmark = pytest.mark.e2e
ADDRESSES = {"quanta-d51": "127.24.1.1", "dell-r630": "127.24.1.2", "generic": "127.24.1.3"}
READ_COMMANDS = (
    "lan print",
    "lan print 1",
    "lan print 2",
    "lan print 15",
    "sel",
    "sel info",
    "sel list -c",
    "sel list",
    "mc info",
    "user summary 1",
    "user summary 2",
    "-c user list 1",
    "user list 1",
    "-c user list 9",
    "fru",
    "fru print 0",
    "chassis power status",
    "raw 0x06 0x01",
    "raw 0x0a 0x40",
)


@dataclass
class Served:
    node: SimNode
    address: str
    port: int
    service: BmcService


def sel_records() -> list[bytes]:
    """Sensor-specific offsets 0..7 of every sensor type, generic event types 1..0x0C offsets 0..11."""
    records = []
    combos = [(0x6F, st, off) for st in range(0x2D) for off in range(8)]
    combos += [(et, 0x02, off) for et in range(1, 0x0D) for off in range(12)]
    for n, (event_type, sensor_type, offset) in enumerate(combos):
        direction = 0x80 if n % 5 == 0 else 0x00
        number = 0 if n % 7 == 0 else 0x30 + n % 64
        records.append(
            struct.pack(
                "<HBIHBBBBBBB", 0, 2, 0, 0x20, 4, sensor_type, number, direction | event_type, offset, 0xFF, 0xFF
            )
        )
    return records


@pytest.fixture(scope="module")
def bmcs() -> Iterator[dict[str, Served]]:
    port = 623 if os.geteuid() == 0 else 0
    served: dict[str, Served] = {}
    try:
        for model, address in ADDRESSES.items():
            node = make_node(model, name=f"acc-{model}", bmc_ip=address, clock=reactor, ipmitool_version="1.8.19",
                             sel_capacity=1024)  # fmt: skip
            service = BmcService(BmcEndpoint(node.bmc, reactor), address, port, reactor=reactor)
            service.startService()
            served[model] = Served(node, address, service.port, service)
            for record in sel_records():
                node.bmc.sel.add_raw(record)
        yield served
    finally:
        for s in served.values():
            pytest_twisted.blockon(s.service.stopService())


async def ipmitool(served: Served, command: str, user: str = "admin", password: str = "admin") -> CommandResult:
    args = ["-I", "lanplus", "-H", served.address, "-p", str(served.port), "-U", user, "-P", password]
    out, err, code = await utils.getProcessOutputAndValue("/usr/bin/ipmitool", [*args, *command.split()], env={})
    return CommandResult(out.decode(), err.decode(), code)


def inband(served: Served, command: str) -> CommandResult:
    return run_command(f"sudo ipmitool {command}", served.node.ctx)


@pytest.mark.parametrize("model", list(ADDRESSES))
@pytest_twisted.ensureDeferred
async def test_read_commands_print_exactly_what_ipmitool_prints(bmcs: dict[str, Served], model: str) -> None:
    served = bmcs[model]
    await ipmitool(served, "chassis power on")
    for command in READ_COMMANDS:
        real = await ipmitool(served, command)
        emulated = inband(served, command)
        assert emulated == real, f"{model}: ipmitool {command}"
    assert len(inband(served, "sel list -c").stdout.splitlines()) > len(sel_records())


@pytest.mark.parametrize("model", list(ADDRESSES))
@pytest_twisted.ensureDeferred
async def test_user_changes_match_ipmitool_and_really_apply(bmcs: dict[str, Served], model: str) -> None:
    served = bmcs[model]
    steps = (
        "user set name {id} op{id}",
        "user set password {id} pw{id}",
        "channel setaccess 1 {id} callin=on ipmi=on link=on privilege=4",
        "user enable {id}",
    )
    for step in steps:
        real = await ipmitool(served, step.format(id=6))
        emulated = inband(served, step.format(id=5))
        assert emulated.exit_code == real.exit_code == 0, (step, real, emulated)
        assert emulated.stdout.replace("5", "6") == real.stdout and emulated.stderr == real.stderr, step
    assert inband(served, "user list 1") == await ipmitool(served, "user list 1")
    login = await ipmitool(served, "chassis power status", user="op5", password="pw5")
    assert login.exit_code == 0 and login.stdout.startswith("Chassis Power is"), login


@pytest.mark.parametrize("model", list(ADDRESSES))
@pytest_twisted.ensureDeferred
async def test_boot_device_and_power_control_match_ipmitool(bmcs: dict[str, Served], model: str) -> None:
    served = bmcs[model]
    await ipmitool(served, "chassis bootdev disk")
    emulated = inband(served, "chassis bootdev pxe")
    assert emulated == await ipmitool(served, "chassis bootdev pxe")
    await ipmitool(served, "chassis bootdev disk")
    assert inband(served, "chassis bootdev pxe").stdout == "Set Boot Device to pxe\n"
    param = await ipmitool(served, "chassis bootparam get 5")
    assert "Force PXE" in param.stdout, param
    await ipmitool(served, "chassis power off")
    refused = run_command("ipmitool -I open chassis power cycle", served.node.ctx)
    assert refused == await ipmitool(served, "chassis power cycle") and refused.exit_code == 1
    for way in ("in band", "lanplus"):
        assert (await ipmitool(served, "chassis power on")).exit_code == 0
        if way == "in band":
            cycle = run_command("ipmitool -I open chassis power cycle", served.node.ctx)
        else:
            cycle = await ipmitool(served, "chassis power cycle")
        assert (cycle.stdout, cycle.stderr, cycle.exit_code) == ("Chassis Power Control: Cycle\n", "", 0), way
        await powered_on_again(served)


async def powered_on_again(served: Served, deadline: float = 10.0) -> None:
    """Wait (polling the real clock, with a deadline) until the cycled host is on again."""
    waited = 0.0
    while not served.node.bmc.chassis.power_on:
        assert waited < deadline, "host did not come back after the power cycle"
        await task.deferLater(reactor, 0.1, lambda: None)
        waited += 0.1
