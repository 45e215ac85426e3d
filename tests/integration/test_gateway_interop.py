"""A department backend in Node.js (@grpc/grpc-js, protos/ loaded as they are) calls the gateway over mutual TLS."""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
from pathlib import Path

import pytest

from govmesh.contracts.exchange.v1 import exchange_pb2
from tests.integration.exchange_support import NAME, enterprise
from tests.integration.mesh import Mesh

INTEROP = Path(__file__).resolve().parent.parent / "interop"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The client's language is what is under test here; one SQLite catalog is enough."""
    return f"sqlite:///{tmp_path / 'govmesh.db'}"


async def test_a_node_department_client_looks_up_searches_and_validates_through_the_gateway(mesh: Mesh) -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js is part of the test bed: install nodejs"
    assert (INTEROP / "node_modules" / "@grpc" / "grpc-js").is_dir(), "run `npm ci` in tests/interop (.ci/run does)"
    certs = mesh.settings.certs_dir
    process = await asyncio.create_subprocess_exec(
        node,
        str(INTEROP / "department_client.mjs"),
        "--target",
        mesh.gateway_address,
        "--ca",
        str(certs / "ca.pem"),
        "--cert",
        str(certs / "department-LTAX.pem"),
        "--key",
        str(certs / "department-LTAX.key"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    result = json.loads(out)

    assert result["principal"] == "principals/department/LTAX"
    assert result["spiffe_id"] == "spiffe://govmesh/department/LTAX"
    subject = result["subject"]
    assert subject["name"] == "subjects/102.001" and subject["items"] > 0
    assert "subjects/102.001" in result["search"]
    empty, unknown = result["verdicts"]
    assert (empty["index"], empty["valid"]) == (0, False)
    assert set(empty["items"]) == set(subject["required"])
    assert (unknown["index"], unknown["valid"]) == (1, False)
    assert "UNKNOWN_ITEM" in unknown["reasons"]


def _as_loader_json(record: exchange_pb2.Record) -> dict[str, object]:
    """A record as @grpc/proto-loader takes it: field names as in the .proto, a Timestamp as seconds."""
    values: dict[str, object] = {}
    for code, value in record.values.items():
        kind = value.WhichOneof("kind")
        raw = getattr(value, kind)
        values[code] = {kind: base64.b64encode(raw).decode() if isinstance(raw, bytes) else raw}
    return {
        "subject": record.subject,
        "entity_key": record.entity_key,
        "division_code": record.division_code,
        "event_time": {"seconds": str(record.event_time.seconds), "nanos": record.event_time.nanos},
        "idempotency_key": record.idempotency_key,
        "values": values,
    }


async def test_a_node_department_client_publishes_through_the_gateway(exchange_mesh: Mesh, tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js is part of the test bed: install nodejs"
    records = tmp_path / "records.json"
    valid, invalid = enterprise(1, key_prefix="node"), enterprise(2, key_prefix="node")
    del invalid.values[NAME]
    records.write_text(json.dumps([_as_loader_json(valid), _as_loader_json(invalid)]), encoding="utf-8")
    certs = exchange_mesh.settings.certs_dir
    process = await asyncio.create_subprocess_exec(
        node,
        str(INTEROP / "department_client.mjs"),
        "--target",
        exchange_mesh.gateway_address,
        "--ca",
        str(certs / "ca.pem"),
        "--cert",
        str(certs / "department-AIC.pem"),
        "--key",
        str(certs / "department-AIC.key"),
        "--publish",
        str(records),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    accepted, refused = json.loads(out)["published"]
    assert accepted["status"] == "RECORD_STATUS_ACCEPTED" and accepted["record_id"]
    assert refused["status"] == "RECORD_STATUS_INVALID" and "REQUIRED" in refused["reasons"]
