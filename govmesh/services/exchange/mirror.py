"""The exchange's local copy of the catalog, so that validating a record never waits on another service.

It is read once with ListSubjects (items included) and kept current by WatchCatalog; each change
refetches only the subject it names. Records are validated against it with the catalog's own
compiled RecordSchema, exactly as the catalog's ValidateRecords would.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from govmesh.contracts.catalog.v1 import catalog_pb2 as cpb
from govmesh.contracts.catalog.v1 import catalog_pb2_grpc
from govmesh.kernel.catalog import convert as catalog_convert
from govmesh.kernel.catalog.follower import CatalogFollower, CatalogRead
from govmesh.kernel.catalog.view import CatalogView
from govmesh.runtime.mtls import ServiceTLS

log = logging.getLogger("govmesh.exchange.catalog")


class CatalogMirror:
    """A CatalogView of the live catalog, replaced whenever the catalog changes."""

    def __init__(self, targets: Sequence[str], tls: ServiceTLS, max_message_bytes: int = 4 * 1024 * 1024):
        # Mutual TLS as the exchange's own certificate: the catalog knows its reader as service/exchange.
        self._channel = tls.channel(
            targets,
            "catalog",
            [
                ("grpc.max_receive_message_length", max_message_bytes),
                ("grpc.service_config", '{"loadBalancingConfig": [{"round_robin": {}}]}'),
            ],
        )
        self._follower = CatalogFollower(
            catalog_pb2_grpc.CatalogServiceStub(self._channel), retry_seconds=0.2, max_retry_seconds=2.0
        )
        self._view = CatalogView([], [], 0)
        self._watcher: asyncio.Task[None] | None = None

    @property
    def view(self) -> CatalogView:
        return self._view

    async def load(self, timeout: float = 60.0) -> None:
        """Reads the whole catalog, retrying while the catalog is starting; fails after `timeout`."""
        await self._follower.read_until_done(self._replace, timeout=timeout)

    async def _replace(self, read: CatalogRead) -> None:
        departments = [catalog_convert.department_from_proto(d) for d in read.departments]
        subjects = [catalog_convert.subject_from_proto(s) for s in read.subjects]
        self._view = CatalogView(departments, subjects, read.revision)

    def start_watching(self) -> None:
        self._watcher = asyncio.get_running_loop().create_task(
            self._follower.follow(self._view.revision, self._apply, self._replace)
        )

    async def _apply(self, change: cpb.CatalogChange, subject: cpb.Subject) -> None:
        code = change.subject.split("/", 1)[-1]
        updated = catalog_convert.subject_from_proto(subject)
        view = self._view
        subjects = [updated if s.code == code else s for s in view.subjects]
        if code not in view.subject_by_code:
            subjects.append(updated)
        self._view = CatalogView(view.departments, subjects, max(view.revision, change.revision))
        log.info("catalog subject %s now at version %s", code, updated.version)

    async def close(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        await self._channel.close()
