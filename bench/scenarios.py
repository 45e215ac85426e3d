"""What the load generator calls: the echo baseline, catalog GetItem and a mix of catalog searches."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import grpc

from bench.echo import METHOD as ECHO_METHOD
from bench.load import CALL_TIMEOUT, Call
from govmesh.contracts.catalog.v1 import catalog_pb2 as pb
from govmesh.contracts.catalog.v1 import catalog_pb2_grpc

ECHO_PAYLOAD_BYTES = 512
SEARCH_PAGE_SIZE = 10


def echo(channel: grpc.aio.Channel) -> Call:
    method = channel.unary_unary(ECHO_METHOD)
    payload = random.Random(7).randbytes(ECHO_PAYLOAD_BYTES)

    async def call(_index: int) -> None:
        await method(payload, timeout=CALL_TIMEOUT)

    return call


@dataclass(frozen=True)
class CatalogSample:
    """What the catalog holds, read once before loading it: counts and every item."""

    departments: int
    subjects: int
    items: list[pb.DataItem]


async def read_catalog(channel: grpc.aio.Channel) -> CatalogSample:
    stub = catalog_pb2_grpc.CatalogServiceStub(channel)
    stats = await stub.GetCatalogStats(pb.GetCatalogStatsRequest(), timeout=CALL_TIMEOUT)
    items: list[pb.DataItem] = []
    token = ""
    while True:
        page = await stub.ListItems(
            pb.ListItemsRequest(parent="subjects/-", page_size=1000, page_token=token), timeout=CALL_TIMEOUT
        )
        items.extend(page.items)
        token = page.next_page_token
        if not token:
            break
    if len(items) != stats.items:
        raise RuntimeError(f"listed {len(items)} items but the catalog counts {stats.items}")
    return CatalogSample(stats.departments, stats.subjects, items)


def get_item(channel: grpc.aio.Channel, items: list[pb.DataItem]) -> Call:
    """GetItem over every item of the catalog, in a fixed shuffled order."""
    stub = catalog_pb2_grpc.CatalogServiceStub(channel)
    requests = [pb.GetItemRequest(name=item.name) for item in items]
    random.Random(11).shuffle(requests)

    async def call(index: int) -> None:
        await stub.GetItem(requests[index % len(requests)], timeout=CALL_TIMEOUT)

    return call


def search_queries(items: list[pb.DataItem]) -> list[tuple[str, str]]:
    """(kind, query): exact codes, Chinese names, English words and misspellings; some taken from the data."""
    ordered = sorted(items, key=lambda i: i.code)
    picked = [ordered[len(ordered) * n // 4] for n in (1, 2, 3)]
    return [
        ("exact code", "102.001"),
        ("exact code", picked[0].code),
        ("exact code", picked[1].subject_code),
        ("Chinese name", "统一社会信用代码"),
        ("Chinese name", picked[1].name_zh),
        ("Chinese name", picked[2].name_zh[:2]),
        ("English word", "tax"),
        ("English word", "address"),
        ("English word", "license"),
        ("misspelling", "enterprize"),
        ("misspelling", "adress"),
        ("misspelling", "regstration"),
    ]


def search(channel: grpc.aio.Channel, queries: list[tuple[str, str]]) -> tuple[Call, Callable[[int], str]]:
    """Search over the query mix in turn, page size SEARCH_PAGE_SIZE; and the kind of call `index`."""
    stub = catalog_pb2_grpc.CatalogServiceStub(channel)
    requests = [pb.SearchRequest(query=query, page_size=SEARCH_PAGE_SIZE) for _, query in queries]

    async def call(index: int) -> None:
        await stub.Search(requests[index % len(requests)], timeout=CALL_TIMEOUT)

    def kind(index: int) -> str:
        return queries[index % len(queries)][0]

    return call, kind


async def search_hits(channel: grpc.aio.Channel, queries: list[tuple[str, str]]) -> list[tuple[str, str, int, str]]:
    """Each query once: (kind, query, total hits, best match kind), for the report and as a sanity check."""
    stub = catalog_pb2_grpc.CatalogServiceStub(channel)
    found = []
    for kind, query in queries:
        reply = await stub.Search(pb.SearchRequest(query=query, page_size=SEARCH_PAGE_SIZE), timeout=CALL_TIMEOUT)
        best = pb.MatchKind.Name(reply.results[0].match).removeprefix("MATCH_KIND_") if reply.results else "-"
        found.append((kind, query, reply.total_size, best))
    return found
