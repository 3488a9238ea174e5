"""Platform Event Filtering configuration (IPMI 2.0 chapter 17, parameters in table 30-6).

:class:`PefConfiguration` holds the PEF configuration parameters of one BMC: PEF control, the
global action control, the startup delays, the event filter table (16 entries; the first six are the
manufacturer's pre-configured filters for critical temperature, voltage, fan, power supply, processor
and memory events, sending alert policy 1), the alert policy table (8 entries), the System GUID
parameter and the alert strings (3 strings of up to 64 characters) with their keys.  Get/Set PEF
Configuration Parameters read and write it; read-only parameters refuse writes (0x82), unknown ones
answer 0x80, set selectors out of range 0xC9, wrong lengths 0xC7.  :mod:`bmc_sim.pet` runs the filters
over logged events and sends the PET alerts the policies and the LAN alert destinations ask for; the
policies start disabled and the destinations unset, so a BMC sends nothing until it is configured.
"""

from __future__ import annotations

from bmc_sim.errors import CommandSpecific, ParameterNotSupported, ParameterOutOfRange, RequestDataLengthInvalid

PEF_VERSION = 0x51  # IPMI 1.5 / 2.0 PEF
PARAMETER_REVISION = 0x11
ACTION_SUPPORT = 0x0F  # alert, power down, reset, power cycle (no OEM action, no diagnostic interrupt)
EVENT_FILTERS = 16
ALERT_POLICIES = 8
ALERT_STRINGS = 3  # strings 1..3 besides the volatile string 0
ALERT_STRING_BLOCKS = 4  # 16 bytes each: 64 characters, as FreeIPMI expects
FILTER_LENGTH = 20

SET_IN_PROGRESS, CONTROL, ACTION_CONTROL, STARTUP_DELAY, ALERT_STARTUP_DELAY = 0, 1, 2, 3, 4
FILTER_COUNT, FILTER_TABLE, FILTER_DATA1, POLICY_COUNT, POLICY_TABLE = 5, 6, 7, 8, 9
SYSTEM_GUID, STRING_COUNT, STRING_KEYS, STRINGS = 10, 11, 12, 13
READ_ONLY = frozenset({FILTER_COUNT, POLICY_COUNT, STRING_COUNT})

# sensor types of the manufacturer's filters: temperature, voltage, fan, power supply, processor, memory
PRECONFIGURED_SENSOR_TYPES = (0x01, 0x02, 0x04, 0x08, 0x07, 0x0C)
SEVERITY_CRITICAL = 0x10


def preconfigured_filter(sensor_type: int) -> bytes:
    """An enabled manufacturer filter: any event of ``sensor_type`` from anywhere -> alert, policy 1."""
    return bytes(
        [
            0x80 | 0x40,  # enabled, manufacturer pre-configured
            0x01,  # action: alert
            0x01,  # alert policy number 1
            SEVERITY_CRITICAL,
            0xFF,  # generator ID: any
            0xFF,
            sensor_type,
            0xFF,  # any sensor number
            0xFF,  # any event/reading type
            0xFF,  # event data 1 offset mask: every offset
            0xFF,
            0x00,  # event data 1: AND mask, compare 1, compare 2 (match anything)
            0x00,
            0x00,
            0x00,  # event data 2
            0x00,
            0x00,
            0x00,  # event data 3
            0x00,
            0x00,
        ]
    )


class PefConfiguration:
    """The PEF configuration parameters of one BMC (see the module docstring)."""

    def __init__(self) -> None:
        self.set_in_progress = 0
        self.control = 0x01  # PEF enabled, no event messages for PEF actions, no startup delays
        self.action_control = 0x01  # alert action enabled globally
        self.startup_delay = 60
        self.alert_startup_delay = 60
        self.filters: list[bytearray] = [
            bytearray(preconfigured_filter(PRECONFIGURED_SENSOR_TYPES[n]))
            if n < len(PRECONFIGURED_SENSOR_TYPES)
            else bytearray(FILTER_LENGTH)
            for n in range(EVENT_FILTERS)
        ]
        # entry N: policy N, always send to LAN channel 1 destination 0 once enabled; all start disabled
        self.policies: list[bytearray] = [bytearray([(n + 1) << 4, 0x10, 0x00]) for n in range(ALERT_POLICIES)]
        self.system_guid = bytes(17)  # bit 0 of byte 1 clear: use the Get System GUID value
        self.string_keys: list[bytearray] = [bytearray(2) for _ in range(ALERT_STRINGS + 1)]
        self.strings: list[bytearray] = [bytearray(16 * ALERT_STRING_BLOCKS) for _ in range(ALERT_STRINGS + 1)]
        self.postpone_timer = 0
        self.last_processed = {"software": 0x0000, "bmc": 0xFFFF}

    # ------------------------------------------------------------------ get

    def get(self, param: int, selector: int, block: int) -> bytes:
        """Parameter data (after the revision byte) for Get PEF Configuration Parameters."""
        if param == SET_IN_PROGRESS:
            return bytes([self.set_in_progress])
        if param == CONTROL:
            return bytes([self.control])
        if param == ACTION_CONTROL:
            return bytes([self.action_control])
        if param == STARTUP_DELAY:
            return bytes([self.startup_delay])
        if param == ALERT_STARTUP_DELAY:
            return bytes([self.alert_startup_delay])
        if param == FILTER_COUNT:
            return bytes([EVENT_FILTERS])
        if param == FILTER_TABLE:
            return bytes([selector]) + bytes(self.filters[self._filter(selector)])
        if param == FILTER_DATA1:
            return bytes([selector, self.filters[self._filter(selector)][0]])
        if param == POLICY_COUNT:
            return bytes([ALERT_POLICIES])
        if param == POLICY_TABLE:
            return bytes([selector]) + bytes(self.policies[self._policy(selector)])
        if param == SYSTEM_GUID:
            return self.system_guid
        if param == STRING_COUNT:
            return bytes([ALERT_STRINGS])
        if param == STRING_KEYS:
            return bytes([selector]) + bytes(self.string_keys[self._string(selector)])
        if param == STRINGS:
            text = self.strings[self._string(selector)]
            if not 1 <= block <= ALERT_STRING_BLOCKS:
                raise ParameterOutOfRange(f"alert string block {block} (1..{ALERT_STRING_BLOCKS})")
            return bytes([selector, block]) + bytes(text[(block - 1) * 16 : block * 16])
        raise ParameterNotSupported(f"PEF parameter {param}")

    # ------------------------------------------------------------------ set

    def set(self, param: int, data: bytes) -> None:
        """Store a parameter from Set PEF Configuration Parameters (``data`` after the parameter byte)."""
        if param in READ_ONLY:
            raise CommandSpecific(0x82, f"PEF parameter {param} is read-only")
        scalar = {SET_IN_PROGRESS, CONTROL, ACTION_CONTROL, STARTUP_DELAY, ALERT_STARTUP_DELAY}
        if param in scalar:
            self._length(param, data, 1)
            value = data[0]
            if param == SET_IN_PROGRESS:
                if value & 0x03 == 0x03:
                    raise CommandSpecific(0x80, "reserved set-in-progress value")
                if value & 0x03 == 0x01 and self.set_in_progress & 0x03 == 0x01:
                    raise CommandSpecific(0x81, "set already in progress")
                self.set_in_progress = value & 0x03
            elif param == CONTROL:
                self.control = value & 0x0F
            elif param == ACTION_CONTROL:
                self.action_control = value & 0x3F
            elif param == STARTUP_DELAY:
                self.startup_delay = value
            else:
                self.alert_startup_delay = value
        elif param == FILTER_TABLE:
            self._length(param, data, 1 + FILTER_LENGTH)
            self.filters[self._filter(data[0])][:] = data[1:]
        elif param == FILTER_DATA1:
            self._length(param, data, 2)
            self.filters[self._filter(data[0])][0] = data[1]
        elif param == POLICY_TABLE:
            self._length(param, data, 4)
            self.policies[self._policy(data[0])][:] = data[1:]
        elif param == SYSTEM_GUID:
            self._length(param, data, 17)
            self.system_guid = bytes(data)
        elif param == STRING_KEYS:
            self._length(param, data, 3)
            self.string_keys[self._string(data[0])][:] = data[1:]
        elif param == STRINGS:
            self._set_string(data)
        else:
            raise ParameterNotSupported(f"PEF parameter {param}")

    def _set_string(self, data: bytes) -> None:
        if len(data) < 3 or len(data) > 18:
            raise RequestDataLengthInvalid("alert string block: selector, block and 1..16 bytes")
        text = self.strings[self._string(data[0])]
        block = data[1]
        if not 1 <= block <= ALERT_STRING_BLOCKS:
            raise ParameterOutOfRange(f"alert string block {block} (1..{ALERT_STRING_BLOCKS})")
        chunk = bytes(data[2:]).ljust(16, b"\0")
        text[(block - 1) * 16 : block * 16] = chunk

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _length(param: int, data: bytes, wanted: int) -> None:
        if len(data) != wanted:
            raise RequestDataLengthInvalid(f"PEF parameter {param} takes {wanted} bytes, not {len(data)}")

    @staticmethod
    def _filter(selector: int) -> int:
        number = selector & 0x7F
        if not 1 <= number <= EVENT_FILTERS:
            raise ParameterOutOfRange(f"event filter {number} (1..{EVENT_FILTERS})")
        return number - 1

    @staticmethod
    def _policy(selector: int) -> int:
        number = selector & 0x7F
        if not 1 <= number <= ALERT_POLICIES:
            raise ParameterOutOfRange(f"alert policy entry {number} (1..{ALERT_POLICIES})")
        return number - 1

    @staticmethod
    def _string(selector: int) -> int:
        number = selector & 0x7F
        if number > ALERT_STRINGS:
            raise ParameterOutOfRange(f"alert string {number} (0..{ALERT_STRINGS})")
        return number
