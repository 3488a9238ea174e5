"""The steering program of shared listeners split over workers (``vrack.split.steering``)."""

from __future__ import annotations

import ipaddress
import struct

import pytest

from vrack.plan import build_plan
from vrack.spec import parse_spec
from vrack.split.partition import partition
from vrack.split.steering import MAX_RANGES, address_ranges, steering_program


def test_consecutive_addresses_of_a_worker_are_one_range() -> None:
    spec = "rack: r\nnetworks: {management: 127.200.63.0/24}\nports: {shared: true}\n"
    plan = build_plan(parse_spec(spec + "devices:\n  - {name: 'n{n:02d}', kind: compute, count: 10}\n"))
    slices = partition([node.name for node in plan.nodes], 2)
    first = int(ipaddress.IPv4Address("127.200.63.1"))
    assert address_ranges(plan, slices) == [(first, first + 4, 0), (first + 5, first + 9, 1)]
    program = steering_program(address_ranges(plan, slices))
    code = [struct.unpack("=HBBI", program[i : i + 8]) for i in range(0, len(program), 8)]
    assert code[0] == (0x20, 0, 0, 0xFFF00010)  # load the IPv4 destination address
    assert code[1:4] == [(0x35, 0, 2, first), (0x25, 1, 0, first + 4), (0x06, 0, 0, 0)]
    assert code[-1] == (0x06, 0, 0, 0xFFFFFFFF)  # no worker has it: the kernel's hash picks one, which drops it


def test_too_many_ranges_are_refused_naming_the_fix() -> None:
    ranges = [(2 * i, 2 * i, i % 2) for i in range(MAX_RANGES + 1)]
    with pytest.raises(ValueError, match=r"consecutive addresses or drop ports\.shared"):
        steering_program(ranges)
