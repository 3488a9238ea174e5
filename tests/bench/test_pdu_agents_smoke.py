"""Smoke test of ``bench.pdu_agents`` (moved out of snmp_agent, which no longer imports pdu_sim).

Two ServerTech PDU agents on 127.16.17.1-2 must each answer one real SNMP GET; the numbers are
printed, not judged.
"""

from __future__ import annotations

import json
import subprocess
import sys

import snmp_agent


def test_two_pdu_agents_answer_a_real_get() -> None:
    argv = [sys.executable, "-m", "bench.pdu_agents", "2", "--base", "127.16.17", "--outlets", "4"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=120).stdout
    row = json.loads(out.strip().splitlines()[-1])
    assert row["agents"] == 2 and row["answered"] == 2 and row["outlets"] == 4
    assert row["rss_after_mb"] >= row["rss_before_mb"] > 0


def test_snmp_agent_does_not_import_the_pdu_simulator() -> None:
    code = "import sys, snmp_agent, snmp_agent.hub, snmp_agent.testing; print('pdu_sim' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False", snmp_agent.__file__
