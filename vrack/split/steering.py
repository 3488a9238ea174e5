"""Shared listeners split over workers: one ``SO_REUSEPORT`` group per port, steered by destination address.

With ``ports.shared`` and ``vrack up --workers K`` the coordinator makes, for every IPMI (UDP) and Redfish
(TCP) port of the rack, K sockets bound to 0.0.0.0 with ``SO_REUSEPORT``, in worker order, so socket i of
the group is worker i's.  A classic BPF program attached to the group (``SO_ATTACH_REUSEPORT_CBPF``) reads
each datagram's or SYN's destination address from the IP header and returns the index of the worker whose
slice holds that address (a list of address ranges, compared in turn); an address no worker has selects no
socket, so the kernel falls back to its hash and the worker that gets it drops and counts it.  Plain
``SO_REUSEPORT`` without the program would spread one BMC's clients over the workers by a hash of the
4-tuple, and each worker knows only its own BMCs' sessions.  Each worker inherits its sockets
(``pass_fds``) and serves them with :class:`vrack.shared_listeners.SharedListeners`.
"""

from __future__ import annotations

import ctypes
import socket
import struct
from collections.abc import Sequence

from vrack.plan import RackPlan

SO_ATTACH_REUSEPORT_CBPF = 51  # Linux; Python does not export it
_SKF_NET_OFF = -0x100000  # BPF loads relative to the network (IP) header
_LD_W_ABS, _JGE_K, _JGT_K, _RET_K = 0x20, 0x35, 0x25, 0x06
MAX_RANGES = 1300  # 3 instructions each, within BPF_MAXINSNS (4096)

Shared = tuple[str, int]  # ("udp" | "tcp", port)


def address_ranges(plan: RackPlan, slices: Sequence[Sequence[str]]) -> list[tuple[int, int, int]]:
    """(first, last, worker) runs of consecutive BMC addresses, each run within one worker's slice."""
    owner = {name: index for index, names in enumerate(slices) for name in names}
    pairs = sorted((int(node.bmc_address), owner[node.name]) for node in plan.nodes if node.name in owner)
    ranges: list[tuple[int, int, int]] = []
    for address, worker in pairs:
        if ranges and ranges[-1][2] == worker and ranges[-1][1] + 1 == address:
            ranges[-1] = (ranges[-1][0], address, worker)
        else:
            ranges.append((address, address, worker))
    return ranges


def steering_program(ranges: Sequence[tuple[int, int, int]]) -> bytes:
    """The classic BPF program: destination address in a range -> that range's worker, else no socket."""
    if len(ranges) > MAX_RANGES:
        raise ValueError(
            f"the workers' BMC addresses form {len(ranges)} ranges, more than one steering program holds "
            f"({MAX_RANGES}): give the nodes consecutive addresses or drop ports.shared"
        )
    code = [(_LD_W_ABS, 0, 0, (_SKF_NET_OFF + 16) & 0xFFFFFFFF)]  # IPv4 destination address
    for first, last, worker in ranges:
        code += [(_JGE_K, 0, 2, first), (_JGT_K, 1, 0, last), (_RET_K, 0, 0, worker)]
    code.append((_RET_K, 0, 0, 0xFFFFFFFF))  # no worker: an index beyond the group, the kernel's hash decides
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in code)


def _attach(sock: socket.socket, program: bytes) -> None:
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = struct.pack("=HxxxxxxQ", len(program) // 8, ctypes.addressof(buffer))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, fprog)


def shared_ports(plan: RackPlan) -> list[Shared]:
    """The ports the rack's BMCs serve: IPMI over UDP, Redfish HTTPS and HTTP over TCP."""
    udp = {node.bmc_port for node in plan.nodes}
    tcp = {port for node in plan.nodes for port in (node.redfish_port, node.redfish_http_port) if port is not None}
    return [("udp", port) for port in sorted(udp)] + [("tcp", port) for port in sorted(tcp)]


def steered_sockets(plan: RackPlan, slices: Sequence[Sequence[str]]) -> list[dict[Shared, socket.socket]]:
    """Per worker, its socket of every shared port's group (bound, TCP ones listening, steering attached).

    Raises OSError (the port is taken) or ValueError (too many address ranges); nothing stays open then.
    """
    program = steering_program(address_ranges(plan, slices))
    made: list[dict[Shared, socket.socket]] = [{} for _ in slices]
    try:
        for kind, port in shared_ports(plan):
            group: list[socket.socket] = []
            for worker in made:
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)
                worker[(kind, port)] = sock
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                sock.bind(("0.0.0.0", port or (group[0].getsockname()[1] if group else 0)))  # port 0: one for all
                if kind == "tcp":
                    sock.listen(1024)
                group.append(sock)
            _attach(group[0], program)
    except BaseException:
        for worker in made:
            for sock in worker.values():
                sock.close()
        raise
    return made
