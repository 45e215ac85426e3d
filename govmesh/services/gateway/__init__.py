"""The gateway: the one public door of the mesh — verifies callers, applies limits, forwards to the services.

Rooms as in every service: `domain/` (limits and budgets, the coarse call check: pure), `usecases`
(what the gateway answers itself), `servicer` and the doors (gRPC proxy, `httpface/`), `convert`, `main`.
It has no `persistence/`: the gateway stores nothing, so any replica can take any call.
"""
