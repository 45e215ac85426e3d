"""Generated code of the catalog.v1 contract (regenerate with `python -m govmesh.contracts`)."""
