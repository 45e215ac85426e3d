"""The catalog service: departments, subjects and data items, their versions, and record validation."""
