"""Redfish resources, one module per subtree; :data:`ALL_ROUTES` is what a BMC serves."""

from __future__ import annotations

import functools
from typing import Any

from redfish_sim.errors import RedfishError, not_found, type_error
from redfish_sim.routing import Call, Route

V1 = "/redfish/v1"


def ref(path: str) -> dict[str, str]:
    return {"@odata.id": path}


def resource(path: str, odata_type: str, name: str, ident: str | None = None, **props: Any) -> dict[str, Any]:
    """A resource body with its ``@odata`` annotations (``Id`` defaults to the last path segment)."""
    schema = odata_type.lstrip("#").split(".")[0]
    body: dict[str, Any] = {
        "@odata.id": path,
        "@odata.type": odata_type,
        "@odata.context": f"{V1}/$metadata#{schema}.{schema}",
        "Id": ident if ident is not None else path.rsplit("/", 1)[-1],
        "Name": name,
    }
    body.update(props)
    return body


def collection(path: str, odata_type: str, name: str, members: list[str]) -> dict[str, Any]:
    schema = odata_type.lstrip("#").split(".")[0]
    return {
        "@odata.id": path,
        "@odata.type": odata_type,
        "@odata.context": f"{V1}/$metadata#{schema}.{schema}",
        "Name": name,
        "Members@odata.count": len(members),
        "Members": [ref(m) for m in members],
    }


def status(health: str = "OK", state: str = "Enabled") -> dict[str, str]:
    return {"State": state, "Health": health}


def check_id(call: Call, key: str, expected: str) -> None:
    if call.params[key] != expected:
        raise not_found(call.path)


def check_keys(body: dict[str, Any], writable: set[str], readable: set[str] | None = None, where: str = "") -> None:
    """Refuse unknown (PropertyUnknown) and read-only (PropertyNotWritable) properties of a PATCH or POST."""
    for key in body:
        if key.startswith("@"):
            continue
        if key not in writable:
            if readable is not None and key in readable:
                raise RedfishError(400, "PropertyNotWritable", f"{where}{key}")
            raise RedfishError(
                400, "PropertyUnknown", f"{where}{key}", note=f"Writable: {', '.join(sorted(writable))}."
            )


def string(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise type_error(value if key != "Password" else "(hidden)", key, "a string")
    return value


def boolean(body: dict[str, Any], key: str) -> bool | None:
    value = body.get(key)
    if value is not None and not isinstance(value, bool):
        raise type_error(value, key, "true or false")
    return value


@functools.cache
def all_routes() -> tuple[Route, ...]:
    """Every route, built once and shared by all BMCs of the process (routes hold no state)."""
    from redfish_sim.resources import (
        accounts,
        bios,
        chassis,
        events,
        managers,
        registries,
        root,
        systems,
        virtual_media,
    )

    return (
        *root.ROUTES,
        *systems.ROUTES,
        *bios.ROUTES,
        *registries.ROUTES,
        *chassis.ROUTES,
        *managers.ROUTES,
        *accounts.ROUTES,
        *events.ROUTES,
        *virtual_media.ROUTES,
    )
