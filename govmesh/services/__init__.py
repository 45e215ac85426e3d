"""The services of the mesh, each its own process, independent of each other in code."""
