"""bench.ipmi_inprocess: a short run answers every request (checked by the bench's own client), counts the
collector's passes, and leaves nothing frozen behind."""

from __future__ import annotations

import gc

from bench.ipmi_inprocess import measure


def test_a_short_run_reports_cpu_and_the_collector_passes() -> None:
    for freeze in (True, False):
        row = measure(requests=3000, sessions=2, repeat=1, freeze=freeze)
        assert row["requests"] == 3000 and row["frozen"] is freeze and row["cpu_us_per_request"] > 0, row
        assert len(row["gc_passes"]) == 3 and all(isinstance(n, int) and n >= 0 for n in row["gc_passes"]), row
        assert row["gc_us_per_request"] >= 0, row
        assert gc.get_freeze_count() == 0  # unfrozen after the run
