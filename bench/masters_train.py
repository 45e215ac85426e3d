"""`python -m bench.masters_train [--entities N] [--seed S] [--out FILE]`: retrain the shipped linking model.

Estimates both kinds' Fellegi–Sunter parameters with Splink (the prior from near-certain rules, u by
random sampling, m by expectation maximisation) on the benchmark generator's training part (seed S;
the held-out part, seed S+1, is never seen), and writes them as the versioned file the masters
service and `govmesh masters link` load, one version above the file it replaces.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from bench.masters import Generator, train
from govmesh.services.masters.trained import SHIPPED_MODEL, ModelFileError, load_models, save_models


def _previous_version(path: Path) -> int:
    try:
        return load_models(path).version if path.exists() else 0
    except ModelFileError:
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entities", type=int, default=20_000, help="entities in the training part")
    parser.add_argument("--seed", type=int, default=2009, help="the training part's seed (held out: seed + 1)")
    parser.add_argument("--out", type=Path, default=SHIPPED_MODEL, help="the model file to write")
    args = parser.parse_args()
    started = time.perf_counter()
    records = Generator(args.seed).dataset(args.entities)
    with tempfile.TemporaryDirectory(prefix="masters-train-") as directory:
        models = train(records, Path(directory))
    version = _previous_version(args.out) + 1
    trained_on = f"bench.masters Generator(seed={args.seed}): {args.entities} entities, {len(records)} records"
    save_models(args.out, models, version, trained_on)
    seconds = time.perf_counter() - started
    print(json.dumps({"out": str(args.out), "version": version, "trained_on": trained_on, "seconds": seconds}))


if __name__ == "__main__":
    main()
