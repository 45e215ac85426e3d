"""The catalog's shared model: subjects, items, data standards and record validation."""
