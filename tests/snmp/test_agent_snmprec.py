"""The .snmprec loader: every tag, comments, errors located by file and line, and round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
from pysnmp.proto import rfc1902

from snmp_agent.snmprec import SnmprecError, format_record, load_snmprec, load_snmprec_lines
from snmp_agent.source import Value, parse_oid

SAMPLE = """\
# a comment, then a blank line

1.3.6.1.2.1.1.1.0|4|Sentry Switched CDU | with a pipe
1.3.6.1.2.1.1.2.0|6|1.3.6.1.4.1.1718.3
1.3.6.1.2.1.1.3.0|67|4200
1.3.6.1.2.1.2.2.1.6.1|4x|001b21aabbcc
1.3.6.1.2.1.2.2.1.10.1|65|4294967295
1.3.6.1.2.1.2.2.1.5.1|66|1000000000
1.3.6.1.2.1.31.1.1.1.6.1|70|18446744073709551615
1.3.6.1.2.1.4.20.1.1.127.0.0.1|64|127.0.0.1
1.3.6.1.2.1.1.7.0|2|-72
1.3.6.1.2.1.1.9.0|5|
"""


def test_every_tag_decodes_to_its_type() -> None:
    """Each tag yields the pysnmp type it names; Null lines are skipped; '|' may appear in values."""
    table = load_snmprec_lines(SAMPLE.splitlines())

    def get(text: str) -> Value:
        value = table.get(parse_oid(text))
        assert value is not None, text
        return value

    assert str(get("1.3.6.1.2.1.1.1.0")) == "Sentry Switched CDU | with a pipe"
    assert isinstance(get("1.3.6.1.2.1.1.2.0"), rfc1902.ObjectIdentifier)
    assert str(get("1.3.6.1.2.1.1.2.0")) == "1.3.6.1.4.1.1718.3"
    assert isinstance(get("1.3.6.1.2.1.1.3.0"), rfc1902.TimeTicks) and int(get("1.3.6.1.2.1.1.3.0")) == 4200
    assert get("1.3.6.1.2.1.2.2.1.6.1").asOctets() == bytes.fromhex("001b21aabbcc")
    assert isinstance(get("1.3.6.1.2.1.2.2.1.10.1"), rfc1902.Counter32)
    assert isinstance(get("1.3.6.1.2.1.2.2.1.5.1"), rfc1902.Gauge32)
    assert int(get("1.3.6.1.2.1.31.1.1.1.6.1")) == 2**64 - 1
    assert get("1.3.6.1.2.1.4.20.1.1.127.0.0.1").prettyPrint() == "127.0.0.1"
    assert int(get("1.3.6.1.2.1.1.7.0")) == -72
    assert table.get(parse_oid("1.3.6.1.2.1.1.9.0")) is None
    assert len(table) == 9


def test_round_trip_through_format_record() -> None:
    """format_record writes lines that load back to equal values."""
    table = load_snmprec_lines(SAMPLE.splitlines())
    lines = [format_record(oid, table.get(oid)) for oid in table.oids()]
    again = load_snmprec_lines(lines)
    assert again.oids() == table.oids()
    assert all(again.get(oid) == table.get(oid) for oid in table.oids())


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("1.3.6.1.2.1.1.1.0|4", "expected 'OID|TAG|VALUE'"),
        ("1.3.x.1|4|a", "not a numeric OID"),
        ("1.3.6.1|99|a", "unknown tag '99'"),
        ("1.3.6.1|2|twelve", "bad value 'twelve' for tag 2"),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    """A broken record fails the load with the file, the line number and what is wrong."""
    path = tmp_path / "bad.snmprec"
    path.write_text("# header\n1.3.6.1.2.1.1.5.0|4|ok\n" + line + "\n")
    with pytest.raises(SnmprecError) as info:
        load_snmprec(path)
    assert f"{path}:3" in str(info.value) and message in str(info.value)


def test_vendor_data_files_load() -> None:
    """The shipped personality files parse."""
    models = Path(__file__).resolve().parents[2] / "pdu_sim" / "models"
    files = sorted(models.glob("*.snmprec"))
    assert [f.name for f in files] == ["apc_powernet.snmprec", "servertech_sentry3.snmprec", "sinetica_hawk_i2.snmprec"]
    assert all(len(load_snmprec(f)) > 5 for f in files)
