"""The mesh runtime shared by every govmesh service: config, server bootstrap, errors, telemetry, database."""
