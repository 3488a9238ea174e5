"""ENTITY-MIB (RFC 6933) entPhysicalTable and entAliasMappingTable, plus ENTITY-SENSOR-MIB.

The containment tree is chassis -> (module ->) ports and sensors, chassis ->
power supplies and fans, with the personality's entPhysicalIndex values.
entPhysicalModelName carries the SKU string RackHD's SKU rules match.  Serial
numbers: the chassis has the switch serial; other FRUs get serials derived
from the seed with the chassis serial's letter prefix.  Port entities map to
their ifIndex through entAliasMappingTable.  Temperature sensors are also
served in ENTITY-SENSOR-MIB entPhySensorTable with deterministic readings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pysnmp.proto.rfc1902 import Gauge32, Integer32, ObjectIdentifier, OctetString, TimeTicks

from switch_sim.detrand import mix
from switch_sim.load import sensor_celsius
from switch_sim.mibs.common import FALSE, TRUE
from switch_sim.mibtree import Row, SharedTree, StaticRows
from switch_sim.personality import EntityPart

if TYPE_CHECKING:
    from switch_sim.device import Switch

ENT_PHYSICAL_ENTRY = (1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1)
ENT_ALIAS_MAPPING_ENTRY = (1, 3, 6, 1, 2, 1, 47, 1, 3, 2, 1)
ENT_LAST_CHANGE = "1.3.6.1.2.1.47.1.4.1"
ENT_PHY_SENSOR_ENTRY = (1, 3, 6, 1, 2, 1, 99, 1, 1, 1)
IF_INDEX_OID = (1, 3, 6, 1, 2, 1, 2, 2, 1, 1)

CHASSIS, POWER_SUPPLY, FAN, SENSOR, MODULE, PORT = 3, 6, 7, 8, 9, 10
CELSIUS, UNITS, SENSOR_OK = 8, 9, 1


@dataclass(frozen=True, slots=True)
class PhysicalEntity:
    index: int
    descr: str
    vendor_type: str
    contained_in: int
    klass: int
    rel_pos: int
    name: str
    hardware_rev: str
    software_rev: str
    serial: str
    mfg_name: str
    model_name: str
    is_fru: bool


def derived_serial(sw: Switch, index: int) -> str:
    """A stable serial for a FRU: the chassis serial's letter prefix and 8 seeded digits."""
    prefix = "".join(c for c in sw.serial[:3] if c.isalpha()) or "SN"
    return f"{prefix}{mix(sw.seed, 47, index) % 10**8:08d}"


def physical_entities(sw: Switch) -> list[PhysicalEntity]:
    """Every entPhysicalTable row of ``sw``, in index order."""
    model = sw.model
    layout = model.entity
    mfg = model.manufacturer

    def part(p: EntityPart, klass: int, parent: int, pos: int, serial: str, sw_rev: str = "") -> PhysicalEntity:
        return PhysicalEntity(
            p.index,
            p.descr,
            p.vendor_type,
            parent,
            klass,
            pos,
            p.name,
            p.hardware_rev,
            sw_rev,
            serial,
            mfg,
            p.model_name,
            p.is_fru,
        )

    chassis = layout.chassis.index
    rows = [part(layout.chassis, CHASSIS, 0, -1, sw.serial, model.software_rev)]
    holder = chassis
    if layout.module is not None:
        rows.append(
            part(layout.module, MODULE, chassis, 1, derived_serial(sw, layout.module.index), model.software_rev)
        )
        holder = layout.module.index
    rows += [
        part(p, POWER_SUPPLY, chassis, i, derived_serial(sw, p.index)) for i, p in enumerate(layout.power_supplies, 1)
    ]
    rows += [part(p, FAN, chassis, i, derived_serial(sw, p.index)) for i, p in enumerate(layout.fans, 1)]
    rows += [part(p, SENSOR, holder, i, "") for i, p in enumerate(layout.sensors, 1)]
    style = model.port
    rows += [
        PhysicalEntity(
            style.entity_index_base + p.number - 1,
            style.entity_descr,
            "0.0",
            holder,
            PORT,
            p.number,
            p.name,
            "",
            "",
            "",
            "",
            "",
            False,
        )
        for p in sw.ports
    ]
    rows.sort(key=lambda e: e.index)
    if len({e.index for e in rows}) != len(rows):
        raise ValueError(f"{model.name}: duplicate entPhysicalIndex values")
    return rows


def _entities(sw: Switch) -> dict[int, PhysicalEntity]:
    """The switch's entPhysicalTable rows by index (made at the first read, then kept: they never change)."""
    entities = sw.mib_state.get("entities")
    if entities is None:
        entities = sw.mib_state["entities"] = {e.index: e for e in physical_entities(sw)}
    assert isinstance(entities, dict)
    return entities


def _entity(sw: Switch, row: Row) -> PhysicalEntity:
    return _entities(sw)[row[0]]


def add_entity(tree: SharedTree[Switch], shape: Switch) -> None:
    rows = StaticRows([(i,) for i in _entities(shape)])  # the indexes come from model and port count alone
    tree.table(
        ENT_PHYSICAL_ENTRY,
        rows,
        {
            2: lambda sw, row: OctetString(_entity(sw, row).descr),
            3: lambda sw, row: ObjectIdentifier(_entity(sw, row).vendor_type),
            4: lambda sw, row: Integer32(_entity(sw, row).contained_in),
            5: lambda sw, row: Integer32(_entity(sw, row).klass),
            6: lambda sw, row: Integer32(_entity(sw, row).rel_pos),
            7: lambda sw, row: OctetString(_entity(sw, row).name),
            8: lambda sw, row: OctetString(_entity(sw, row).hardware_rev),
            9: lambda sw, row: OctetString(""),  # entPhysicalFirmwareRev
            10: lambda sw, row: OctetString(_entity(sw, row).software_rev),
            11: lambda sw, row: OctetString(_entity(sw, row).serial),
            12: lambda sw, row: OctetString(_entity(sw, row).mfg_name),
            13: lambda sw, row: OctetString(_entity(sw, row).model_name),
            14: lambda sw, row: OctetString(""),  # entPhysicalAlias
            15: lambda sw, row: OctetString(""),  # entPhysicalAssetID
            16: lambda sw, row: Integer32(TRUE if _entity(sw, row).is_fru else FALSE),
        },
    )
    base = shape.model.port.entity_index_base
    port_of: dict[Row, int] = {(base + p.number - 1, 0): p.if_index for p in shape.ports}
    tree.column(
        (*ENT_ALIAS_MAPPING_ENTRY, 2),
        StaticRows(list(port_of)),
        lambda sw, row: ObjectIdentifier((*IF_INDEX_OID, port_of[row])),
    )
    tree.scalar(ENT_LAST_CHANGE, lambda sw: TimeTicks(0))

    sensors = {s.index: s for s in shape.model.entity.sensors}
    if sensors:
        tree.table(
            ENT_PHY_SENSOR_ENTRY,
            StaticRows([(i,) for i in sensors]),
            {
                1: lambda sw, row: Integer32(CELSIUS),
                2: lambda sw, row: Integer32(UNITS),
                3: lambda sw, row: Integer32(0),
                4: lambda sw, row: Integer32(sensor_celsius(sw.seed, sensors[row[0]], sw.uptime())),
                5: lambda sw, row: Integer32(SENSOR_OK),
                6: lambda sw, row: OctetString("degrees C"),
                7: lambda sw, row: TimeTicks(sw.ticks()),
                8: lambda sw, row: Gauge32(60000),  # entPhySensorValueUpdateRate, ms
            },
            live={4},
        )
