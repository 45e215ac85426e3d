"""The catalog's domain: plain models, data standards, validation and compatibility rules."""
