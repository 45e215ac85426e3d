"""The masters contract's versions."""
