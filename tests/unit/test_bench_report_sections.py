"""Rewriting docs/benchmarks.md keeps every section another command or a person put between markers."""

from __future__ import annotations

import re
from pathlib import Path

from bench.__main__ import kept_sections

DOCS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"


def test_every_marked_section_of_the_benchmarks_page_survives_a_rewrite() -> None:
    text = DOCS.read_text(encoding="utf-8")
    opened = len(re.findall(r"<!-- [\w -]+? figures: ", text))
    kept = kept_sections(text)
    assert len(kept) == opened, "a section's markers do not pair up: `python -m bench` would drop it"
    for name in ("master records", "soak", "demo"):
        assert any(section.startswith(f"<!-- {name} figures:") for section in kept), name


def test_a_section_run_by_hand_is_kept_with_its_heading_and_figures() -> None:
    text = (
        "intro\n<!-- soak figures: from `govmesh soak`, run by hand -->\n"
        "## Soak\n| a | b |\n<!-- end of soak figures -->\n"
    )
    (section,) = kept_sections(text)
    assert "## Soak" in section and section.endswith("<!-- end of soak figures -->\n")
