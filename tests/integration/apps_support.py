"""What the application tests share: the warnings application on a test mesh, and a fake SMS gateway."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from govmesh.apps import mesh as app_mesh
from govmesh.apps.warnings.domain.model import day_number
from govmesh.runtime.certs import CertificateAuthority
from govmesh.runtime.identity import Principal
from tests.integration.mesh import Mesh

D0 = dt.datetime(2008, 3, 3, 2, 0, tzinfo=dt.UTC)  # 10:00 in Guangzhou


class Clock:
    """The application's today, moved by the test."""

    def __init__(self, start: dt.datetime = D0) -> None:
        self.day = day_number(start.date())

    def __call__(self) -> int:
        return self.day


def issue(mesh: Mesh, *identities: str) -> None:
    authority = CertificateAuthority(mesh.settings.certs_dir)
    for identity in identities:
        if not authority.has(identity.replace("/", "-")):
            authority.issue_client(Principal.parse(identity))


async def until(predicate: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    """Polls until `predicate()` is truthy (a loaded machine is slow, never wrong)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


def record(subject: str, key: str, day: int, values: dict[str, Any], *, division: str = "440106", n: int = 0) -> Any:
    return app_mesh.record(
        subject, key, division, D0 + dt.timedelta(days=day), values, f"{subject}-{key}-{day}-{n}", ENUMS
    )


ENUMS = frozenset({"102.020.009", "102.030.009", "102.002.010", "102.021.005", "102.031.005", "202.011.011"})


class FakeSms:
    """An SMS gateway on 127.0.0.1, port 0: delivers each key once, and fails the first `failures` posts."""

    def __init__(self, failures: int = 0, status: int = 503):
        self.failures = failures
        self.status = status
        self.posts: list[dict[str, Any]] = []
        self.delivered: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()

    @contextmanager
    def running(self) -> Iterator[str]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with fake.lock:
                    fake.posts.append({**body, "header_key": self.headers["Idempotency-Key"]})
                    failing = fake.failures > 0
                    if failing:
                        fake.failures -= 1
                    else:
                        fake.delivered.setdefault(body["key"], body)
                self.send_response(fake.status if failing else 200)
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/sms"
        finally:
            server.shutdown()
            server.server_close()


async def answer_inbox(stub: Any, holdings: dict[tuple[str, str], list[dict[str, Any]]], enums: frozenset[str]) -> None:
    """A department backend answering every request from `holdings[(subject, entity)]`, until cancelled."""
    from govmesh.contracts.exchange.v1 import exchange_pb2 as pb

    async def reply(request: pb.IncomingRequest) -> pb.ReplyRequest:
        records, nothing = [], []
        for entity in request.entity_keys:
            mine = []
            for subject in request.subjects:
                code = subject.removeprefix("subjects/")
                for n, values in enumerate(holdings.get((code, entity), [])):
                    mine.append(
                        app_mesh.record(
                            code, entity, "440106", D0, values, f"{request.request}-{code}-{entity}-{n}", enums
                        )
                    )
            records += mine
            if not mine:
                nothing.append(entity)
        return pb.ReplyRequest(records=records, not_found_entity_keys=nothing)

    await app_mesh.serve_inbox(stub, reply, retry_seconds=0.2)
