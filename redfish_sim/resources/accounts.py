"""AccountService (the BMC's user slots, shared with IPMI) and SessionService (X-Auth-Token sessions)."""

from __future__ import annotations

from redfish_sim.device import ROLES, Account, DeviceConflict
from redfish_sim.errors import RedfishError, not_found, not_in_list
from redfish_sim.resources import V1, boolean, check_keys, collection, ref, resource, status, string
from redfish_sim.routing import ROLE_PRIVILEGES, Call, Reply, route
from redfish_sim.sessions import MAX_TIMEOUT, MIN_TIMEOUT, Session

ACCOUNT_SERVICE = f"{V1}/AccountService"
ACCOUNTS = f"{ACCOUNT_SERVICE}/Accounts"
ROLES_PATH = f"{ACCOUNT_SERVICE}/Roles"
SESSION_SERVICE = f"{V1}/SessionService"
SESSIONS = f"{SESSION_SERVICE}/Sessions"
ACCOUNT_FIELDS = {"UserName", "Password", "RoleId", "Enabled"}


def _can(call: Call, privilege: str) -> bool:
    return call.account is not None and privilege in ROLE_PRIVILEGES.get(call.account.role, frozenset())


def account_service(call: Call) -> Reply:
    return Reply(
        body=resource(
            ACCOUNT_SERVICE,
            "#AccountService.v1_8_0.AccountService",
            "Account Service",
            ident="AccountService",
            ServiceEnabled=True,
            MinPasswordLength=1,
            MaxPasswordLength=call.device.max_password_length,
            AuthFailureLoggingThreshold=3,
            AccountLockoutThreshold=0,
            Status=status(),
            Accounts=ref(ACCOUNTS),
            Roles=ref(ROLES_PATH),
        )
    )


def accounts(call: Call) -> Reply:
    shown = [a for a in call.device.accounts() if _can(call, "ConfigureUsers") or a == call.account]
    return Reply(
        body=collection(
            ACCOUNTS,
            "#ManagerAccountCollection.ManagerAccountCollection",
            "Accounts",
            [f"{ACCOUNTS}/{a.slot}" for a in shown],
        )
    )


def _account_body(account: Account) -> dict[str, object]:
    return resource(
        f"{ACCOUNTS}/{account.slot}",
        "#ManagerAccount.v1_7_0.ManagerAccount",
        "User Account",
        UserName=account.name,
        RoleId=account.role,
        Enabled=account.enabled,
        Locked=False,
        Password=None,
        AccountTypes=["Redfish", "IPMI"],
        Links={"Role": ref(f"{ROLES_PATH}/{account.role}")},
    )


def _find(call: Call) -> Account:
    found = next((a for a in call.device.accounts() if str(a.slot) == call.params["account"]), None)
    if found is None:
        raise not_found(call.path)
    if found != call.account and not _can(call, "ConfigureUsers"):
        raise RedfishError(403, "InsufficientPrivilege", note="Only an administrator may see other accounts.")
    return found


def account(call: Call) -> Reply:
    return Reply(body=_account_body(_find(call)))


def _fields(call: Call) -> tuple[str | None, str | None, str | None, bool | None]:
    body = call.body
    check_keys(body, ACCOUNT_FIELDS, {"Id", "Name", "Locked", "AccountTypes", "Links"})
    role = string(body, "RoleId")
    if role is not None and role not in ROLES:
        raise not_in_list(role, "RoleId", ROLES)
    name, password = string(body, "UserName"), string(body, "Password")
    if name is not None and (not name or len(name.encode()) > 16):
        raise RedfishError(400, "StringValueTooLong", "UserName", 16, note="A user name has 1 to 16 bytes.")
    limit = call.device.max_password_length
    if password is not None and (not password or len(password.encode()) > limit):
        raise RedfishError(400, "StringValueTooLong", "Password", limit, note=f"A password has 1 to {limit} bytes.")
    return name, password, role, boolean(body, "Enabled")


def create_account(call: Call) -> Reply:
    name, password, role, enabled = _fields(call)
    for key, value in (("UserName", name), ("Password", password)):
        if value is None:
            raise RedfishError(400, "PropertyMissing", key)
    assert name is not None and password is not None
    if any(a.name == name for a in call.device.accounts()):
        raise RedfishError(409, "ResourceAlreadyExists", "ManagerAccount", "UserName", name)
    try:
        created = call.device.create_account(name, password, role or "ReadOnly", True if enabled is None else enabled)
    except DeviceConflict as exc:
        raise RedfishError(400, "CreateLimitReachedForResource", note=str(exc)) from None
    return Reply(201, _account_body(created), {"Location": f"{ACCOUNTS}/{created.slot}"})


def patch_account(call: Call) -> Reply:
    found = _find(call)
    name, password, role, enabled = _fields(call)
    own = found == call.account
    if (name is not None or role is not None or enabled is not None or not own) and not _can(call, "ConfigureUsers"):
        raise RedfishError(
            403,
            "InsufficientPrivilege",
            note="Only an administrator may change user names, roles "
            "and other accounts; others may change their own password.",
        )
    if name is not None and name != found.name and any(a.name == name for a in call.device.accounts()):
        raise RedfishError(409, "ResourceAlreadyExists", "ManagerAccount", "UserName", name)
    updated = call.device.update_account(found.slot, name=name, password=password, role=role, enabled=enabled)
    if name is not None or enabled is False:
        call.service.sessions.drop_slot(found.slot)
    return Reply(body=_account_body(updated))


def delete_account(call: Call) -> Reply:
    found = _find(call)
    call.device.delete_account(found.slot)
    call.service.sessions.drop_slot(found.slot)
    return Reply(204)


def roles(call: Call) -> Reply:
    return Reply(
        body=collection(ROLES_PATH, "#RoleCollection.RoleCollection", "Roles", [f"{ROLES_PATH}/{r}" for r in ROLES])
    )


def role(call: Call) -> Reply:
    name = call.params["role"]
    if name not in ROLES:
        raise not_found(call.path)
    return Reply(
        body=resource(
            f"{ROLES_PATH}/{name}",
            "#Role.v1_3_0.Role",
            f"{name} Role",
            RoleId=name,
            IsPredefined=True,
            AssignedPrivileges=sorted(ROLE_PRIVILEGES[name]),
        )
    )


def session_service(call: Call) -> Reply:
    sessions = call.service.sessions
    return Reply(
        body=resource(
            SESSION_SERVICE,
            "#SessionService.v1_1_8.SessionService",
            "Session Service",
            ident="SessionService",
            ServiceEnabled=True,
            SessionTimeout=int(sessions.timeout),
            Status=status(),
            Sessions=ref(SESSIONS),
        )
    )


def patch_session_service(call: Call) -> Reply:
    check_keys(call.body, {"SessionTimeout"}, {"ServiceEnabled", "Id", "Name", "Sessions", "Status"})
    timeout = call.body.get("SessionTimeout")
    if timeout is not None:
        if not isinstance(timeout, int) or isinstance(timeout, bool) or not MIN_TIMEOUT <= timeout <= MAX_TIMEOUT:
            raise RedfishError(
                400,
                "PropertyValueNotInList",
                timeout,
                "SessionTimeout",
                note=f"Valid values: {MIN_TIMEOUT} to {MAX_TIMEOUT} seconds.",
            )
        call.service.sessions.timeout = float(timeout)
    return session_service(call)


def _session_body(session: Session) -> dict[str, object]:
    return resource(
        f"{SESSIONS}/{session.session_id}",
        "#Session.v1_3_0.Session",
        "User Session",
        UserName=session.user,
        SessionType="Redfish",
    )


def sessions(call: Call) -> Reply:
    shown = [s for s in call.service.sessions if _can(call, "ConfigureUsers") or s.session_id == call.session_id]
    return Reply(
        body=collection(
            SESSIONS,
            "#SessionCollection.SessionCollection",
            "Session Collection",
            [f"{SESSIONS}/{s.session_id}" for s in shown],
        )
    )


def login(call: Call) -> Reply:
    """POST Sessions ``{"UserName", "Password"}``: 201, the token in ``X-Auth-Token``, the session in Location."""
    check_keys(call.body, {"UserName", "Password"})
    name, password = string(call.body, "UserName"), string(call.body, "Password")
    for key, value in (("UserName", name), ("Password", password)):
        if value is None:
            raise RedfishError(400, "PropertyMissing", key)
    assert name is not None and password is not None
    found = call.device.authenticate(name, password)
    if found is None:
        raise RedfishError(401, "NoValidSession", note="The user name or password is wrong.", outcome="bad-credentials")
    store = call.service.sessions
    if store.full():
        raise RedfishError(503, "SessionLimitExceeded", note=f"At most {store.limit} sessions at once.")
    session = store.create(found.name, found.slot)
    call.account = found
    return Reply(
        201, _session_body(session), {"X-Auth-Token": session.token, "Location": f"{SESSIONS}/{session.session_id}"}
    )


def _session(call: Call) -> Session:
    found = call.service.sessions.get(call.params["session"])
    if found is None:
        raise not_found(call.path)
    if found.session_id != call.session_id and not _can(call, "ConfigureUsers"):
        raise RedfishError(403, "InsufficientPrivilege", note="Only an administrator may see other sessions.")
    return found


def session(call: Call) -> Reply:
    return Reply(body=_session_body(_session(call)))


def logout(call: Call) -> Reply:
    call.service.sessions.delete(_session(call).session_id)
    return Reply(204)


ROUTES = [
    route(f"{SESSIONS}/Members", "sessions", POST=(login, "Login")),  # DSP0266: POST to a collection's Members
    route(f"{ACCOUNTS}/Members", "accounts", POST=(create_account, "ConfigureUsers")),
    route(ACCOUNT_SERVICE, "account-service", GET=(account_service, "Login")),
    route(ACCOUNTS, "accounts", GET=(accounts, "Login"), POST=(create_account, "ConfigureUsers")),
    route(
        f"{ACCOUNTS}/{{account}}",
        "account",
        GET=(account, "Login"),
        PATCH=(patch_account, "ConfigureSelf"),
        DELETE=(delete_account, "ConfigureUsers"),
    ),
    route(ROLES_PATH, "roles", GET=(roles, "Login")),
    route(f"{ROLES_PATH}/{{role}}", "role", GET=(role, "Login")),
    route(
        SESSION_SERVICE,
        "session-service",
        GET=(session_service, "Login"),
        PATCH=(patch_session_service, "ConfigureManager"),
    ),
    route(SESSIONS, "sessions", GET=(sessions, "Login"), POST=(login, "Login")),
    route(f"{SESSIONS}/{{session}}", "session", GET=(session, "Login"), DELETE=(logout, "Login")),
]
