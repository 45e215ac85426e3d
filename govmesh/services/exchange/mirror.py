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

import grpc

from govmesh.contracts.catalog.v1 import catalog_pb2 as cpb
from govmesh.contracts.catalog.v1 import catalog_pb2_grpc
from govmesh.kernel.catalog import convert as catalog_convert
from govmesh.kernel.catalog.model import Subject
from govmesh.kernel.catalog.view import CatalogView

log = logging.getLogger("govmesh.exchange.catalog")

PAGE = 1000


class CatalogMirror:
    """A CatalogView of the live catalog, replaced whenever the catalog changes."""

    def __init__(self, targets: Sequence[str], max_message_bytes: int = 4 * 1024 * 1024):
        target = targets[0] if len(targets) == 1 else "ipv4:" + ",".join(targets)
        self._channel = grpc.aio.insecure_channel(
            target,
            options=[
                ("grpc.max_receive_message_length", max_message_bytes),
                ("grpc.service_config", '{"loadBalancingConfig": [{"round_robin": {}}]}'),
            ],
        )
        self._stub = catalog_pb2_grpc.CatalogServiceStub(self._channel)
        self._view = CatalogView([], [], 0)
        self._watcher: asyncio.Task[None] | None = None

    @property
    def view(self) -> CatalogView:
        return self._view

    async def load(self, timeout: float = 60.0) -> None:
        """Reads the whole catalog, retrying while the catalog is starting; fails after `timeout`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        delay = 0.2
        while True:
            try:
                self._view = await self._read_all()
                return
            except grpc.aio.AioRpcError as error:
                if loop.time() + delay > deadline:
                    raise RuntimeError(
                        f"the catalog did not answer within {timeout:.0f}s: {error.code().name}"
                    ) from error
                log.info("waiting for the catalog (%s)", error.code().name)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    async def _read_all(self) -> CatalogView:
        stats = await self._stub.GetCatalogStats(cpb.GetCatalogStatsRequest(), timeout=10)
        departments = [
            catalog_convert.department_from_proto(d)
            for d in (
                await self._stub.ListDepartments(cpb.ListDepartmentsRequest(page_size=PAGE), timeout=10)
            ).departments
        ]
        subjects: list[Subject] = []
        token = ""
        while True:
            page = await self._stub.ListSubjects(
                cpb.ListSubjectsRequest(page_size=PAGE, page_token=token, include_items=True, include_deprecated=True),
                timeout=30,
            )
            subjects += [catalog_convert.subject_from_proto(s) for s in page.subjects]
            token = page.next_page_token
            if not token:
                break
        return CatalogView(departments, subjects, stats.revision)

    def start_watching(self) -> None:
        self._watcher = asyncio.get_running_loop().create_task(self._watch())

    async def _watch(self) -> None:
        """Follows WatchCatalog for good: a broken stream (catalog restart, database outage) is resumed."""
        delay = 0.2
        while True:
            try:
                call = self._stub.WatchCatalog(cpb.WatchCatalogRequest(after_revision=self._view.revision))
                async for message in call:
                    delay = 0.2
                    await self._apply(message.change)
            except grpc.aio.AioRpcError as error:
                log.info("catalog watch interrupted (%s); resuming", error.code().name)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
            with contextlib.suppress(grpc.aio.AioRpcError):
                await self._catch_up()

    async def _catch_up(self) -> None:
        """After an interruption the whole catalog is reread when it moved on; cheap and never wrong."""
        stats = await self._stub.GetCatalogStats(cpb.GetCatalogStatsRequest(), timeout=10)
        if stats.revision != self._view.revision:
            self._view = await self._read_all()

    async def _apply(self, change: cpb.CatalogChange) -> None:
        code = change.subject.split("/", 1)[-1]
        reply = await self._stub.GetSubject(cpb.GetSubjectRequest(name=change.subject), timeout=10)
        updated = catalog_convert.subject_from_proto(reply.subject)
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
