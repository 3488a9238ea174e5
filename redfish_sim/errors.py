"""Redfish errors as DMTF's Base message registry prescribes (DSP0266 section 9.6, Base.1.8.1).

Every failure a handler raises is a :class:`RedfishError` carrying the HTTP status and one Base message;
:meth:`RedfishError.body` is the ``{"error": {...}}`` object with ``@Message.ExtendedInfo`` that clients
(sushy, Ironic) read.  Messages name the property, parameter or URI at fault and, where there is a
closed set, what is valid.  No message ever carries a password or token.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

REGISTRY = "Base.1.8.1"

# MessageId -> (severity, message template with %1.. arguments, resolution)
MESSAGES: dict[str, tuple[str, str, str]] = {
    "GeneralError": (
        "Critical",
        "A general error has occurred. See Resolution for information on how to resolve the error.",
        "None.",
    ),
    "InternalError": (
        "Critical",
        "The request failed due to an internal service error.  The service is still operational.",
        "Resubmit the request.  If the problem persists, consider resetting the service.",
    ),
    "ResourceMissingAtURI": (
        "Critical",
        "The resource at the URI %1 was not found.",
        "Place a valid resource at the URI or correct the URI and resubmit the request.",
    ),
    "MalformedJSON": (
        "Critical",
        "The request body submitted was malformed JSON and could not be parsed by the receiving service.",
        "Ensure that the request body is valid JSON and resubmit the request.",
    ),
    "PropertyUnknown": (
        "Warning",
        "The property %1 is not in the list of valid properties for the resource.",
        "Remove the unknown property from the request body and resubmit the request if the operation failed.",
    ),
    "PropertyNotWritable": (
        "Warning",
        "The property %1 is a read only property and cannot be assigned a value.",
        "Remove the property from the request body and resubmit the request if the operation failed.",
    ),
    "PropertyValueNotInList": (
        "Warning",
        "The value %1 for the property %2 is not in the list of acceptable values.",
        "Choose a value from the enumeration list that the implementation can support and "
        "resubmit the request if the operation failed.",
    ),
    "PropertyValueTypeError": (
        "Warning",
        "The value %1 for the property %2 is of a different type than the property can accept.",
        "Correct the value for the property in the request body and resubmit the request if the operation failed.",
    ),
    "PropertyValueFormatError": (
        "Warning",
        "The value %1 for the property %2 is of a different format than the property can accept.",
        "Correct the value for the property in the request body and resubmit the request if the operation failed.",
    ),
    "PropertyMissing": (
        "Warning",
        "The property %1 is a required property and must be included in the request.",
        "Ensure that the property is in the request body and has a valid value and resubmit the "
        "request if the operation failed.",
    ),
    "ActionNotSupported": (
        "Critical",
        "The action %1 is not supported by the resource.",
        "The action supplied cannot be resubmitted to the implementation.  Perhaps the action was "
        "invalid, the wrong resource was the target or the implementation documentation may be "
        "of assistance.",
    ),
    "ActionParameterMissing": (
        "Critical",
        "The action %1 requires the parameter %2 to be present in the request body.",
        "Supply the action with the required parameter in the request body when the request is resubmitted.",
    ),
    "ActionParameterUnknown": (
        "Warning",
        "The action %1 was submitted with the invalid parameter %2.",
        "Correct the invalid parameter and resubmit the request if the operation failed.",
    ),
    "ActionParameterValueNotInList": (
        "Warning",
        "The value %1 for the parameter %2 in the action %3 is not in the list of acceptable values.",
        "Choose a value from the enumeration list that "
        "the implementation can support and resubmit the request if the operation "
        "failed.",
    ),
    "InsufficientPrivilege": (
        "Critical",
        "There are insufficient privileges for the account or credentials "
        "associated with the current session to perform the requested operation.",
        "Either abandon the operation or change the associated access rights and resubmit "
        "the request if the operation failed.",
    ),
    "NoValidSession": (
        "Critical",
        "There is no valid session established with the implementation.",
        "Establish a session before attempting any operations.",
    ),
    "PreconditionFailed": (
        "Critical",
        "The ETag supplied did not match the ETag required to change this resource.",
        "Try the operation again using the appropriate ETag.",
    ),
    "ResourceAlreadyExists": (
        "Critical",
        "The requested resource of type %1 with the property %2 with the value %3 already exists.",
        "Do not repeat the create operation as the resource has already been created.",
    ),
    "CreateLimitReachedForResource": (
        "Critical",
        "The create operation failed because the resource has reached the limit of possible resources.",
        "Either delete resources and resubmit the request if the operation failed or do not resubmit the request.",
    ),
    "SessionLimitExceeded": (
        "Critical",
        "The session establishment failed due to the number of simultaneous "
        "sessions exceeding the limit of the implementation.",
        "Reduce the number of other "
        "sessions before trying to establish the session or increase the limit of simultaneous "
        "sessions (if supported).",
    ),
    "ServiceTemporarilyUnavailable": (
        "Critical",
        "The service is temporarily unavailable.  Retry in %1 seconds.",
        "Wait for the indicated retry duration and retry the operation.",
    ),
    "StringValueTooLong": (
        "Warning",
        "The string %1 exceeds the length limit %2.",
        "Resubmit the request with an appropriate string length.",
    ),
    "ResourceCannotBeDeleted": (
        "Critical",
        "The delete request failed because the resource requested cannot be deleted.",
        "Do not attempt to delete a non-deletable resource.",
    ),
    "ResourceInUse": (
        "Warning",
        "The change to the requested resource failed because the resource is in use or in transition.",
        "Remove the condition and resubmit the request if the operation failed.",
    ),
    "QueryParameterValueFormatError": (
        "Warning",
        "The value %1 for the parameter %2 is of a different format than the parameter can accept.",
        "Correct the value for the query parameter in the request and resubmit the request if the operation failed.",
    ),
    "QueryNotSupported": (
        "Warning",
        "Querying is not supported by the implementation.",
        "Remove the query parameters and resubmit the request if the operation failed.",
    ),
    "Success": ("OK", "Successfully Completed Request", "None"),
}


def message(message_id: str, *args: object, note: str = "") -> dict[str, Any]:
    """One ``Message`` object of the Base registry with its arguments filled in (``note`` is appended)."""
    severity, template, resolution = MESSAGES[message_id]
    text = template
    for index, arg in enumerate(args, start=1):
        text = text.replace(f"%{index}", str(arg))
    if note:
        text = f"{text} {note}"
    return {
        "@odata.type": "#Message.v1_1_1.Message",
        "MessageId": f"{REGISTRY}.{message_id}",
        "Message": text,
        "MessageArgs": [str(a) for a in args],
        "MessageSeverity": severity,
        "Severity": severity,
        "Resolution": resolution,
    }


class RedfishError(Exception):
    """A request refused with ``status`` and one Base message (plus extra headers, e.g. ``Allow``).

    A 401 always carries ``WWW-Authenticate: Basic realm="Redfish"``.
    """

    def __init__(
        self,
        status: int,
        message_id: str,
        *args: object,
        note: str = "",
        headers: dict[str, str] | None = None,
        outcome: str = "",
    ) -> None:
        self.status = status
        self.outcome = outcome  # for the journal: no-credentials, bad-credentials, ...
        self.info = message(message_id, *args, note=note)
        self.headers = headers or {}
        if status == 401:
            self.headers["WWW-Authenticate"] = 'Basic realm="Redfish"'
        super().__init__(self.info["Message"])

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.info["MessageId"],
                "message": self.info["Message"],
                "@Message.ExtendedInfo": [self.info],
            }
        }


def not_found(path: str) -> RedfishError:
    return RedfishError(404, "ResourceMissingAtURI", path)


def not_in_list(value: object, prop: str, valid: Iterable[str]) -> RedfishError:
    return RedfishError(400, "PropertyValueNotInList", value, prop, note=f"Valid values: {', '.join(valid)}.")


def action_value(value: object, param: str, action: str, valid: Iterable[str]) -> RedfishError:
    return RedfishError(
        400, "ActionParameterValueNotInList", value, param, action, note=f"Valid values: {', '.join(valid)}."
    )


def type_error(value: object, prop: str, expected: str) -> RedfishError:
    return RedfishError(400, "PropertyValueTypeError", value, prop, note=f"Expected {expected}.")
