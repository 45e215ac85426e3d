"""Regenerates the Python code of every contract in `protos/`; `--check` fails when it is stale."""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")


def proto_files() -> list[Path]:
    return sorted(PROTOS.rglob("*.proto"))


def generate_into(out_dir: Path) -> None:
    """Runs protoc once over every contract, landing each file beside its service package."""
    include = str(Path(protoc.__file__).parent / "_proto")
    args = [
        "grpc_tools.protoc",
        f"-I{PROTOS}",
        f"-I{include}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *(str(p) for p in proto_files()),
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")


def generated_files(base: Path) -> set[Path]:
    found: set[Path] = set()
    for proto in proto_files():
        rel = proto.relative_to(PROTOS).with_suffix("")
        for suffix in GENERATED_SUFFIXES:
            candidate = rel.parent / (rel.name + suffix)
            if (base / candidate).exists():
                found.add(candidate)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the generated code is stale")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        generate_into(out)
        fresh = generated_files(out)
        if args.check:
            stale = sorted(
                str(rel)
                for rel in fresh
                if not (ROOT / rel).exists() or not filecmp.cmp(out / rel, ROOT / rel, shallow=False)
            )
            if stale:
                print("generated code is stale; run `python -m govmesh.protogen`:", *stale, sep="\n  ")
                return 1
            print(f"generated code is fresh ({len(fresh)} files)")
            return 0
        for rel in sorted(fresh):
            (ROOT / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out / rel, ROOT / rel)
        print(f"generated {len(fresh)} files from {len(proto_files())} contracts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
