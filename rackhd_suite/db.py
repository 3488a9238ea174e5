"""Clearing the rack's nodes out of RackHD between groups: in MongoDB when configured, else through the API.

RackHD keeps a node's records in several collections of its ``pxe`` database (``nodes``, ``obms``,
``ibms``, ``catalogs``, ``workitems`` for its pollers, ``lookups``; on-core ``lib/models``).  With
``[mongo] url`` the suite deletes them there, which also removes what ``DELETE /nodes/:id`` leaves
(lookups, old catalogs).  Without it, :meth:`Cleaner.clear` uses ``DELETE /api/2.0/nodes/:id`` and says
"no MongoDB configured" in its report; MongoDB is never required.

Before removing a node, every graph RackHD still runs on it is cancelled, one ``cancel`` at a time until
``GET /nodes/:id/workflows?active=true`` lists none (a node discovered by PXE runs nested graphs).  A cancel
that gets no answer is not an error by itself: RackHD 2.60.7 never answers it when the graph ends while
being cancelled (the scheduler's failGraph trips over the null that ``setGraphDone`` returns for a graph
already done, on-taskgraph ``lib/task-scheduler.js`` line 440, and answers the request with null, for which
``api/rpc/index.js`` grpcWrapper never calls back, so on-http's PUT hangs).  Only graphs still active after
``cancel_timeout`` fail the clean-up, named in the error.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rackhd_suite.client import RackHD, RackHDError, RackHDUnreachable
from rackhd_suite.config import MONGO_URL, redact
from rackhd_suite.waiting import WaitTimeout, wait_until

NODE_COLLECTIONS = ("obms", "ibms", "catalogs", "workitems")


class MongoUnreachable(RuntimeError):
    """The configured MongoDB does not answer."""


class Cleaner:
    """Removes given RackHD nodes and what hangs off them."""

    def __init__(
        self,
        rackhd: RackHD,
        mongo_url: str | None,
        timeout: float = 10.0,
        cancel_timeout: float = 120.0,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self._rackhd = rackhd
        self._cancel_timeout = cancel_timeout
        self._pause = pause
        self._db: Any = None
        self._client: Any = None
        if mongo_url:
            import pymongo
            import pymongo.errors

            try:
                self._client = pymongo.MongoClient(mongo_url, serverSelectionTimeoutMS=int(timeout * 1000))
                self._client.admin.command("ping")
            except pymongo.errors.PyMongoError as exc:
                raise MongoUnreachable(
                    f"MongoDB is not reachable at {redact(mongo_url)} ({MONGO_URL}): {exc}"
                ) from None
            self._db = self._client.get_default_database("pxe")

    @property
    def how(self) -> str:
        return f"MongoDB database {self._db.name}" if self._db is not None else "the API (no MongoDB configured)"

    def clear(self, node_ids: list[str]) -> str:
        """Remove ``node_ids`` from RackHD; returns one line saying what was done."""
        if not node_ids:
            return "nothing to clear"
        for node_id in node_ids:
            self._cancel_all(node_id)
        if self._db is None:
            for node_id in node_ids:
                self._rackhd.delete_node(node_id)
            return f"deleted {len(node_ids)} node(s) through the API (no MongoDB configured)"
        from bson import ObjectId

        oids = [ObjectId(n) if ObjectId.is_valid(n) else n for n in node_ids]
        removed = self._db.nodes.delete_many({"_id": {"$in": oids}}).deleted_count
        for name in NODE_COLLECTIONS:
            self._db[name].delete_many({"node": {"$in": oids + list(node_ids)}})
        self._db.lookups.delete_many({"node": {"$in": oids + list(node_ids)}})
        return f"deleted {removed} node(s) and their OBMs, IBMs, catalogs, pollers and lookups in MongoDB"

    def _cancel_all(self, node_id: str) -> None:
        """Cancel the node's active graphs until RackHD lists none (see the module docstring)."""
        active: list[dict[str, Any]] = []
        answers: list[str] = []

        def none_left() -> bool:
            active[:] = self._rackhd.active_workflows(node_id)
            if not active:
                return True
            try:
                self._rackhd.cancel_active(node_id, timeout=10.0)
            except (RackHDUnreachable, RackHDError) as exc:  # RackHD's hung or refused cancel: look again
                answers.append(str(exc).splitlines()[0])
            return False

        try:
            wait_until(
                none_left, self._cancel_timeout, f"RackHD to end the graphs of node {node_id}", pause=self._pause
            )
        except WaitTimeout:
            names = [w.get("injectableName") or w.get("name") for w in active]
            last = f"; the last cancel got: {answers[-1]}" if answers else ""
            raise WaitTimeout(
                f"RackHD still runs {names} on node {node_id} after {self._cancel_timeout:g} s of cancelling them "
                f"(PUT /api/2.0/nodes/{node_id}/workflows/action){last}"
            ) from None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
