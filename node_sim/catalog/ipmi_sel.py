"""``ipmitool sel`` (SEL information) and ``ipmitool [-c] sel list``, printed as ipmitool 1.8.19 does.

Event texts come from ``sel_events.json``, recorded from ipmitool 1.8.19 itself
(one record per event type, sensor type and offset, event data 2/3 unspecified,
trailing blanks kept).  ipmitool adds vendor (OEM) decoding to sensor-specific
events, and so does this module, sending the same OEM requests: Quanta memory
events ask Get Platform ID (0x36/0x65) and print `` (CPUn_Xm)`` on Purley or
`` ()``; Supermicro memory events ask Get Board ID (0x30/0x21) and print the bare
text, other Supermicro sensor-specific texts get `` ()``; Dell and others none.
A failing OEM request prints ipmitool's error line on stderr.
"""

from __future__ import annotations

import json
import struct
import time
from functools import cache
from importlib import resources
from typing import Any

from node_sim.catalog.console import Console
from node_sim.catalog.ipmi_client import APP, STORAGE, InbandIpmi, IpmiCommandError, completion_text

UNSPECIFIED = 0xFFFFFFFF
PRE_INIT = 0x20000000
QUANTA, SUPERMICRO = 7244, 10876
MEMORY = 0x0C
QCT_NETFN, QCT_GET_INFO, QCT_MAGIC, QCT_PURLEY = 0x36, 0x65, bytes([0x4C, 0x1C, 0x00, 0x02]), 0x02
SUPPORT = ((0x08, "'Delete' "), (0x04, "'Partial Add' "), (0x02, "'Reserve' "), (0x01, "'Get Alloc Info' "))


@cache
def _events() -> dict[str, Any]:
    text = resources.files("node_sim.catalog").joinpath("sel_events.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def sensor_type_name(sensor_type: int) -> str:
    names: list[str] = _events()["sensor_types"]
    return names[sensor_type] if sensor_type < len(names) else "Unknown"


def event_text(event_type: int, sensor_type: int, offset: int, manufacturer: int) -> str:
    """ipmitool's description of one standard event before any OEM request (data 2/3 unspecified)."""
    table = _events()
    exceptions: dict[str, str] = table["oem_exceptions"].get(str(manufacturer), {})
    key = f"{event_type:02x}:{sensor_type:02x}:{offset:x}"
    if key in exceptions:
        return exceptions[key]
    if event_type == 0x6F:
        texts: list[str] = table["sensor_specific"].get(f"{sensor_type:02x}", [])
        text = texts[offset] if offset < len(texts) else ""
        if text and manufacturer == SUPERMICRO and sensor_type != MEMORY:
            text += " ()"
        return text
    generic: list[str] = table["generic"].get(f"{event_type:02x}", [])
    return generic[offset] if offset < len(generic) else ""


def _oem_memory_text(ipmi: InbandIpmi, c: Console, text: str, manufacturer: int, data3: int) -> str:
    """The OEM decoration of a memory event, with the requests ipmitool sends for it."""
    if manufacturer == QUANTA:
        if ipmi.raw(APP, 0x01)[0] != 0:
            return text
        code, data = ipmi.raw(QCT_NETFN, QCT_GET_INFO, QCT_MAGIC)
        if code != 0:
            c.error(f"Get Platform ID command failed: {code:#x} {completion_text(code)}")
            return text + " ()" if text else text
        if data and data[0] == QCT_PURLEY:
            return f"{text} (CPU{(data3 >> 6) & 3}_{chr(0x41 + ((data3 >> 3) & 7))}{data3 & 7})"
        return text + " ()" if text else text
    if manufacturer == SUPERMICRO:
        code, _ = ipmi.raw(0x30, 0x21)
        if code != 0:
            c.error(f"Get Board ID command failed: {code:#x} {completion_text(code)}")
    return text


def sel_date(timestamp: int) -> str:
    return time.strftime("%m/%d/%y", time.gmtime(timestamp))


def sel_time(timestamp: int) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(timestamp)) + " UTC"


def manufacturer_id(ipmi: InbandIpmi) -> int:
    """IANA number from Get Device ID (0 when it fails)."""
    code, data = ipmi.raw(APP, 0x01)
    if code != 0 or len(data) < 9:
        return 0
    return int.from_bytes(data[6:9], "little") & 0x0FFFFF


def sel_info(ipmi: InbandIpmi, c: Console) -> int:
    """``ipmitool sel``/``sel info``: Get SEL Info (+ Get SEL Allocation Info when supported)."""
    try:
        info = ipmi.request(STORAGE, 0x40)
    except IpmiCommandError as exc:
        c.error(f"Get SEL Info command failed: {exc.text}")
        return 1
    version, entries, free, added, erased, ops = struct.unpack("<BHHIIB", info[:14])
    c.print("SEL Information")
    note = "v1.5, v2 compliant" if version == 0x51 else "Unknown"
    c.print(f"Version          : {version & 0x0F:x}.{version >> 4:x} ({note})")
    c.print(f"Entries          : {entries}")
    if free == 0xFFFF:
        c.print("Free Space       : 65535 bytes or more")
        c.print("Percent Used     : unknown")
    else:
        c.print(f"Free Space       : {free} bytes ")
        used = entries * 16
        c.print(f"Percent Used     : {used // max(1, (used + free) // 100)}%")
    for label, stamp in (("Last Add Time", added), ("Last Del Time", erased)):
        c.print(f"{label:<17}: {'Not Available' if stamp == UNSPECIFIED else sel_date(stamp) + ' ' + sel_time(stamp)}")
    c.print(f"Overflow         : {'true' if ops & 0x80 else 'false'}")
    supported = "".join(text for bit, text in SUPPORT if ops & bit)
    c.print(f"Supported Cmds   : {supported or 'None'}")
    if ops & 0x01:
        code, alloc = ipmi.raw(STORAGE, 0x41)
        if code == 0 and len(alloc) >= 9:
            units, size, free_units, largest, max_record = struct.unpack("<HHHHB", alloc[:9])
            c.print(f"# of Alloc Units : {units}")
            c.print(f"Alloc Unit Size  : {size}")
            c.print(f"# Free Units     : {free_units}")
            c.print(f"Largest Free Blk : {largest}")
            c.print(f"Max Record Size  : {max_record}")
    return 0


def sel_list(ipmi: InbandIpmi, c: Console, csv: bool) -> int:
    """``ipmitool [-c] sel list``: every entry from the first, following the next-record IDs."""
    try:
        info = ipmi.request(STORAGE, 0x40)
    except IpmiCommandError as exc:
        c.error(f"Get SEL Info command failed: {exc.text}")
        return 1
    if struct.unpack("<H", info[1:3])[0] == 0:
        c.error("SEL has no entries")
        return 0
    manufacturer = manufacturer_id(ipmi)
    next_id = 0x0000
    while next_id != 0xFFFF:
        code, data = ipmi.raw(STORAGE, 0x43, struct.pack("<HHBB", 0, next_id, 0, 0xFF))
        if code != 0 or len(data) < 18:
            c.error(f"Get SEL Entry {next_id:x} command failed: {IpmiCommandError(code).text}")
            return 1
        next_id = struct.unpack("<H", data[:2])[0]
        c.print(format_entry(data[2:18], manufacturer, csv, ipmi, c))
    return 0


def format_entry(
    record: bytes, manufacturer: int, csv: bool, ipmi: InbandIpmi | None = None, c: Console | None = None
) -> str:
    """One 16-byte SEL record as a ``sel list`` line (OEM requests only when ``ipmi`` and ``c`` are given)."""
    sep = "," if csv else " | "
    record_id, record_type = struct.unpack("<HB", record[:3])
    head = f"{record_id:x}" if csv else f"{record_id:4x}"
    if record_type >= 0xC0:
        return head + sep + _oem_record(record, record_type, sep)
    stamp = struct.unpack("<I", record[3:7])[0]
    if stamp < PRE_INIT:
        when = " Pre-Init " + ("," if csv else " |") + f"{stamp:010d}" + ("," if csv else "| ")
    else:
        when = sel_date(stamp) + sep + sel_time(stamp) + sep
    sensor_type, sensor_number, direction_type, data1 = record[10], record[11], record[12], record[13]
    sensor = sensor_type_name(sensor_type) + (f" #0x{sensor_number:02x}" if sensor_number else "")
    event_type, offset = direction_type & 0x7F, data1 & 0x0F
    text = event_text(event_type, sensor_type, offset, manufacturer)
    if event_type == 0x6F and sensor_type == MEMORY and ipmi is not None and c is not None:
        text = _oem_memory_text(ipmi, c, text, manufacturer, record[15])
    direction = "Deasserted" if direction_type & 0x80 else "Asserted"
    return head + sep + when + sensor + sep + text + sep + direction


def _oem_record(record: bytes, record_type: int, sep: str) -> str:
    if record_type < 0xE0:
        stamp = struct.unpack("<I", record[3:7])[0]
        return sel_date(stamp) + sep + sel_time(stamp) + sep + f"OEM record {record_type:02x}" + sep + record[7:].hex()
    return f"OEM record {record_type:02x}" + sep + record[3:].hex()
