"""Regenerates the Python code of every contract in `protos/` into this tree; `--check` fails when it is stale."""

from __future__ import annotations

import argparse
import filecmp
import re
import shutil
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parents[2]
PROTOS = ROOT / "protos"
CONTRACTS = Path(__file__).resolve().parent
PACKAGE = "govmesh.contracts"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")


def proto_files() -> list[Path]:
    return sorted(PROTOS.rglob("*.proto"))


def generate_into(out_dir: Path) -> None:
    """Runs protoc once over every contract, then roots each file's imports of another contract in this tree."""
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
    for rel in generated_files(out_dir):
        path = out_dir / rel
        path.write_text(root_imports(path.read_text(), contract_packages()))


def contract_packages() -> list[str]:
    return sorted({proto.relative_to(PROTOS).parts[0] for proto in proto_files()})


def root_imports(code: str, packages: list[str]) -> str:
    """`from catalog.v1 import …` becomes `from govmesh.contracts.catalog.v1 import …`.

    protoc names a generated module after the proto's path, so contracts that import each other
    would otherwise need their own top-level packages; rooting them here keeps one tree that a
    client imports without any service.
    """
    pattern = re.compile(rf"^(\s*)from ({'|'.join(map(re.escape, packages))})(\.v\d+) import ", re.MULTILINE)
    return pattern.sub(rf"\1from {PACKAGE}.\2\3 import ", code)


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
                if not (CONTRACTS / rel).exists() or not filecmp.cmp(out / rel, CONTRACTS / rel, shallow=False)
            )
            if stale:
                print("generated code is stale; run `python -m govmesh.contracts`:", *stale, sep="\n  ")
                return 1
            print(f"generated code is fresh ({len(fresh)} files)")
            return 0
        for rel in sorted(fresh):
            (CONTRACTS / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out / rel, CONTRACTS / rel)
        print(f"generated {len(fresh)} files from {len(proto_files())} contracts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
