"""DMTF's Redfish Protocol and Interop Validators (PyPI, offline) against a vrack BMC and sushy-tools, side by side.

The validators and sushy-tools run from their own venv (bench/redfish_peers.py, built on first use).  vrack must
pass both with no FAIL and no WARN, and pass more assertions than sushy-tools.  The interop validator checks
vrack's bare-metal profile (redfish_sim/profiles/VrackBareMetal.v1_0_0.json).  Rack on 127.66.4.0/24 (TCP 443).
"""

from __future__ import annotations

import pytest

from bench.redfish_peers import interop_failures
from bench.redfish_validate import compare

pytestmark = pytest.mark.e2e


def test_protocol_validator_passes_vrack_and_beats_sushy_tools() -> None:
    results = compare()
    vrack, peer = results["vrack"], results["sushy-tools"]
    assert not vrack.crashed, vrack.crashed
    assert (vrack.failed, vrack.warned) == (0, 0), vrack
    assert vrack.passed >= 300, vrack
    assert vrack.passed > peer.passed, (vrack, peer)
    interop, peer_interop = results["vrack interop"], results["sushy-tools interop"]
    assert not interop.crashed, interop.crashed
    assert (interop.failed, interop.warned) == (0, 0), (
        interop,
        interop_failures(interop.report) if interop.report else "",
    )
    assert interop.passed >= 150, interop
    assert interop.passed > peer_interop.passed, (interop, peer_interop)
