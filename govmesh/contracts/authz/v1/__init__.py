"""Generated code of the authz.v1 contract (regenerate with `python -m govmesh.contracts`)."""
