"""Where the shipped catalog (46 departments, 269 subjects) lies in the installed package."""

from __future__ import annotations

from pathlib import Path

SEED_DIR = Path(__file__).resolve().parent / "seed"
