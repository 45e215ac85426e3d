"""Generated code of the masters.v1 contract (regenerate with `python -m govmesh.contracts`)."""
