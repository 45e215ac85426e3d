"""The gateway: the one public door of the mesh — verifies callers, applies limits, forwards to the services."""
