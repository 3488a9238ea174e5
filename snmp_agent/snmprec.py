"""Static device content as text: a loader for snmpsim-style ``.snmprec`` files.

Format (one object instance per line, as snmpsim's ``.snmprec``)::

    # comment lines and blank lines are ignored
    <numeric OID>|<tag>|<value>

``tag`` is the BER tag number of the value's SNMP type:

====  ===================  =============================================
tag   type                 value text
====  ===================  =============================================
2     Integer32            decimal (``-1``, ``5``)
4     OctetString          text as is (may contain ``|``); UTF-8 encoded
4x    OctetString          hex digits (``001b21aabbcc``)
5     Null                 ignored
6     ObjectIdentifier     numeric OID (``1.3.6.1.4.1.1718.3``)
64    IpAddress            dotted quad
65    Counter32            decimal
66    Gauge32 / Unsigned32 decimal
67    TimeTicks            decimal hundredths of a second
70    Counter64            decimal
====  ===================  =============================================

Lines need not be sorted; a later line for the same OID replaces an earlier
one.  Errors name the file and line.  Live objects (outlet state, load) are
not written here: device code adds them to the same :class:`MibTable`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pysnmp.proto import rfc1902

from .source import MibTable, Oid, Value, format_oid, parse_oid


class SnmprecError(ValueError):
    """A line of a ``.snmprec`` file could not be parsed."""


def _hex(text: str) -> Value:
    return rfc1902.OctetString(hexValue=text.strip())


_DECODERS: dict[str, Callable[[str], Value]] = {
    "2": lambda text: rfc1902.Integer32(int(text)),
    "4": lambda text: rfc1902.OctetString(text.encode()),
    "4x": _hex,
    "6": lambda text: rfc1902.ObjectIdentifier(parse_oid(text)),
    "64": lambda text: rfc1902.IpAddress(text.strip()),
    "65": lambda text: rfc1902.Counter32(int(text)),
    "66": lambda text: rfc1902.Gauge32(int(text)),
    "67": lambda text: rfc1902.TimeTicks(int(text)),
    "70": lambda text: rfc1902.Counter64(int(text)),
}

_ENCODERS: list[tuple[type, str]] = [
    (rfc1902.Counter64, "70"),
    (rfc1902.TimeTicks, "67"),
    (rfc1902.Counter32, "65"),
    (rfc1902.Gauge32, "66"),
    (rfc1902.Unsigned32, "66"),
    (rfc1902.IpAddress, "64"),
    (rfc1902.Integer32, "2"),
    (rfc1902.ObjectIdentifier, "6"),
    (rfc1902.OctetString, "4"),
]


def parse_line(line: str, where: str = "<text>") -> tuple[Oid, Value] | None:
    """Parse one line; ``None`` for blank and comment lines."""
    text = line.rstrip("\r\n")
    if not text.strip() or text.lstrip().startswith("#"):
        return None
    parts = text.split("|", 2)
    if len(parts) != 3:
        raise SnmprecError(f"{where}: expected 'OID|TAG|VALUE', got {text!r}")
    oid_text, tag, value_text = parts
    try:
        oid = parse_oid(oid_text)
    except ValueError as exc:
        raise SnmprecError(f"{where}: {exc}") from None
    decoder = _DECODERS.get(tag.strip())
    if decoder is None:
        if tag.strip() == "5":
            return None
        raise SnmprecError(f"{where}: unknown tag {tag!r} (known: {', '.join(sorted(_DECODERS))})")
    try:
        return oid, decoder(value_text)
    except Exception as exc:
        raise SnmprecError(f"{where}: bad value {value_text!r} for tag {tag}: {exc}") from None


def load_snmprec_lines(lines: Iterable[str], table: MibTable | None = None, name: str = "<text>") -> MibTable:
    """Add every record of ``lines`` to ``table`` (a new one by default) and return it."""
    table = MibTable() if table is None else table
    for number, line in enumerate(lines, 1):
        parsed = parse_line(line, f"{name}:{number}")
        if parsed is not None:
            table.add(parsed[0], parsed[1])
    return table


def read_snmprec(path: str | Path) -> list[tuple[Oid, Value]]:
    """The records of a ``.snmprec`` file in file order (a later line for the same OID comes later)."""
    path = Path(path)
    records: list[tuple[Oid, Value]] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            parsed = parse_line(line, f"{path}:{number}")
            if parsed is not None:
                records.append(parsed)
    return records


def load_snmprec(path: str | Path, table: MibTable | None = None) -> MibTable:
    """Load a ``.snmprec`` file into ``table`` (a new one by default)."""
    path = Path(path)
    with path.open(encoding="utf-8") as handle:
        return load_snmprec_lines(handle, table, str(path))


def format_record(oid: Oid, value: Value) -> str:
    """One ``.snmprec`` line for ``value`` (the inverse of :func:`parse_line`)."""
    where = format_oid(oid)
    tag = next((tag for kind, tag in _ENCODERS if isinstance(value, kind)), None)
    if tag is None:
        raise SnmprecError(f"{where}: cannot encode {type(value).__name__}")
    v: Any = value
    if tag == "4":
        raw: bytes = v.asOctets()
        try:
            text = raw.decode()
        except UnicodeDecodeError:
            return f"{where}|4x|{raw.hex()}"
        if not text.isprintable():
            return f"{where}|4x|{raw.hex()}"
        return f"{where}|4|{text}"
    if tag == "6":
        return f"{where}|6|{format_oid(tuple(v))}"
    if tag == "64":
        return f"{where}|64|{v.prettyPrint()}"
    return f"{where}|{tag}|{int(v)}"
