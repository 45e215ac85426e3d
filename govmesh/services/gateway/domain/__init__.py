"""The gateway's plain model: per-principal limits and budgets, and the coarse may-this-caller-call-this check."""
