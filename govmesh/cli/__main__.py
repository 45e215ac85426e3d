"""Runs the govmesh command as `python -m govmesh.cli`."""

from govmesh.cli.app import app

app()
