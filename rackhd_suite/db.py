"""Clearing the rack's nodes out of RackHD between groups: in MongoDB when configured, else through the API.

RackHD keeps a node's records in several collections of its ``pxe`` database (``nodes``, ``obms``,
``ibms``, ``catalogs``, ``workitems`` for its pollers, ``lookups``; on-core ``lib/models``).  With
``[mongo] url`` the suite deletes them there, which also removes what ``DELETE /nodes/:id`` leaves
(lookups, old catalogs).  Without it, :meth:`Cleaner.clear` uses ``DELETE /api/2.0/nodes/:id`` and says
"no MongoDB configured" in its report; MongoDB is never required.
"""

from __future__ import annotations

from typing import Any

from rackhd_suite.client import RackHD
from rackhd_suite.config import MONGO_URL, redact

NODE_COLLECTIONS = ("obms", "ibms", "catalogs", "workitems")


class MongoUnreachable(RuntimeError):
    """The configured MongoDB does not answer."""


class Cleaner:
    """Removes given RackHD nodes and what hangs off them."""

    def __init__(self, rackhd: RackHD, mongo_url: str | None, timeout: float = 10.0) -> None:
        self._rackhd = rackhd
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
            self._rackhd.cancel_active(node_id)
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

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
