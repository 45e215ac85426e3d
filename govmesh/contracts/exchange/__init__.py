"""The exchange contract's versions."""
