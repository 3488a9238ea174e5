"""vrack.heap: with the trim threshold raised, the journal's batch pattern no longer shrinks the C heap."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from vrack.heap import keep_heap_top

# Encodes journal-like entries in batches of 512 kept until the batch is written (as Journal.flush does) and
# counts how often the heap (glibc's mallinfo2 "arena", the bytes obtained with brk) got smaller.
PROBE = textwrap.dedent(
    """
    import ctypes, sys
    import orjson
    from vrack.heap import keep_heap_top

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in
                    ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                     "keepcost")]

    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = MallInfo2
    if sys.argv[1] == "keep":
        assert keep_heap_top()
    entry = {"seq": 1, "time": "2026-01-01T00:00:00.000Z", "elapsed": 0.0001, "device": "node01",
             "protocol": "ipmi", "operation": "chassis.get_status", "peer": "127.16.0.200:40000", "user": "admin",
             "netfn": 0, "cmd": 1, "completion_code": 0, "interface": "lanplus"}
    batch = [dict(entry, seq=seq) for seq in range(512)]
    shrunk, last = 0, libc.mallinfo2().arena
    for _ in range(20):
        lines = []
        for item in batch:
            lines.append(orjson.dumps(item))
            now = libc.mallinfo2().arena
            shrunk, last = shrunk + (now < last), now
        del lines
        now = libc.mallinfo2().arena
        shrunk, last = shrunk + (now < last), now
    print(shrunk)
    """
)


def _heap_shrinks(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_journal_batches_stop_shrinking_the_heap_once_the_threshold_is_raised() -> None:
    if not keep_heap_top():
        pytest.skip("the C library is not glibc: vrack.heap changes nothing here")
    assert _heap_shrinks("default") >= 10  # glibc's 128 KiB threshold: the top given back after (nearly) every batch
    assert _heap_shrinks("keep") == 0
