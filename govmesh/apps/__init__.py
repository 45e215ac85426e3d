"""Applications: clients of the mesh that do what departments do with the shared data."""
