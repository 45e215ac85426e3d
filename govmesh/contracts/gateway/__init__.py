"""The gateway contract's versions."""
