"""How authz learns the catalog: over gRPC from the catalog service, never from the catalog's tables.

Design. The catalog is the source of the facts decisions depend on: each item's sharing type and
provider, and the departments with their groups. Authz reads them with the catalog's public API —
ListDepartments, ListSubjects with `include_items`, then WatchCatalog to follow every change, each
of which names a subject that authz rereads with GetSubject — and keeps its own copy in its own
tables (authz_items, authz_departments), comparing what the catalog says with that copy and
writing one policy revision per changed fact.

Reading the catalog's tables through its repository would be shorter, but would tie authz to the
catalog's schema and to sharing its database. Over gRPC the two services stay independent: each
owns its tables and migrations, either can move to its own database, authz keeps deciding from its
copy while the catalog is away, and catalog changes reach enforcement points as ordinary policy
revisions. Replicas following the same catalog write each change once, because the comparison
runs under the policy log's lock.
"""

from __future__ import annotations

import asyncio
import json
import logging

import grpc

from govmesh.contracts.catalog.v1 import catalog_pb2 as catalog_pb
from govmesh.contracts.catalog.v1 import catalog_pb2_grpc
from govmesh.kernel.catalog.follower import CatalogFollower, CatalogRead
from govmesh.runtime.mtls import ServiceTLS
from govmesh.services.authz import convert
from govmesh.services.authz.usecases import Authz

log = logging.getLogger("govmesh.authz.catalog")


def catalog_channel(addresses: list[str], tls: ServiceTLS) -> grpc.aio.Channel:
    """One channel over the catalog's replicas, round robin across the healthy ones, as authz's own certificate."""
    config = {"loadBalancingConfig": [{"round_robin": {}}], "healthCheckConfig": {"serviceName": ""}}
    return tls.channel(
        addresses,
        "catalog",
        [("grpc.service_config", json.dumps(config)), ("grpc.max_receive_message_length", 64 * 1024 * 1024)],
    )


class CatalogFeed:
    """Keeps authz's copy of the catalog current: a full read, then the catalog's change stream."""

    def __init__(self, authz: Authz, channel: grpc.aio.Channel, *, retry_seconds: float = 1.0):
        self.authz = authz
        # Authz calls the catalog as service/authz: its certificate on the channel says so.
        self._follower = CatalogFollower(catalog_pb2_grpc.CatalogServiceStub(channel), retry_seconds=retry_seconds)
        self.synced = asyncio.Event()

    async def _store(self, read: CatalogRead) -> None:
        """Brings the copy to a full read of the catalog."""
        items = [policy for subject in read.subjects for policy in convert.item_policies_of(subject)]
        changes = await asyncio.to_thread(
            self.authz.catalog.sync_catalog, convert.department_principals(read.departments), items, read.revision
        )
        log.info(
            "catalog read at revision %d: %d departments, %d subjects, %d items; %d policy change(s)",
            read.revision,
            len(read.departments),
            len(read.subjects),
            len(items),
            len(changes),
        )
        self.synced.set()

    async def _apply(self, change: catalog_pb.CatalogChange, subject: catalog_pb.Subject) -> None:
        code = change.subject.removeprefix("subjects/")
        await asyncio.to_thread(
            self.authz.catalog.sync_subject, code, convert.item_policies_of(subject), change.revision
        )

    async def load(self) -> int:
        """Reads the whole catalog and brings the copy to it; returns the catalog revision read at."""
        read = await self._follower.read()
        await self._store(read)
        return read.revision

    async def follow(self, revision: int) -> None:
        """Applies the catalog's changes after `revision` as they come; rereads everything after a break."""
        await self._follower.follow(revision, self._apply, self._store)

    async def load_until_done(self) -> int:
        """Retries the full read until the catalog answers."""
        return (await self._follower.read_until_done(self._store)).revision
