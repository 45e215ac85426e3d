"""govmesh-client, installed alone into a clean virtual environment, calls a live mesh."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import venv
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from govmesh.runtime.config import Settings
from tests.integration.mesh import Mesh, start_mesh

ROOT = Path(__file__).resolve().parents[2]

CALL = textwrap.dedent(
    """
    import asyncio, sys

    from govmesh.client import Stubs, connect
    from govmesh.contracts.catalog.v1 import catalog_pb2 as pb


    async def main() -> None:
        async with connect(sys.argv[1], identity="department/LTAX", certs_dir=sys.argv[2]) as channel:
            stats = await Stubs(channel).catalog.GetCatalogStats(pb.GetCatalogStatsRequest())
            print(stats.departments, stats.subjects, stats.items)


    asyncio.run(main())
    """
)


@pytest.fixture
async def sqlite_mesh(mesh_settings: Settings, tmp_path: Path) -> AsyncIterator[Mesh]:
    running = await start_mesh(mesh_settings, f"sqlite:///{tmp_path / 'govmesh.db'}")
    try:
        yield running
    finally:
        await running.stop()


def _clean_environment_with_the_client(folder: Path) -> Path:
    wheels = folder / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT / "clients" / "python"), "-w", str(wheels)],
        check=True,
        capture_output=True,
    )
    environment = folder / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    wheel = next(wheels.glob("govmesh_client-*.whl"))
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True, capture_output=True)
    return python


async def test_the_client_distribution_installs_alone_and_calls_the_mesh(sqlite_mesh: Mesh, tmp_path: Path) -> None:
    python = await asyncio.to_thread(_clean_environment_with_the_client, tmp_path)
    absent = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.util as u; print([m for m in ('sqlalchemy', 'alembic', 'govmesh.services')"
            " if u.find_spec(m.split('.')[0]) and (m != 'govmesh.services' or u.find_spec(m))])",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,  # not the checkout, whose own govmesh package would be found first
    )
    assert absent.stdout.strip() == "[]"  # no database drivers, migrations or servers came with it
    script = tmp_path / "call.py"
    script.write_text(CALL)
    ran = await asyncio.to_thread(
        subprocess.run,
        [str(python), str(script), sqlite_mesh.gateway_address, str(sqlite_mesh.settings.certs_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["46", "269", "4537"]
