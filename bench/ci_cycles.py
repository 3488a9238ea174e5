"""vrack ci: time of one cycle of the shipped example, pause between cycles, runner memory over many cycles.

Runs ``ci/example.yaml`` (its rack, its pytest suite with ipmitool) for N cycles in this process, on a copy of
this checkout's HEAD standing for the watched repository, and reports:

- each cycle's duration (rack up, suite, rack down, history, artifacts): median, min, max;
- the pause between the end of a cycle and the start of the next (fetch, target choice, bookkeeping);
- the runner's resident memory (this process) after the first, the 10th and the last cycle.

    .venv/bin/python -m bench.ci_cycles --cycles 100      (as root: the example's BMCs are on UDP 623)

Results: bench/results/ci_cycles.json.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from vrack_ci.config import load_config
from vrack_ci.runner import Runner

CYCLE_END = re.compile(r"^vrack ci: cycle [0-9]+: (passed|failed|error|timeout) in ")
ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench/results"


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def example_config(work: Path, subnet: int) -> Path:
    """The shipped example, watching a copy of this checkout's HEAD."""
    upstream = work / "vrack"
    upstream.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "unborn"], cwd=upstream, check=True)
    subprocess.run(["git", "fetch", "-q", str(ROOT), "HEAD:refs/heads/main"], cwd=upstream, check=True)
    example = yaml.safe_load((ROOT / "ci/example.yaml").read_text())
    example["repositories"][0]["url"] = str(upstream)
    # the example's rack, on its own addresses (127.67.SUBNET.0/24) so the tests may run beside the benchmark
    rack = (ROOT / "ci/example-rack.yaml").read_text()
    (work / "example-rack.yaml").write_text(rack.replace("127.67.1.0/24", f"127.67.{subnet}.0/24"))
    config = work / "example.yaml"
    config.write_text(yaml.safe_dump(example))
    return config


def run(cycles: int, subnet: int = 100) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="vrack-ci-bench-"))
    try:
        config = load_config(example_config(work, subnet))
        memory: dict[int, float] = {}

        def log(line: str) -> None:
            if CYCLE_END.match(line):  # "vrack ci: cycle N: passed in 4.2 s": a cycle ended
                memory[len(memory) + 1] = rss_mib()

        runner = Runner(config, log=log)
        started = time.monotonic()
        results = runner.run(cycles=cycles)
        wall = time.monotonic() - started
        durations = [r.duration for r in results]
        pauses = runner.pauses
        checkpoints = sorted({1, min(10, cycles), cycles})
        return {
            "cycles": cycles,
            "states": {s: sum(r.state == s for r in results) for s in sorted({r.state for r in results})},
            "cycle_seconds": {"median": statistics.median(durations), "min": min(durations), "max": max(durations)},
            "pause_seconds": {"median": statistics.median(pauses), "max": max(pauses)} if pauses else {},
            "runner_rss_mib": {str(n): round(memory.get(n, 0.0), 1) for n in checkpoints},
            "wall_seconds": round(wall, 1),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--out", type=Path, default=RESULTS / "ci_cycles.json")
    args = parser.parse_args()
    report = run(args.cycles)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
