"""The ground floor: server bootstrap, interceptors, errors, identity, config, telemetry, database, paging."""
