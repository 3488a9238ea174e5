"""DMTF's Redfish Protocol and Interop Validators against a vrack BMC and sushy-tools, side by side in one run.

    python -m bench.redfish_validate        (root: the vrack BMC listens on 443; about a minute)

vrack: a one-node rack (quanta-d51, admin/admin) on 127.66.4.1, HTTPS on 443 trusted through the rack's CA.
sushy-tools: ``sushy-emulator --fake`` with HTTPS and Basic auth on 127.66.4.10:8443.  The interop validator
checks ``redfish_sim/profiles/VrackBareMetal.v1_0_0.json`` (what Ironic, Metal3 and RackHD use).  The node is
powered on first, so its SEL (the Redfish log entries) is not empty.  Prints PASS / WARN / FAIL / NOT_TESTED
per validator and server and every FAIL or WARN line; exit 1 when vrack has a FAIL.
"""

from __future__ import annotations

import sys
import textwrap

from bench.peers import Processes
from bench.redfish_peers import (
    ValidatorResult,
    ensure_venv,
    failures,
    interop_failures,
    run_interop_validator,
    run_protocol_validator,
    start_sushy_tools,
    temp_workdir,
    wait_tcp,
)
from vrack.testing import start_rack

SPEC = textwrap.dedent(
    """\
    rack: bench-redfish
    seed: bench-redfish-seed
    networks: {management: 127.66.4.0/24}
    devices:
      - {name: node01, kind: compute, model: quanta-d51, bmc: {boot_time: 0}}
    """
)
SUSHY_ADDRESS, SUSHY_PORT = "127.66.4.10", 8443


def compare() -> dict[str, ValidatorResult]:
    bindir = ensure_venv()
    work = temp_workdir("redfish-validate-")
    results: dict[str, ValidatorResult] = {}
    rack = start_rack(SPEC, mode="process", ports="standard")
    procs = Processes()
    try:
        bmc = rack.node("node01").bmc
        assert bmc.redfish_ca is not None
        rack.node("node01").power("on")
        results["vrack"] = run_protocol_validator(
            bindir, bmc.redfish_url, "admin", "admin", bmc.redfish_ca, work / "vrack"
        )
        results["vrack interop"] = run_interop_validator(
            bindir, bmc.redfish_url, "admin", "admin", bmc.redfish_ca, work / "vrack-interop"
        )
        ca = start_sushy_tools(procs, bindir, SUSHY_ADDRESS, SUSHY_PORT, work)
        wait_tcp(SUSHY_ADDRESS, SUSHY_PORT)
        url = f"https://{SUSHY_ADDRESS}:{SUSHY_PORT}"
        results["sushy-tools"] = run_protocol_validator(bindir, url, "admin", "admin", ca, work / "sushy-tools")
        results["sushy-tools interop"] = run_interop_validator(
            bindir, url, "admin", "admin", ca, work / "sushy-tools-interop"
        )
    finally:
        procs.stop_all()
        rack.stop()
    return results


def main() -> int:
    results = compare()
    print(f"{'server':<20} {'PASS':>5} {'WARN':>5} {'FAIL':>5} {'NOT_TESTED':>10}  note")
    for name, r in results.items():
        note = f"validator stopped: {r.crashed}" if r.crashed else ""
        print(f"{name:<20} {r.passed:>5} {r.warned:>5} {r.failed:>5} {r.not_tested:>10}  {note}")
        explain = interop_failures if name.endswith("interop") else failures
        for line in explain(r.report) if r.report else []:
            print(f"    {line}")
    vrack = (results["vrack"], results["vrack interop"])
    return 1 if any(r.failed or r.crashed for r in vrack) else 0


if __name__ == "__main__":
    sys.exit(main())
