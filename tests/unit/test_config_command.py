"""`govmesh config` shows every setting an operator can change, and never a password."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from govmesh.cli.app import app
from govmesh.runtime import config


@pytest.fixture(autouse=True)
def fresh_settings() -> object:
    config.settings.cache_clear()
    yield
    config.settings.cache_clear()


def test_config_lists_every_setting_with_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setenv("GOVMESH_GATEWAY_PORT", "50999")
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    for name in config.Settings.model_fields:
        assert f"GOVMESH_{name.upper()}" in result.output
    assert "50999" in result.output


def test_config_never_prints_a_database_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    monkeypatch.setenv("GOVMESH_DATABASE_URL", "postgresql+psycopg://hub:s3cr3t-pw@db.internal/govmesh")
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    assert "s3cr3t-pw" not in result.output
    assert "hub:***@db.internal" in result.output


def test_a_config_file_supplies_settings_the_environment_does_not(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    path = tmp_path / "govmesh.env"  # type: ignore[operator]
    path.write_text("GOVMESH_CATALOG_PORT=50777\nGOVMESH_GATEWAY_PORT=50888\n")
    monkeypatch.setenv("GOVMESH_CONFIG_FILE", str(path))
    monkeypatch.setenv("GOVMESH_GATEWAY_PORT", "50999")
    current = config.settings()
    assert current.catalog_port == 50777
    assert current.gateway_port == 50999  # the environment wins over the file


def test_the_command_line_starts_without_loading_grpc_the_database_or_the_services() -> None:
    # `govmesh --help` and every command that makes no call must answer at once: the heavy
    # libraries are imported by the commands that use them, not at start.
    import subprocess
    import sys

    probe = (
        "import sys, govmesh.cli.app; "
        "print(sorted(m for m in ('grpc', 'sqlalchemy', 'cryptography', 'govmesh.services') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
