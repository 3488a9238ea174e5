"""A Redfish service for one BMC, on twisted.web, serving resources from a device interface.

Layers: :mod:`redfish_sim.errors` (Base registry messages), :mod:`redfish_sim.device` (what the service
needs from a machine) and :mod:`redfish_sim.bmc_device` (that interface on a ``bmc_sim`` BMC, so Redfish
and IPMI share one state), :mod:`redfish_sim.service` and :mod:`redfish_sim.resources` (authentication,
routing, ETags, resources, no sockets), :mod:`redfish_sim.transport` and :mod:`redfish_sim.tls` (HTTPS and
HTTP listeners, deterministic certificates).  Stands alone: it never imports ``vrack``.
"""

from redfish_sim.resources import all_routes
from redfish_sim.service import HttpRequest, HttpResponse, RedfishService, RequestRecord

__all__ = ["HttpRequest", "HttpResponse", "RedfishService", "RequestRecord", "all_routes"]
