"""User commands (netfn 0x06): Get/Set User Access, Get/Set User Name, Set User
Password (set, test, enable, disable; 16- and 20-byte forms).

They change the shared :class:`~bmc_sim.users.UserStore`, which the session
layer authenticates against, so ``user set name 6 foo`` + ``user set password
6 bar`` + ``user enable 6`` + ``channel setaccess ...`` make a usable login.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bmc_sim.commands.registry import command
from bmc_sim.config import Privilege
from bmc_sim.errors import CommandSpecific, InvalidDataField, RequestDataLengthInvalid
from bmc_sim.message import RequestContext
from bmc_sim.users import NAME_LENGTH, PASSWORD_LENGTH, User

if TYPE_CHECKING:
    from bmc_sim.device import Bmc

APP = 0x06
OP_DISABLE, OP_ENABLE, OP_SET, OP_TEST = 0, 1, 2, 3
SHORT_PASSWORD = 16
VALID_PRIVILEGES = {int(p) for p in Privilege}


def _user(bmc: Bmc, user_id: int) -> User:
    if not 1 <= user_id <= bmc.users.max_users:
        raise InvalidDataField(f"user ID {user_id}")
    return bmc.users.get(user_id)


@command(netfn=APP, cmd=0x44, name="app.get_user_access", privilege=Privilege.OPERATOR, min_len=2, max_len=2)
def get_user_access(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    channel = bmc.channels.resolve_lan(data[0], ctx)
    user = _user(bmc, data[1] & 0x3F)
    access = user.channel_access(channel)
    store = bmc.users
    status = 0x40 if user.enabled else 0x80
    byte4 = (
        (0 if access.callin else 0x40)
        | (0x20 if access.link_auth else 0)
        | (0x10 if access.ipmi_messaging else 0)
        | (int(access.privilege) & 0x0F)
    )
    return bytes(
        [
            store.max_users & 0x3F,
            status | (store.enabled_count() & 0x3F),
            store.fixed_name_count() & 0x3F,
            byte4,
        ]
    )


@command(netfn=APP, cmd=0x43, name="app.set_user_access", privilege=Privilege.ADMINISTRATOR, min_len=3, max_len=4)
def set_user_access(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    channel = bmc.channels.resolve_lan(data[0], ctx)
    user = _user(bmc, data[1] & 0x3F)
    privilege = data[2] & 0x0F
    if privilege not in VALID_PRIVILEGES:
        raise InvalidDataField(f"privilege {privilege}")
    access = user.channel_access(channel)
    if data[0] & 0x80:
        access.callin = not data[0] & 0x40
        access.link_auth = bool(data[0] & 0x20)
        access.ipmi_messaging = bool(data[0] & 0x10)
    access.privilege = Privilege(privilege)
    return b""


@command(netfn=APP, cmd=0x46, name="app.get_user_name", privilege=Privilege.OPERATOR, min_len=1, max_len=1)
def get_user_name(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    user = _user(bmc, data[0] & 0x3F)
    return user.name[:NAME_LENGTH].ljust(NAME_LENGTH, b"\x00")


@command(
    netfn=APP,
    cmd=0x45,
    name="app.set_user_name",
    privilege=Privilege.ADMINISTRATOR,
    min_len=1 + NAME_LENGTH,
    max_len=1 + NAME_LENGTH,
)
def set_user_name(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    user = _user(bmc, data[0] & 0x3F)
    name = data[1:].split(b"\x00", 1)[0]
    if name:
        other = bmc.users.find_by_name(name)
        if other is not None and other.user_id != user.user_id:
            raise InvalidDataField("user name already in use")
    user.name = name
    return b""


@command(
    netfn=APP,
    cmd=0x47,
    name="app.set_user_password",
    privilege=Privilege.ADMINISTRATOR,
    min_len=2,
    max_len=2 + PASSWORD_LENGTH,
)
def set_user_password(bmc: Bmc, data: bytes, ctx: RequestContext) -> bytes:
    user = _user(bmc, data[0] & 0x3F)
    twenty = bool(data[0] & 0x80)
    operation = data[1] & 0x03
    size = PASSWORD_LENGTH if twenty else SHORT_PASSWORD
    if operation in (OP_SET, OP_TEST) and len(data) != 2 + size:
        raise RequestDataLengthInvalid(f"password must be {size} bytes")
    if operation in (OP_DISABLE, OP_ENABLE) and len(data) not in (2, 2 + size):
        raise RequestDataLengthInvalid("enable/disable takes no password or a padded one")
    password = data[2:].rstrip(b"\x00")
    if operation == OP_DISABLE:
        user.enabled = False
    elif operation == OP_ENABLE:
        user.enabled = True
    elif operation == OP_SET:
        user.password = password
    else:
        if not twenty and len(user.password) > SHORT_PASSWORD:
            raise CommandSpecific(0x81, "password test failed: wrong password size")
        if password != user.password:
            raise CommandSpecific(0x80, "password test failed")
    return b""
