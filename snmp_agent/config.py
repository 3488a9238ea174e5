"""Agent configuration and the records an agent reports.

Plain frozen dataclasses, validated on construction, with no pysnmp imports so
that simulators and the rack spec can build them cheaply.  The mapping of
protocol names to pysnmp identifiers lives in :mod:`snmp_agent.hub`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

Access = Literal["ro", "rw"]
Version = Literal["v1", "v2c", "v3"]
Operation = Literal["get", "getnext", "getbulk", "set"]

ALL_VERSIONS: frozenset[str] = frozenset({"v1", "v2c", "v3"})
AUTH_PROTOCOLS = ("none", "md5", "sha", "sha224", "sha256", "sha384", "sha512")
#: ``aes192``/``aes256`` are the Blumenthal draft (net-snmp's AES-192/AES-256);
#: ``aes192c``/``aes256c`` the Reeder key extension used by Cisco and others.
PRIV_PROTOCOLS = ("none", "des", "3des", "aes", "aes192", "aes256", "aes192c", "aes256c")


class Clock(Protocol):
    """The part of ``twisted.internet.interfaces.IReactorTime`` the agent uses."""

    def seconds(self) -> float: ...


class AgentConfigError(ValueError):
    """An agent was configured with values it cannot serve."""


class AgentBindError(OSError):
    """The agent's UDP address could not be bound; the message names device and address."""

    def __str__(self) -> str:
        return str(self.strerror if self.strerror is not None else super().__str__())


@dataclass(frozen=True)
class CommunityConfig:
    """An SNMPv1/v2c community and what it may do (``ro``: read; ``rw``: read and SET)."""

    name: str
    access: Access = "ro"

    def __post_init__(self) -> None:
        if not self.name:
            raise AgentConfigError("a community name must not be empty")
        if self.access not in ("ro", "rw"):
            raise AgentConfigError(f"community access must be 'ro' or 'rw', not {self.access!r}")

    @classmethod
    def parse(cls, text: str) -> CommunityConfig:
        """Parse ``"public:ro"`` / ``"private:rw"`` (access defaults to ``ro``)."""
        name, sep, access = text.rpartition(":")
        if not sep:
            return cls(text, "ro")
        if access == "ro":
            return cls(name, "ro")
        if access == "rw":
            return cls(name, "rw")
        raise AgentConfigError(f"bad community {text!r}: expected NAME[:ro|rw]")


@dataclass(frozen=True)
class UsmUserConfig:
    """An SNMPv3 USM user.  Keys are pass phrases (at least 8 characters, as RFC 3414 asks).

    ``auth_protocol="none"`` gives a noAuthNoPriv user; ``priv_protocol="none"``
    an authNoPriv one.  Requests must use at least the user's security level.
    Keys are excluded from ``repr`` so they cannot leak into logs.
    """

    name: str
    auth_protocol: str = "sha"
    auth_key: str = field(default="", repr=False)
    priv_protocol: str = "aes"
    priv_key: str = field(default="", repr=False)
    access: Access = "ro"

    def __post_init__(self) -> None:
        if not self.name:
            raise AgentConfigError("a v3 user name must not be empty")
        if self.auth_protocol not in AUTH_PROTOCOLS:
            raise AgentConfigError(f"user {self.name}: auth protocol must be one of {AUTH_PROTOCOLS}")
        if self.priv_protocol not in PRIV_PROTOCOLS:
            raise AgentConfigError(f"user {self.name}: priv protocol must be one of {PRIV_PROTOCOLS}")
        if self.access not in ("ro", "rw"):
            raise AgentConfigError(f"user {self.name}: access must be 'ro' or 'rw'")
        if self.auth_protocol == "none" and self.priv_protocol != "none":
            raise AgentConfigError(f"user {self.name}: privacy needs authentication")
        if self.auth_protocol != "none" and len(self.auth_key) < 8:
            raise AgentConfigError(f"user {self.name}: the auth key needs at least 8 characters")
        if self.priv_protocol != "none" and len(self.priv_key) < 8:
            raise AgentConfigError(f"user {self.name}: the priv key needs at least 8 characters")

    @property
    def security_level(self) -> int:
        """1 noAuthNoPriv, 2 authNoPriv, 3 authPriv (the numbering pysnmp uses)."""
        if self.auth_protocol == "none":
            return 1
        return 2 if self.priv_protocol == "none" else 3


@dataclass(frozen=True)
class SnmpRecord:
    """One management request an agent handled (for the rack's event journal).

    ``oids`` are the request OIDs for get/set and the returned OIDs for
    getnext/getbulk; ``values`` holds the written values of a SET (secret
    objects appear as ``"<redacted>"``) and is empty for reads.  ``principal``
    is the community name (v1/v2c) or the USM user name (v3); keys never
    appear.  ``error_status`` is the SNMP error-status name (``noError`` when
    the request succeeded).
    """

    time: float
    device: str
    peer: str
    operation: Operation
    oids: tuple[str, ...]
    values: tuple[str, ...]
    error_status: str
    principal: str
    version: Version
    error_index: int = 0


@dataclass
class AgentStats:
    """Packet counters of one agent.

    ``malformed``: datagrams dropped because they could not be decoded (of
    which ``errors`` made pysnmp raise instead of counting a parse error);
    ``dropped``: datagrams that got no answer at all (malformed, unknown
    community, disabled version, ...); ``fast_answered``: the answered ones
    that the fast path (:mod:`snmp_agent.fastpath`) answered without pysnmp.
    """

    received: int = 0
    answered: int = 0
    malformed: int = 0
    errors: int = 0
    fast_answered: int = 0

    @property
    def dropped(self) -> int:
        return max(self.received - self.answered, 0)
