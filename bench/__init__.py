"""govmesh benchmarks: `python -m bench` measures the mesh against same-run baselines, writes docs/benchmarks.md."""
