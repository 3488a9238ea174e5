"""Cisco-only MIBs RackHD reads from a Cisco switch.

* CISCO-PROCESS-MIB cpmCPUTotalTable (row 1): RackHD's processor and memory
  metrics bulkget cpmCPUTotalPhysicalIndex, cpmCPUTotal5secRev/1minRev/5minRev,
  cpmCPUMemoryUsed/Free for Cisco instead of HOST-RESOURCES.  The busy
  figures are true averages of the deterministic 5-second samples (mean over
  the CPUs); memory is the personality's "RAM" storage row, in KB.
* CISCO-ENTITY-FRU-CONTROL-MIB cefcFRUPowerStatusTable and
  cefcFanTrayStatusTable, CISCO-ENTITY-SENSOR-MIB entSensorValueTable: the
  sensor OIDs RackHD's Cisco SKU packs poll (…117.1.1.2.1.2.470/471,
  …117.1.4.1.1.1.534, …91.1.1.1.1.4).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pysnmp.proto.rfc1902 import Gauge32, Integer32, TimeTicks, Unsigned32

from switch_sim.load import cpu_busy, sensor_celsius, storage_used
from switch_sim.mibtree import SharedTree, StaticRows

if TYPE_CHECKING:
    from switch_sim.device import Switch

CPM_CPU_TOTAL_ENTRY = (1, 3, 6, 1, 4, 1, 9, 9, 109, 1, 1, 1, 1)
CEFC_FRU_POWER_ENTRY = (1, 3, 6, 1, 4, 1, 9, 9, 117, 1, 1, 2, 1)
CEFC_FAN_TRAY_ENTRY = (1, 3, 6, 1, 4, 1, 9, 9, 117, 1, 4, 1, 1)
ENT_SENSOR_VALUE_ENTRY = (1, 3, 6, 1, 4, 1, 9, 9, 91, 1, 1, 1, 1)
ON, POWER_ON, FAN_UP = 1, 2, 2
CELSIUS, UNITS, SENSOR_OK = 8, 9, 1


def add_cisco(tree: SharedTree[Switch], shape: Switch) -> None:
    model = shape.model
    cpus = range(len(model.processors))
    layout = model.entity
    physical = layout.module.index if layout.module is not None else layout.chassis.index
    ram_index, ram = next((i, s) for i, s in enumerate(model.storage, start=1) if s.kind == "ram")

    def busy(sw: Switch, window: int) -> Gauge32:
        up = sw.uptime()
        return Gauge32(round(sum(cpu_busy(sw.seed, c, up, window, model.load) for c in cpus) / len(cpus)))

    def ram_used_kb(sw: Switch) -> int:
        return storage_used(sw.seed, ram_index, sw.uptime(), ram) * ram.units // 1024

    total_kb = ram.size * ram.units // 1024
    tree.table(
        CPM_CPU_TOTAL_ENTRY,
        StaticRows([(1,)]),
        {
            2: lambda sw, row: Integer32(physical),  # cpmCPUTotalPhysicalIndex
            3: lambda sw, row: busy(sw, 5),  # cpmCPUTotal5sec (deprecated)
            4: lambda sw, row: busy(sw, 60),
            5: lambda sw, row: busy(sw, 300),
            6: lambda sw, row: busy(sw, 5),  # cpmCPUTotal5secRev
            7: lambda sw, row: busy(sw, 60),  # cpmCPUTotal1minRev
            8: lambda sw, row: busy(sw, 300),  # cpmCPUTotal5minRev
            9: lambda sw, row: Unsigned32(5),  # cpmCPUMonInterval, s
            12: lambda sw, row: Gauge32(ram_used_kb(sw)),  # cpmCPUMemoryUsed, KB
            13: lambda sw, row: Gauge32(total_kb - ram_used_kb(sw)),  # cpmCPUMemoryFree, KB
        },
        live={3, 4, 5, 6, 7, 8, 12, 13},
    )
    tree.table(
        CEFC_FRU_POWER_ENTRY,
        StaticRows([(p.index,) for p in layout.power_supplies]),
        {1: lambda sw, row: Integer32(ON), 2: lambda sw, row: Integer32(POWER_ON)},
    )
    tree.column(
        (*CEFC_FAN_TRAY_ENTRY, 1), StaticRows([(f.index,) for f in layout.fans]), lambda sw, row: Integer32(FAN_UP)
    )
    sensors = {s.index: s for s in layout.sensors}
    tree.table(
        ENT_SENSOR_VALUE_ENTRY,
        StaticRows([(i,) for i in sensors]),
        {
            1: lambda sw, row: Integer32(CELSIUS),
            2: lambda sw, row: Integer32(UNITS),
            3: lambda sw, row: Integer32(0),
            4: lambda sw, row: Integer32(sensor_celsius(sw.seed, sensors[row[0]], sw.uptime())),
            5: lambda sw, row: Integer32(SENSOR_OK),
            6: lambda sw, row: TimeTicks(sw.ticks()),
            7: lambda sw, row: Integer32(60),  # entSensorValueUpdateRate, s
        },
        live={4},
    )
