"""RackHD's southbound HTTP for the discovery end-to-end test, as a process inside the SUT namespace.

Run from the repository root as
``ip netns exec vrt-dsc-sut python -m tests.e2e.discovery_server --address A --port 9030 [--busy MAC ...]``.
One Twisted web server combines what on-taskgraph serves on 9030 (rackhd-facts §3.4-3.6):

* ``GET /api/current/profiles`` without ``macs``: RackHD's redirect profile (netlab's boilerplate +
  redirect); with ``macs``: the node is created on first sight (RackHD's profile request creates
  unknown nodes and starts discovery: here :meth:`Southbound.add_node` queues the Graph.rancherDiscovery
  and BMC credential batches), then the rancherOS profile whose kernel arguments carry the cloud-config
  URL with the node id, or ``ipxe-info`` ("No active workflow") once the node's discovery has finished.
  A node named with ``--busy MAC`` gets 503 ("graph not ready") every time, so it stays in iPXE's
  profile retry loop (3 s between tries): a boot that is still going on.
* ``GET /common/<file>``: the rancher kernel and initrd (stand-in bytes).
* ``GET /api/current/templates/cloud-config.yaml?nodeId=``: a cloud-config whose ``docker run`` names
  ``SERVER`` and ``PORT`` like RackHD's.
* everything else under ``/api/current``: the rackhd_double southbound (bootstrap.js, task batches,
  templates, posted results parsed into catalogs).
* ``GET /status``: JSON for the test: per node (by MAC) the node id, finished batches, whether discovery
  finished, the catalogs the test checks, the generated BMC credentials (the test logs in with them as
  RackHD's OBM service would), and every profile request with its source address.

SIGTERM stops the reactor (Twisted's default handler).
"""

from __future__ import annotations

import argparse
import json
from typing import Any
from urllib.parse import parse_qs, urlparse

from twisted.internet import reactor as _reactor
from twisted.web import resource, server

from tests.node_sim.netlab import profile
from tests.rackhd_double.server import SouthboundResource
from tests.rackhd_double.southbound import NodeRecord, Southbound

KERNEL = "vmlinuz-1.2.0-rancher"
INITRD = "initrd-1.2.0-rancher"
FILES = {KERNEL: b"K" * 65_536, INITRD: b"I" * 131_072}
reactor: Any = _reactor
STATUS_CATALOGS = ("bmc", "ipmi-fru", "dmi", "lldp")
CLOUD_CONFIG = """#cloud-config
rancher:
  services:
    rackhd-micro:
      image: rackhd/micro
      command: docker run -e SERVER={server} -e PORT={port} -e MAC=$MAC --privileged --net=host rackhd/micro
"""


class DiscoveryResource(resource.Resource):
    """Profiles, files and the cloud-config here; the task API in the rackhd_double; ``/status`` for the test."""

    isLeaf = True

    def __init__(self, southbound: Southbound, busy: set[str]) -> None:
        super().__init__()
        self.southbound = southbound
        self.busy = busy
        self.tasks = SouthboundResource(southbound)
        self.profile_requests: list[dict[str, Any]] = []

    def render_GET(self, request: Any) -> bytes:
        url = urlparse(request.uri.decode())
        query = parse_qs(url.query)
        if url.path in ("/api/current/profiles", "/api/common/profiles", "/api/2.0/profiles"):
            return self._profile(request, query)
        if url.path.startswith("/common/") and url.path[len("/common/") :] in FILES:
            return FILES[url.path[len("/common/") :]]
        if url.path.endswith("/templates/cloud-config.yaml"):
            return CLOUD_CONFIG.format(server=self.southbound.host, port=self.southbound.port).encode()
        if url.path == "/status":
            request.setHeader(b"Content-Type", b"application/json")
            return json.dumps(self.status()).encode()
        return self.tasks.render_GET(request)

    def render_POST(self, request: Any) -> bytes:
        return self.tasks.render_POST(request)

    def _profile(self, request: Any, query: dict[str, list[str]]) -> bytes:
        macs = [mac.lower() for mac in query.get("macs", []) + query.get("mac", [])]
        ips = query.get("ips", []) + query.get("ip", [])
        served = {"client": request.getClientAddress().host, "macs": macs, "ips": ips}
        self.profile_requests.append(served)
        context: dict[str, Any] = {"server": self.southbound.host, "port": self.southbound.port}
        if not macs:
            served["profile"] = "redirect"
            return profile("redirect", **context).encode()
        if self.busy.intersection(macs):
            served["profile"] = None
            request.setResponseCode(503)
            return b'{"message":"graph not ready"}'
        record = next((self.southbound.by_mac[m] for m in macs if m in self.southbound.by_mac), None)
        if record is None:  # RackHD creates the node (identifiers: every MAC) and starts discovery
            record = self.southbound.add_node(macs[0])
            for mac in macs[1:]:
                self.southbound.by_mac[mac] = record
        context.update(macaddress=record.mac, node_id=record.node_id)
        served["profile"] = "ipxe-info" if record.finished else "rancherOS"
        context["message"] = "No active workflow and bootSettings, continue to boot"
        return profile(served["profile"], **context).encode()

    def status(self) -> dict[str, Any]:
        return {
            "nodes": {record.mac: _node_status(record) for record in self.southbound.nodes.values()},
            "profiles": self.profile_requests,
            "task_clients": sorted({r.client for r in self.southbound.requests}),
        }


def _node_status(record: NodeRecord) -> dict[str, Any]:
    return {
        "node_id": record.node_id,
        "done": record.done,
        "finished": record.finished,
        "sources": sorted(record.catalogs),
        "catalogs": {name: record.catalogs[name] for name in STATUS_CATALOGS if name in record.catalogs},
        "catalog_errors": record.catalog_errors,
        "credentials": {"user": record.credentials.user, "password": record.credentials.password},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--address", required=True, help="address to listen on (the uplink's provisioning address)")
    parser.add_argument("--port", type=int, default=9030)
    parser.add_argument("--busy", action="append", default=[], metavar="MAC", help="answer 503 to this node")
    args = parser.parse_args(argv)
    southbound = Southbound(args.address, args.port)
    site = server.Site(DiscoveryResource(southbound, {mac.lower() for mac in args.busy}))
    site.noisy = False
    reactor.listenTCP(args.port, site, interface=args.address)
    print(f"listening on {args.address}:{args.port}", flush=True)
    reactor.run()


if __name__ == "__main__":
    main()
