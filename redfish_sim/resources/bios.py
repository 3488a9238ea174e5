"""A System's BIOS: ``/Bios`` (the attributes in effect, ``@Redfish.Settings``, ``Bios.ResetBios``) and
``/Bios/Settings`` (the pending attributes; PATCH stages changes for the next host boot).

Changes are checked against the device's attribute registry; a refusal is a Base message naming
``Attributes/<Name>`` and what is valid, and stages nothing.  Only ``OnReset`` is a supported apply time:
like a real BMC, pending settings take effect when the host next powers on or resets.
"""

from __future__ import annotations

from redfish_sim.bios import BiosValueError
from redfish_sim.errors import RedfishError, not_in_list, type_error
from redfish_sim.resources import check_keys, ref, resource
from redfish_sim.resources.systems import S, system_base
from redfish_sim.routing import Call, Reply, route

RESET_BIOS = "Bios.ResetBios"
APPLY_TIMES = ("OnReset",)
REGISTRY = "BiosAttributeRegistry.v1_0_0"


def bios(call: Call) -> Reply:
    base = f"{system_base(call)}/Bios"
    settings = call.device.bios
    body = resource(
        base,
        "#Bios.v1_1_0.Bios",
        "BIOS Configuration Current Settings",
        AttributeRegistry=REGISTRY,
        Attributes=dict(settings.current),
        Actions={f"#{RESET_BIOS}": {"target": f"{base}/Actions/{RESET_BIOS}"}},
    )
    body["@Redfish.Settings"] = {
        "@odata.type": "#Settings.v1_3_0.Settings",
        "SettingsObject": ref(f"{base}/Settings"),
        "SupportedApplyTimes": list(APPLY_TIMES),
    }
    return Reply(body=body)


def pending(call: Call) -> Reply:
    base = f"{system_base(call)}/Bios/Settings"
    return Reply(
        body=resource(
            base,
            "#Bios.v1_1_0.Bios",
            "BIOS Configuration Pending Settings",
            AttributeRegistry=REGISTRY,
            Attributes=dict(call.device.bios.pending),
        )
    )


def patch_pending(call: Call) -> Reply:
    system_base(call)
    body = call.body
    check_keys(body, {"Attributes"}, {"Id", "Name", "AttributeRegistry"})
    apply_time = body.get("@Redfish.SettingsApplyTime")
    if apply_time is not None:
        value = apply_time.get("ApplyTime") if isinstance(apply_time, dict) else apply_time
        if value not in APPLY_TIMES:
            raise not_in_list(value, "@Redfish.SettingsApplyTime/ApplyTime", APPLY_TIMES)
    attributes = body.get("Attributes")
    if attributes is None:
        raise RedfishError(400, "PropertyMissing", "Attributes")
    if not isinstance(attributes, dict):
        raise type_error(attributes, "Attributes", "an object of attribute names and values")
    try:
        call.device.bios.stage(attributes)
    except BiosValueError as exc:
        raise _refusal(exc) from None
    return pending(call)


def _refusal(exc: BiosValueError) -> RedfishError:
    prop = f"Attributes/{exc.attribute}"
    if exc.reason == "unknown":
        return RedfishError(400, "PropertyUnknown", prop, note=f"{exc}.")
    if exc.reason == "read-only":
        return RedfishError(400, "PropertyNotWritable", prop)
    if exc.reason == "type":
        return RedfishError(400, "PropertyValueTypeError", exc.value, prop, note=f"{exc}.")
    return RedfishError(400, "PropertyValueNotInList", exc.value, prop, note=f"{exc}.")


def reset_bios(call: Call) -> Reply:
    system_base(call)
    for key in call.body:
        if not key.startswith("@"):
            raise RedfishError(400, "ActionParameterUnknown", RESET_BIOS, key)
    call.device.bios.stage_defaults()
    return Reply(204)


ROUTES = [
    route(f"{S}/Bios", "bios", GET=(bios, "Login")),
    route(f"{S}/Bios/Settings", "bios.settings", GET=(pending, "Login"), PATCH=(patch_pending, "ConfigureComponents")),
    route(f"{S}/Bios/Actions/{RESET_BIOS}", "bios.reset", POST=(reset_bios, "ConfigureComponents")),
]
