"""Smoke test of bench.ipmipower_overload: a small sweep against vrack and ipmi_sim (no timed asserts).

Ten BMCs on the first hosts of 127.63.0.0/16, swept by one and by three
ipmipower processes at once: every session must succeed on both servers and
the rows and table must carry what the README quotes.
"""

from __future__ import annotations

import pytest

from bench import ipmipower_overload
from tests.support.privileges import require_root

pytestmark = [pytest.mark.slow, pytest.mark.e2e]


def test_a_small_sweep_against_vrack_and_ipmi_sim() -> None:
    require_root("the benchmark's BMCs bind UDP 623 on 127.63.0.0/16: run as root")
    lines: list[str] = []
    rows = ipmipower_overload.run(sizes=(10,), clients=(1, 3), ipmi_sim_max=10, timeout=120, report=lines.append)
    assert [(r["server"], r["clients"]) for r in rows] == [("vrack", 1), ("vrack", 3), ("ipmi_sim", 1), ("ipmi_sim", 3)]
    for row in rows:
        assert row["sessions"] == 10 * row["clients"] and row["errors"] == 0, row
        assert row["answers"] == {"off": row["sessions"]} and row["sweep_s"] > 0
    assert rows[0]["handshake_refusals"] == 0 and rows[0]["retransmits_answered"] >= 0
    table = ipmipower_overload.table(rows)
    assert len(table) == 2 + len(rows) and table[2].startswith("| vrack | 10 | 1 | 10 | 0 | 0.00 |")
    assert len(lines) == len(rows)


def test_the_command_line_refuses_bad_sizes() -> None:
    with pytest.raises(SystemExit):
        ipmipower_overload.main(["--sizes", "0"])
