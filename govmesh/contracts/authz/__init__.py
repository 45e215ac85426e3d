"""The authz contract's versions."""
