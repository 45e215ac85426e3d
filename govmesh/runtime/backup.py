"""Backups of the mesh's one database: pg_dump/pg_restore custom format on PostgreSQL, SQLite's online backup API."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

# The first bytes of each format, so a restore never feeds one backend the other's file.
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"


class BackupError(Exception):
    """A backup or restore that cannot be done, with a sentence saying why."""


@dataclass(frozen=True)
class BackupResult:
    """What a backup or restore did, as `govmesh backup --json` prints it."""

    backend: str
    file: Path
    bytes: int
    database: str

    def as_dict(self) -> dict[str, object]:
        return {"backend": self.backend, "file": str(self.file), "bytes": self.bytes, "database": self.database}


def _libpq(url: URL) -> str:
    """The URL as pg_dump and pg_restore take it (no SQLAlchemy driver suffix)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing on disk to back up")
    return Path(url.database)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not on PATH; install the PostgreSQL client tools (Debian: postgresql-client)")
    return found


def _run(command: list[str]) -> None:
    # The URL may carry a password, so the error shows the tool's own message and not the command line.
    completed = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed tools
    if completed.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {completed.stderr.strip() or completed.returncode}")


def backup(database_url: str, file: Path) -> BackupResult:
    """Writes a consistent copy of the live database to `file`, while the services keep running."""
    url = make_url(database_url)
    file.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "postgresql":
        # Custom format: compressed, and pg_restore can restore it into a fresh database in any order.
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={file}", _libpq(url)])
        return BackupResult("postgresql", file, file.stat().st_size, _shown(url))
    if url.get_backend_name() == "sqlite":
        source_path = _sqlite_path(url)
        if not source_path.exists():
            raise BackupError(f"no database at {source_path}")
        partial = file.with_name(f".{file.name}.partial")
        partial.unlink(missing_ok=True)
        # The online backup API copies page by page under SQLite's own locking, WAL contents included,
        # so writers in other processes see no pause beyond a page copy.
        with sqlite3.connect(source_path) as source, sqlite3.connect(partial) as target:
            source.backup(target)
        partial.replace(file)
        return BackupResult("sqlite", file, file.stat().st_size, str(source_path))
    raise BackupError(f"backups of {url.get_backend_name()} databases are not supported")


def backup_format(file: Path) -> str:
    """`sqlite` or `postgresql`, from the file's first bytes; BackupError for anything else."""
    if not file.is_file():
        raise BackupError(f"no backup file at {file}")
    with file.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_CUSTOM_MAGIC):
        return "postgresql"
    raise BackupError(f"{file} is neither a SQLite database nor a pg_dump custom-format archive")


def restore(database_url: str, file: Path) -> BackupResult:
    """Replaces the database's contents with the backup's; the services must be stopped meanwhile."""
    url = make_url(database_url)
    kind = backup_format(file)
    if kind != url.get_backend_name():
        raise BackupError(f"{file} is a {kind} backup; it cannot be restored into a {url.get_backend_name()} database")
    if kind == "postgresql":
        # --clean --if-exists drops what the backup holds first, so restoring over a stale copy works too;
        # --single-transaction leaves the database as it was if anything fails.
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={_libpq(url)}",
                str(file),
            ]
        )
        return BackupResult("postgresql", file, file.stat().st_size, _shown(url))
    target_path = _sqlite_path(url)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(file) as source, sqlite3.connect(target_path) as target:
        source.backup(target)
    return BackupResult("sqlite", file, file.stat().st_size, str(target_path))
