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
from govmesh.runtime.identity import PRINCIPAL_HEADER
from govmesh.services.authz import convert
from govmesh.services.authz.usecases import Authz

log = logging.getLogger("govmesh.authz.catalog")

# Authz calls the catalog on loopback as a mesh service, like the gateway forwards callers.
CALLER = (PRINCIPAL_HEADER, "service/authz")
CALL_TIMEOUT = 30.0
PAGE_SIZE = 1000


def catalog_channel(addresses: list[str]) -> grpc.aio.Channel:
    """One channel over the catalog's replicas, round robin across the healthy ones."""
    target = addresses[0] if len(addresses) == 1 else "ipv4:" + ",".join(addresses)
    config = {"loadBalancingConfig": [{"round_robin": {}}], "healthCheckConfig": {"serviceName": ""}}
    return grpc.aio.insecure_channel(
        target,
        options=[("grpc.service_config", json.dumps(config)), ("grpc.max_receive_message_length", 64 * 1024 * 1024)],
    )


class CatalogFeed:
    """Keeps authz's copy of the catalog current: a full read, then the catalog's change stream."""

    def __init__(self, authz: Authz, channel: grpc.aio.Channel, *, retry_seconds: float = 1.0):
        self.authz = authz
        self._stub = catalog_pb2_grpc.CatalogServiceStub(channel)
        self._retry_seconds = retry_seconds
        self.synced = asyncio.Event()

    async def load(self) -> int:
        """Reads the whole catalog and brings the copy to it; returns the catalog revision read at."""
        metadata = (CALLER,)
        # The revision is read first: changes made during the listing are seen again when watching from it.
        stats = await self._stub.GetCatalogStats(
            catalog_pb.GetCatalogStatsRequest(), timeout=CALL_TIMEOUT, metadata=metadata
        )
        departments: list[catalog_pb.Department] = []
        token = ""
        while True:
            listed = await self._stub.ListDepartments(
                catalog_pb.ListDepartmentsRequest(page_size=PAGE_SIZE, page_token=token),
                timeout=CALL_TIMEOUT,
                metadata=metadata,
            )
            departments.extend(listed.departments)
            token = listed.next_page_token
            if not token:
                break
        subjects: list[catalog_pb.Subject] = []
        while True:
            page = await self._stub.ListSubjects(
                catalog_pb.ListSubjectsRequest(
                    page_size=PAGE_SIZE, page_token=token, include_items=True, include_deprecated=True
                ),
                timeout=CALL_TIMEOUT,
                metadata=metadata,
            )
            subjects.extend(page.subjects)
            token = page.next_page_token
            if not token:
                break
        items = [policy for subject in subjects for policy in convert.item_policies_of(subject)]
        changes = await asyncio.to_thread(
            self.authz.sync_catalog, convert.department_principals(departments), items, stats.revision
        )
        log.info(
            "catalog read at revision %d: %d departments, %d subjects, %d items; %d policy change(s)",
            stats.revision,
            len(departments),
            len(subjects),
            len(items),
            len(changes),
        )
        self.synced.set()
        return int(stats.revision)

    async def follow(self, revision: int) -> None:
        """Applies the catalog's changes after `revision` as they come; rereads everything after a break."""
        while True:
            try:
                stream = self._stub.WatchCatalog(
                    catalog_pb.WatchCatalogRequest(after_revision=revision), metadata=(CALLER,)
                )
                async for response in stream:
                    change = response.change
                    subject = await self._stub.GetSubject(
                        catalog_pb.GetSubjectRequest(name=change.subject), timeout=CALL_TIMEOUT, metadata=(CALLER,)
                    )
                    code = change.subject.removeprefix("subjects/")
                    items = convert.item_policies_of(subject.subject)
                    await asyncio.to_thread(self.authz.sync_subject, code, items, change.revision)
                    revision = change.revision
            except grpc.aio.AioRpcError as error:
                log.warning("catalog watch broke (%s); reading the catalog again", error.code().name)
            except Exception:  # a database hiccup must not end the feed; the full read repairs the copy
                log.exception("applying a catalog change failed; reading the catalog again")
                await asyncio.sleep(self._retry_seconds)
            revision = await self.load_until_done()

    async def load_until_done(self) -> int:
        """Retries the full read until the catalog answers."""
        while True:
            try:
                return await self.load()
            except grpc.aio.AioRpcError as error:
                log.warning("catalog unreachable (%s); retrying in %.1fs", error.code().name, self._retry_seconds)
            except Exception:
                log.exception("storing the catalog failed; retrying in %.1fs", self._retry_seconds)
            await asyncio.sleep(self._retry_seconds)
