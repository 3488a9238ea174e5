"""bench/snmp_rack_start.py starts a PDU-and-switch rack as ``vrack up``, probes it with snmpget and stops it."""

from __future__ import annotations

import os

import pytest

from bench.snmp_rack_start import ROOT, measure, spec_text
from vrack.spec import parse_spec


def test_the_spec_has_the_pdus_and_switches_asked_for() -> None:
    spec = parse_spec(spec_text(3, 2, "127.67.21.0/24"))
    assert [(d.kind, d.count) for d in spec.devices] == [("pdu", 3), ("switch", 2)]


@pytest.mark.skipif(os.geteuid() != 0, reason="the agents listen on UDP 161")
def test_a_small_rack_starts_answers_and_stops() -> None:
    result = measure(2, 1, "127.67.20.0/24", ROOT, 120.0)
    assert result["status"] == "running" and result["answered"] is True
    assert result["up_s"] > 0 and result["rss_mib_at_up"] > 0 and result["stop_s"] >= 0
