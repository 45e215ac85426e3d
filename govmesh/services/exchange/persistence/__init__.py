"""The exchange's tables, repositories and migrations."""
