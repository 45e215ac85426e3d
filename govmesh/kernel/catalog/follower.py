"""Following the catalog over its contract: one full read, then its change stream, resumed after any break.

Services that keep a copy of the catalog (authz's policy facts, the exchange's validation view)
read it the same way: GetCatalogStats first (changes made during the listing are seen again when
watching from that revision), every department and subject page by page, then WatchCatalog, each
change rereading the subject it names. After a broken stream or a failed apply the whole catalog is
read again: cheap, and never wrong.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import grpc

from govmesh.contracts.catalog.v1 import catalog_pb2 as cpb
from govmesh.contracts.catalog.v1 import catalog_pb2_grpc

log = logging.getLogger("govmesh.catalog.follower")

PAGE_SIZE = 1000
CALL_TIMEOUT = 30.0


@dataclass(frozen=True)
class CatalogRead:
    """The whole catalog as read at one revision."""

    revision: int
    departments: list[cpb.Department]
    subjects: list[cpb.Subject]


Apply = Callable[[cpb.CatalogChange, cpb.Subject], Awaitable[None]]
Reload = Callable[[CatalogRead], Awaitable[None]]


class CatalogFollower:
    """Reads and follows the catalog for one service's copy of it."""

    def __init__(
        self,
        stub: catalog_pb2_grpc.CatalogServiceStub,
        *,
        metadata: Sequence[tuple[str, str]] = (),
        retry_seconds: float = 1.0,
        max_retry_seconds: float = 5.0,
    ):
        self._stub = stub
        self._metadata = tuple(metadata)
        self._retry = retry_seconds
        self._max_retry = max_retry_seconds

    async def read(self) -> CatalogRead:
        """The whole catalog: its revision first, then every department and subject with its items."""
        stats = await self._stub.GetCatalogStats(
            cpb.GetCatalogStatsRequest(), timeout=CALL_TIMEOUT, metadata=self._metadata
        )
        departments: list[cpb.Department] = []
        token = ""
        while True:
            listed = await self._stub.ListDepartments(
                cpb.ListDepartmentsRequest(page_size=PAGE_SIZE, page_token=token),
                timeout=CALL_TIMEOUT,
                metadata=self._metadata,
            )
            departments.extend(listed.departments)
            token = listed.next_page_token
            if not token:
                break
        subjects: list[cpb.Subject] = []
        while True:
            page = await self._stub.ListSubjects(
                cpb.ListSubjectsRequest(
                    page_size=PAGE_SIZE, page_token=token, include_items=True, include_deprecated=True
                ),
                timeout=CALL_TIMEOUT,
                metadata=self._metadata,
            )
            subjects.extend(page.subjects)
            token = page.next_page_token
            if not token:
                break
        return CatalogRead(int(stats.revision), departments, subjects)

    async def read_until_done(self, reload: Reload, *, timeout: float | None = None) -> CatalogRead:
        """Reads the catalog and hands it to `reload`, retrying while either fails; gives up after `timeout`."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        delay = self._retry
        while True:
            try:
                read = await self.read()
                await reload(read)
                return read
            except grpc.aio.AioRpcError as error:
                problem = error.code().name
                log.info("catalog unreachable (%s); retrying in %.1fs", problem, delay)
            except Exception:  # storing the copy failed (a database restarting): the next read repairs it
                problem = "storing the copy failed"
                log.exception("storing the catalog copy failed; retrying in %.1fs", delay)
            if deadline is not None and loop.time() + delay > deadline:
                raise RuntimeError(f"the catalog could not be read within {timeout:.0f}s: {problem}")
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_retry)

    async def _first_change(self, reload: Reload) -> int:
        while True:
            try:
                stats = await self._stub.GetCatalogStats(
                    cpb.GetCatalogStatsRequest(), timeout=CALL_TIMEOUT, metadata=self._metadata
                )
                if stats.revision > 0:
                    return (await self.read_until_done(reload)).revision
            except grpc.aio.AioRpcError as error:
                log.info("catalog unreachable (%s); retrying in %.1fs", error.code().name, self._retry)
            await asyncio.sleep(self._retry)

    async def follow(self, after_revision: int, apply: Apply, reload: Reload) -> None:
        """Applies every change after `after_revision` for good; after any break, reads everything again."""
        revision = after_revision
        while True:
            if revision == 0:
                # WatchCatalog reads 0 as "from the current revision", so a change landing before the
                # stream opens would be missed for good; until the catalog has changed once, poll its
                # revision and read it whole when it moves, then watch from that exact revision.
                revision = await self._first_change(reload)
            try:
                stream = self._stub.WatchCatalog(
                    cpb.WatchCatalogRequest(after_revision=revision), metadata=self._metadata
                )
                async for response in stream:
                    change = response.change
                    reply = await self._stub.GetSubject(
                        cpb.GetSubjectRequest(name=change.subject), timeout=CALL_TIMEOUT, metadata=self._metadata
                    )
                    await apply(change, reply.subject)
                    revision = change.revision
            except grpc.aio.AioRpcError as error:
                log.info("catalog watch interrupted (%s); reading the catalog again", error.code().name)
            except Exception:  # a database hiccup must not end the follower; the full read repairs the copy
                log.exception("applying a catalog change failed; reading the catalog again")
            await asyncio.sleep(self._retry)
            revision = (await self.read_until_done(reload)).revision
