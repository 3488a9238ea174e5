"""Is a TFTP server (dnsmasq) serving yet?"""

from __future__ import annotations

import socket

from node_sim.netns import in_netns


def tftp_answers(netns: str, address: str) -> bool:
    """dnsmasq logs "started" before its main loop runs; a TFTP error reply proves the loop is serving."""
    with in_netns(netns):
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.settimeout(0.2)
        probe.sendto(b"\x00\x01readiness-probe\x00octet\x00", (address, 69))
        data, _ = probe.recvfrom(1500)
        return data[:2] == b"\x00\x05"
    except OSError:
        return False
    finally:
        probe.close()
