"""A department backend in Node.js (@grpc/grpc-js, protos/ loaded as they are) calls the gateway over mutual TLS."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

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
