"""Generated code of the gateway.v1 contract (regenerate with `python -m govmesh.contracts`)."""
