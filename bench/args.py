"""Argument types the benches share, so a bad count, network or path is a usage error naming the option, not a
traceback."""

from __future__ import annotations

import argparse
import ipaddress
from pathlib import Path


def positive_int(text: str) -> int:
    """An integer of at least 1 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


LOOPBACK = ipaddress.IPv4Network("127.0.0.0/8")


def loopback_network(text: str) -> str:
    """An IPv4 network inside 127.0.0.0/8 (argparse type; the benches send only to loopback)."""
    try:
        network = ipaddress.IPv4Network(text, strict=False)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not an IPv4 network ({exc})") from None
    if not network.subnet_of(LOOPBACK):
        raise argparse.ArgumentTypeError(f"{network} is outside 127.0.0.0/8 (the benches use loopback addresses only)")
    return str(network)


def loopback_prefix(text: str) -> str:
    """The first three octets of loopback addresses, such as ``127.67.4`` (argparse type)."""
    try:
        address = ipaddress.IPv4Address(f"{text}.1")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not three octets such as 127.67.4") from None
    if address not in LOOPBACK:
        raise argparse.ArgumentTypeError(f"{text} is outside 127.0.0.0/8 (the benches use loopback addresses only)")
    return text


def existing_directory(text: str) -> Path:
    """A directory that exists (argparse type)."""
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is not a directory")
    return path
