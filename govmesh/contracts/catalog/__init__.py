"""The catalog contract's versions."""
