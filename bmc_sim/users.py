"""The BMC's user table (IPMI 2.0 section 22.26-22.30).

Shared by the session layer (which authenticates against it) and the device
(whose ``user set``/``user enable``/``channel setaccess`` commands change it).
Names and passwords are kept as the raw bytes IPMI compares: names up to 16
bytes, passwords up to 20 bytes (IPMI 2.0) and zero padded on the wire.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from bmc_sim.config import Privilege, UserConfig

NAME_LENGTH = 16
PASSWORD_LENGTH = 20


@dataclass
class ChannelAccess:
    """Per-channel access of one user (Set/Get User Access)."""

    privilege: Privilege = Privilege.NO_ACCESS
    callin: bool = True
    link_auth: bool = False
    ipmi_messaging: bool = False


@dataclass
class User:
    """One user slot.  An empty slot has ``name == b""`` and is disabled."""

    user_id: int
    name: bytes = b""
    password: bytes = b""
    enabled: bool = False
    access: dict[int, ChannelAccess] = field(default_factory=dict)

    def channel_access(self, channel: int) -> ChannelAccess:
        """Return (creating if needed) this user's access on ``channel``."""
        found = self.access.get(channel)
        if found is None:
            found = self.access[channel] = ChannelAccess()
        return found

    def privilege_limit(self, channel: int) -> Privilege:
        """Highest privilege this user may take on ``channel``."""
        return self.channel_access(channel).privilege

    def padded_password(self, length: int = PASSWORD_LENGTH) -> bytes:
        """The password zero padded to ``length`` bytes, as used in auth codes."""
        return self.password[:length].ljust(length, b"\x00")


class UserStore:
    """User slots 1..``max_users``; slot 1 is the null (anonymous) user.

    A slot nobody configured or touched is empty and disabled, and exists only once something asks for it
    (:meth:`get`, iteration): a BMC keeps the users it has, not 15 empty ones (issue 17, racks of 100,000).
    Lookups that only care for named or enabled users (:meth:`find_by_name`, :meth:`enabled_users`) never
    create one.
    """

    def __init__(self, max_users: int = 15) -> None:
        self.max_users = max_users
        self._users: dict[int, User] = {}

    @classmethod
    def from_config(cls, users: tuple[UserConfig, ...], channel: int, max_users: int = 15) -> UserStore:
        """Build the table from configured users, granting them ``channel`` access."""
        store = cls(max_users)
        for cfg in users:
            user = store.get(cfg.user_id)
            user.name = cfg.name.encode()[:NAME_LENGTH]
            user.password = cfg.password.encode()[:PASSWORD_LENGTH]
            user.enabled = cfg.enabled
            access = user.channel_access(channel)
            access.privilege = cfg.privilege
            access.link_auth = True
            access.ipmi_messaging = True
        return store

    def get(self, user_id: int) -> User:
        """Return slot ``user_id``; raises ``KeyError`` outside 1..max_users."""
        user = self._users.get(user_id)
        if user is None:
            if not 1 <= user_id <= self.max_users:
                raise KeyError(user_id)
            user = self._users[user_id] = User(user_id)
        return user

    def __iter__(self) -> Iterator[User]:
        """Every slot in order (callers may change what they get)."""
        return (self.get(uid) for uid in range(1, self.max_users + 1))

    def enabled_users(self) -> list[User]:
        """The enabled slots, in order (an untouched slot is never enabled)."""
        return [self._users[uid] for uid in sorted(self._users) if self._users[uid].enabled]

    def find_by_name(self, name: bytes) -> User | None:
        """Return the enabled-or-not slot whose name is exactly ``name``.

        An empty ``name`` selects the null user (slot 1) only if that slot has
        an empty name and a password set, which only the spec can arrange.
        """
        for uid in sorted(self._users):  # an untouched slot has no name and no password
            user = self._users[uid]
            if user.name == name and (name or user.password):
                return user
        return None

    def enabled_count(self) -> int:
        return sum(1 for u in self._users.values() if u.enabled)

    def fixed_name_count(self) -> int:
        """Slots with fixed names: none here, every name is settable."""
        return 0
