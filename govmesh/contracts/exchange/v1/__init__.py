"""Generated code of the exchange.v1 contract (regenerate with `python -m govmesh.contracts`)."""
