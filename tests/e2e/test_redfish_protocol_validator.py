"""DMTF's Redfish Protocol Validator (PyPI, offline) against a vrack BMC and against sushy-tools, side by side.

The validator and sushy-tools run from their own venv (bench/redfish_peers.py, built on first use).  vrack must
pass with no FAIL and no WARN, and pass more assertions than sushy-tools.  Rack on 127.66.4.0/24 (TCP 443).
"""

from __future__ import annotations

import pytest

from bench.redfish_validate import compare

pytestmark = pytest.mark.e2e


def test_protocol_validator_passes_vrack_and_beats_sushy_tools() -> None:
    results = compare()
    vrack, peer = results["vrack"], results["sushy-tools"]
    assert not vrack.crashed, vrack.crashed
    assert (vrack.failed, vrack.warned) == (0, 0), vrack
    assert vrack.passed >= 300, vrack
    assert vrack.passed > peer.passed, (vrack, peer)
