"""SOL configuration parameters (IPMI 2.0 section 26.2, table 26-5), as Get/Set SOL Configuration
Parameters read and write them and as the SOL payload uses them.

Parameters: 0 set in progress, 1 SOL enable, 2 SOL authentication (force encryption, force
authentication, privilege level), 3 character accumulate interval (5 ms units) and send threshold,
4 SOL retry count and interval (10 ms units), 5/6 non-volatile/volatile bit rate, 7 payload channel
and 8 payload port (both read only).  Unknown parameters are "parameter not supported" (0x80);
writing a read-only one is 0x82; a malformed value is 0xCC.
"""

from __future__ import annotations

import struct

from bmc_sim.config import Privilege
from bmc_sim.errors import CommandSpecific, InvalidDataField, ParameterNotSupported

PARAMETER_REVISION = 0x11
BIT_RATES = {0x06: 9600, 0x07: 19200, 0x08: 38400, 0x09: 57600, 0x0A: 115200}
READ_ONLY = frozenset({7, 8})


CC_READ_ONLY = 0x82


class SolConfig:
    """The SOL parameters of one BMC channel; defaults as a typical server ships them."""

    def __init__(self, channel: int, port: int = 623) -> None:
        self.channel = channel
        self.port = port
        self.set_in_progress = 0
        self.enabled = True
        self.force_encryption = False
        self.force_authentication = False
        self.privilege = Privilege.USER
        self.accumulate_interval = 12  # x 5 ms = 60 ms
        self.send_threshold = 96  # characters
        self.retry_count = 7
        self.retry_interval = 50  # x 10 ms = 500 ms
        self.non_volatile_bit_rate = 0x0A  # 115.2 kbps
        self.volatile_bit_rate = 0x0A

    @property
    def accumulate_seconds(self) -> float:
        return max(1, self.accumulate_interval) * 0.005

    @property
    def retry_seconds(self) -> float:
        return max(1, self.retry_interval) * 0.01

    def get(self, parameter: int) -> bytes:
        """The value bytes of ``parameter`` (without the revision byte)."""
        match parameter:
            case 0:
                return bytes([self.set_in_progress])
            case 1:
                return bytes([int(self.enabled)])
            case 2:
                flags = (0x80 if self.force_encryption else 0) | (0x40 if self.force_authentication else 0)
                return bytes([flags | int(self.privilege)])
            case 3:
                return bytes([self.accumulate_interval, self.send_threshold])
            case 4:
                return bytes([self.retry_count, self.retry_interval])
            case 5:
                return bytes([self.non_volatile_bit_rate])
            case 6:
                return bytes([self.volatile_bit_rate])
            case 7:
                return bytes([self.channel])
            case 8:
                return struct.pack("<H", self.port)
        raise ParameterNotSupported(f"SOL parameter {parameter} is not supported (valid: 0..8)")

    def set(self, parameter: int, value: bytes) -> None:
        """Write ``parameter``; errors say which value is wrong and what is valid."""
        if parameter in READ_ONLY:
            raise CommandSpecific(CC_READ_ONLY, f"SOL parameter {parameter} is read only")
        need = {0: 1, 1: 1, 2: 1, 3: 2, 4: 2, 5: 1, 6: 1}.get(parameter)
        if need is None:
            raise ParameterNotSupported(f"SOL parameter {parameter} is not supported (valid: 0..8)")
        if len(value) < need:
            raise InvalidDataField(f"SOL parameter {parameter} needs {need} data byte(s)")
        first = value[0]
        match parameter:
            case 0:
                if first & 0x03 == 0x03:
                    raise InvalidDataField("set in progress 3 is reserved")
                self.set_in_progress = first & 0x03
            case 1:
                self.enabled = bool(first & 0x01)
            case 2:
                level = first & 0x0F
                if not Privilege.USER <= level <= Privilege.OEM:
                    raise InvalidDataField(f"SOL privilege level {level} is not 2..5")
                self.force_encryption, self.force_authentication = bool(first & 0x80), bool(first & 0x40)
                self.privilege = Privilege(level)
            case 3:
                if value[0] == 0 or value[1] == 0:
                    raise InvalidDataField("character accumulate interval and send threshold must be 1..255")
                self.accumulate_interval, self.send_threshold = value[0], value[1]
            case 4:
                self.retry_count, self.retry_interval = value[0] & 0x07, value[1]
            case 5 | 6:
                rate = first & 0x0F
                if rate not in BIT_RATES and rate != 0:
                    raise InvalidDataField(f"bit rate code {rate:#x} is not one of 0, 6..0xA")
                if parameter == 5:
                    self.non_volatile_bit_rate = rate
                else:
                    self.volatile_bit_rate = rate
