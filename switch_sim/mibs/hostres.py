"""HOST-RESOURCES-MIB (RFC 2790): uptime, storage, processors and their load.

hrDeviceTable lists only the processors (RackHD's processor metric counts
hrDeviceDescr rows), indexed from 196608 as net-snmp does.  hrProcessorLoad is
the 1-minute average of the deterministic per-5-second busy samples.  The
storage rows come from the personality; rows whose hrStorageDescr starts with
"RAM" are what RackHD's memory metric reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pysnmp.proto.rfc1902 import Counter32, Gauge32, Integer32, ObjectIdentifier, OctetString, TimeTicks

from switch_sim.detrand import mix
from switch_sim.load import cpu_busy, storage_used
from switch_sim.mibtree import SharedTree, StaticRows

if TYPE_CHECKING:
    from switch_sim.device import Switch

HR = "1.3.6.1.2.1.25"
HR_STORAGE_ENTRY = (1, 3, 6, 1, 2, 1, 25, 2, 3, 1)
HR_DEVICE_ENTRY = (1, 3, 6, 1, 2, 1, 25, 3, 2, 1)
HR_PROCESSOR_ENTRY = (1, 3, 6, 1, 2, 1, 25, 3, 3, 1)
STORAGE_TYPES = {
    "ram": "1.3.6.1.2.1.25.2.1.2",
    "virtual": "1.3.6.1.2.1.25.2.1.3",
    "disk": "1.3.6.1.2.1.25.2.1.4",
    "flash": "1.3.6.1.2.1.25.2.1.9",
}
HR_DEVICE_PROCESSOR = "1.3.6.1.2.1.25.3.1.3"
FIRST_PROCESSOR_INDEX = 196608
RUNNING = 2


def add_host_resources(tree: SharedTree[Switch], shape: Switch) -> None:
    model = shape.model
    storage = {i: spec for i, spec in enumerate(model.storage, start=1)}
    cpus = {FIRST_PROCESSOR_INDEX + i: (i, descr) for i, descr in enumerate(model.processors)}
    ram_kb = sum(s.size * s.units // 1024 for s in model.storage if s.kind == "ram" and s.descr == "RAM")

    tree.scalar(f"{HR}.1.1", lambda sw: TimeTicks(sw.ticks()))  # hrSystemUptime
    tree.scalar(f"{HR}.1.5", lambda sw: Gauge32(1))  # hrSystemNumUsers
    tree.scalar(f"{HR}.1.6", lambda sw: Gauge32(150 + mix(sw.seed, 25) % 100))  # hrSystemProcesses
    tree.scalar(f"{HR}.1.7", lambda sw: Integer32(0))  # hrSystemMaxProcesses
    tree.scalar(f"{HR}.2.2", lambda sw: Integer32(ram_kb))  # hrMemorySize

    srows = StaticRows([(i,) for i in storage])
    tree.table(
        HR_STORAGE_ENTRY,
        srows,
        {
            1: lambda sw, row: Integer32(row[0]),
            2: lambda sw, row: ObjectIdentifier(STORAGE_TYPES[storage[row[0]].kind]),
            3: lambda sw, row: OctetString(storage[row[0]].descr),
            4: lambda sw, row: Integer32(storage[row[0]].units),
            5: lambda sw, row: Integer32(storage[row[0]].size),
            6: lambda sw, row: Integer32(storage_used(sw.seed, row[0], sw.uptime(), storage[row[0]])),
            7: lambda sw, row: Counter32(0),
        },
        live={6},
    )

    crows = StaticRows([(i,) for i in cpus])
    tree.table(
        HR_DEVICE_ENTRY,
        crows,
        {
            1: lambda sw, row: Integer32(row[0]),
            2: lambda sw, row: ObjectIdentifier(HR_DEVICE_PROCESSOR),
            3: lambda sw, row: OctetString(cpus[row[0]][1]),
            4: lambda sw, row: ObjectIdentifier("0.0"),
            5: lambda sw, row: Integer32(RUNNING),
            6: lambda sw, row: Counter32(0),
        },
    )
    tree.table(
        HR_PROCESSOR_ENTRY,
        crows,
        {
            1: lambda sw, row: ObjectIdentifier("0.0"),
            2: lambda sw, row: Integer32(cpu_busy(sw.seed, cpus[row[0]][0], sw.uptime(), 60, model.load)),
        },
        live={2},
    )
