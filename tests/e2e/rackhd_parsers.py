"""Python re-statements of RackHD's ipmitool output parsers (test oracles).

Written from ``shared/docs/rackhd-facts.md`` §1.4, which describes
``on-tasks:lib/utils/job-utils/ipmi-parser.js`` and ``command-parser.js``.
They are deliberately as strict as RackHD: a field RackHD reads must be present
in exactly the shape it reads.  This is a test double of RackHD's parsing, not
RackHD itself (RackHD cannot run here).
"""

from __future__ import annotations

import re
from typing import Any


def camel(text: str) -> str:
    """lodash ``_.camelCase`` for the ASCII keys ipmitool prints."""
    words: list[str] = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+", text)
    if not words:
        return ""
    return words[0].lower() + "".join(w[:1].upper() + w[1:].lower() for w in words[1:])


def chassis_raw(stdout: str) -> dict[str, Any]:
    """Poller ``chassis``: ``raw 0x00 0x01`` must be 3 or 4 hex bytes."""
    digits = re.sub(r"\s", "", stdout)
    if not re.fullmatch(r"[0-9a-fA-F]{6}|[0-9a-fA-F]{8}", digits):
        raise ValueError(f"chassis status is not 3 or 4 hex bytes: {stdout!r}")
    data = bytes.fromhex(digits)
    uid = ["Off", "Temporary On", "On", "Reserved"][(data[2] >> 4) & 0x03]
    return {"power": bool(data[0] & 0x01), "uid": uid}


def power_status(stdout: str) -> bool:
    """OBM ``chassis power status``: on iff stdout contains 'Chassis Power is on'."""
    if not stdout.strip():
        raise ValueError("empty stdout")
    return "Chassis Power is on" in stdout


def sel_list_last(stdout: str) -> list[dict[str, str]]:
    """Poller ``sel``: ``-c sel list last 25``, exactly 6 CSV fields per line."""
    records = []
    for line in stdout.strip().splitlines():
        fields = line.split(",")
        if len(fields) != 6:
            raise ValueError(f"sel line does not have 6 fields: {line!r}")
        type_words = fields[3].split(" ")
        date, time = ("", "") if "Pre-Init" in fields[1] else (fields[1], fields[2])
        records.append(
            {
                "logId": fields[0],
                "date": date,
                "time": time,
                "sensorType": " ".join(type_words[:-1]),
                "sensorNumber": type_words[-1],
                "event": fields[4],
                "value": fields[5],
            }
        )
    return records


def sel_info(stdout: str) -> dict[str, str]:
    """``sel`` (SEL information): first line dropped, rest split on ' : '."""
    lines = stdout.strip().splitlines()[1:]
    info = {}
    for line in lines:
        if " : " in line:
            key, _, value = line.partition(" : ")
            info[key.strip()] = value.strip()
    int(info["Entries"])  # RackHD reads an integer
    last_del = info["Last Del Time"]
    # ipmitool prints e.g. "01/01/26 00:00:04 UTC"; RackHD only tells "Not Available" from a date
    if last_del != "Not Available" and not re.fullmatch(r"\d\d/\d\d/\d{2,4} \d\d:\d\d:\d\d( \w+)?", last_del):
        raise ValueError(f"Last Del Time is neither a date nor 'Not Available': {last_del!r}")
    return info


def sdr_verbose(stdout: str) -> list[dict[str, Any]]:
    """Poller ``sdr``: ``-v sdr`` records; kept only with the five required fields."""
    records = []
    for block in re.split(r"\n\s*\n", stdout.strip()):
        record: dict[str, Any] = {}
        for line in block.splitlines():
            if ":" not in line:
                continue
            match = re.match(r"\s*Sensor Type \((Threshold|Discrete|Analog)\)\s*:\s*(.*?)\s*\(", line)
            if match:
                record["sdrType"] = "Threshold" if match.group(1) == "Analog" else match.group(1)
                record["sensorType"] = match.group(2)
                continue
            parts = line.split(":")
            key, value = camel(parts[0]), parts[1].strip()
            if key == "sensorReading":
                reading = re.match(r"(\S+)\s*(?:\(\+/- \S+\))?\s*(.*)", value)
                record["sensorReading"] = reading.group(1) if reading else "0h"
                record["sensorReadingUnits"] = reading.group(2) if reading else ""
            elif key == "entityId":
                entity = re.match(r"(\S+)\s*\((.*)\)", value)
                record["entityId"] = entity.group(1) if entity else value
                record["entryIdName"] = entity.group(2) if entity else ""
            elif key:
                record[key] = value
        if all(record.get(k) for k in ("sensorId", "entityId", "sdrType", "sensorType", "sensorReading")):
            records.append(record)
    return records


def drive_health(stdout: str) -> list[dict[str, str]]:
    """Poller ``driveHealth``: ``-c sdr type 0xd`` lines whose 3rd field is 'ok'."""
    result = []
    for line in stdout.strip().splitlines():
        fields = line.split(",")
        if len(fields) > 2 and fields[2] == "ok":
            result.append({"name": fields[0], "status": fields[-1] or "Not Present"})
    return result


def key_values(stdout: str, separator: str = " : ") -> dict[str, str]:
    """Generic ``key : value`` catalog parser (lan print, user summary)."""
    result = {}
    for line in stdout.splitlines():
        if separator in line:
            key, _, value = line.partition(separator)
            if key.strip():
                result[key.strip()] = value.strip()
    return result


def lan_print(stdout: str) -> dict[str, str]:
    """``lan print``: catalog stored only if the MAC is non-zero; IP learned if not 0.0.0.0."""
    values = key_values(stdout)
    if values.get("MAC Address", "00:00:00:00:00:00") == "00:00:00:00:00:00":
        raise ValueError("lan print has no (or a zero) MAC Address: RackHD would not store the bmc catalog")
    return values


def fru(stdout: str) -> dict[str, dict[str, str]]:
    """``fru``: sections opened by 'FRU Device Description : <name>', lines split on ':'."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in stdout.splitlines():
        if ":" not in line:
            continue
        parts = line.split(":")
        key, value = parts[0].strip(), parts[1].strip()
        if key == "FRU Device Description":
            current = sections.setdefault(value, {})
        elif current is not None:
            current[key] = value
    return sections


def user_list_csv(stdout: str) -> dict[str, dict[str, str]]:
    """``-c user list N``: columns ID,Name,Callin,Link Auth,IPMI Msg,Channel Priv Limit."""
    columns = ["ID", "Name", "Callin", "Link Auth", "IPMI Msg", "Channel Priv Limit"]
    users = {}
    for line in stdout.strip().splitlines():
        fields = line.split(",")
        if len(fields) != len(columns):
            raise ValueError(f"user list line does not have {len(columns)} fields: {line!r}")
        users[fields[0]] = dict(zip(columns, fields, strict=True))
    return users


def user_summary_max(stdout: str) -> int:
    """set_bmc_credentials.sh reads the 4th whitespace token as the maximum user count."""
    return int(stdout.split()[3])


def mc_info(stdout: str) -> dict[str, Any]:
    """``mc info``: split on ':'; 'Additional Device Support' and 'Aux Firmware Rev Info' collect lists."""
    result: dict[str, Any] = {}
    open_list: list[str] | None = None
    for line in stdout.splitlines():
        if ":" in line:
            key, _, value = line.partition(":")
            key, value = key.strip(), value.strip()
            if key in ("Additional Device Support", "Aux Firmware Rev Info"):
                open_list = result[key] = []
            else:
                open_list = None
                result[key] = value
        elif open_list is not None and line.strip():
            open_list.append(line.strip())
    return result
