"""The masters service: one master record per real person or enterprise, linked to departments' records."""
