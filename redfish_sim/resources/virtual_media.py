"""VirtualMedia of the Manager: a CD/DVD slot whose image URL can be inserted and ejected (InsertMedia,
EjectMedia, or PATCH of Image/Inserted as older clients do).  The BMC only records the image: nothing downloads
it here: whoever composes the BMC onto a host watches the slot (``RedfishService.media_watchers``, told after
every change) or reads it when the host boots."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from redfish_sim.errors import RedfishError, not_found
from redfish_sim.resources import V1, boolean, check_id, check_keys, collection, resource, string
from redfish_sim.routing import Call, Reply, route

INSERT, EJECT = "VirtualMedia.InsertMedia", "VirtualMedia.EjectMedia"
SLOT = "CD"


def _base(call: Call) -> str:
    check_id(call, "manager", call.device.identity.manager_id)
    return f"{V1}/Managers/{call.device.identity.manager_id}/VirtualMedia"


def media_collection(call: Call) -> Reply:
    base = _base(call)
    return Reply(
        body=collection(base, "#VirtualMediaCollection.VirtualMediaCollection", "Virtual Media", [f"{base}/{SLOT}"])
    )


def _slot(call: Call) -> str:
    base = _base(call)
    if call.params["media"] != SLOT:
        raise not_found(call.path)
    return f"{base}/{SLOT}"


def media(call: Call) -> Reply:
    path = _slot(call)
    state = call.service.virtual_media
    image = state.get("Image")
    body = resource(
        path,
        "#VirtualMedia.v1_3_0.VirtualMedia",
        "Virtual CD",
        MediaTypes=["CD", "DVD"],
        Image=image,
        ImageName=urlsplit(image).path.rsplit("/", 1)[-1] if image else None,
        Inserted=bool(state.get("Inserted")),
        WriteProtected=bool(state.get("WriteProtected", True)),
        ConnectedVia="URI" if state.get("Inserted") else "NotConnected",
        TransferProtocolType=(urlsplit(image).scheme.upper() if image else None),
        Actions={
            f"#{INSERT}": {"target": f"{path}/Actions/{INSERT}"},
            f"#{EJECT}": {"target": f"{path}/Actions/{EJECT}"},
        },
    )
    return Reply(body=body)


def _image(body: dict[str, Any], key: str = "Image") -> str:
    image = string(body, key)
    if image is None:
        raise RedfishError(400, "ActionParameterMissing", INSERT, key)
    if urlsplit(image).scheme not in ("http", "https", "nfs", "cifs") or not urlsplit(image).netloc:
        raise RedfishError(400, "PropertyValueFormatError", image, key, note="Use an http(s), nfs or cifs URL.")
    return image


def insert(call: Call) -> Reply:
    _slot(call)
    check_keys(
        call.body,
        {"Image", "Inserted", "WriteProtected", "TransferProtocolType", "TransferMethod", "UserName", "Password"},
    )
    state = call.service.virtual_media
    if state.get("Inserted"):
        raise RedfishError(409, "ResourceInUse", note="Media is already inserted; eject it first.")
    image = _image(call.body)
    write_protected = boolean(call.body, "WriteProtected")
    inserted = boolean(call.body, "Inserted")
    state.clear()
    state.update(
        Image=image,
        Inserted=True if inserted is None else inserted,
        WriteProtected=True if write_protected is None else write_protected,
    )
    call.service.media_changed()
    return Reply(204)


def eject(call: Call) -> Reply:
    _slot(call)
    call.service.virtual_media.clear()
    call.service.media_changed()
    return Reply(204)


def patch_media(call: Call) -> Reply:
    _slot(call)
    check_keys(call.body, {"Image", "Inserted", "WriteProtected"}, {"MediaTypes", "ConnectedVia", "ImageName"})
    state = call.service.virtual_media
    if "Image" in call.body:
        if call.body["Image"] in (None, ""):
            state.clear()
        else:
            state["Image"] = _image(call.body)
            state.setdefault("Inserted", True)
    for key in ("Inserted", "WriteProtected"):
        value = boolean(call.body, key)
        if value is not None:
            state[key] = value
    call.service.media_changed()
    return media(call)


M = f"{V1}/Managers/{{manager}}/VirtualMedia"
ROUTES = [
    route(M, "virtual-media", GET=(media_collection, "Login")),
    route(f"{M}/{{media}}", "virtual-media", GET=(media, "Login"), PATCH=(patch_media, "ConfigureComponents")),
    route(f"{M}/{{media}}/Actions/{INSERT}", "virtual-media.insert", POST=(insert, "ConfigureComponents")),
    route(f"{M}/{{media}}/Actions/{EJECT}", "virtual-media.eject", POST=(eject, "ConfigureComponents")),
]
