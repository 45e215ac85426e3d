"""The data-quality report as one self-contained HTML page: tables and inline SVG bar charts, nothing fetched."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

_BAR_WIDTH = 360
_ROW_HEIGHT = 22
_LABEL_WIDTH = 220


def _bars(title: str, rows: Sequence[tuple[str, float]]) -> str:
    """A horizontal bar chart of shares (0..1), one bar a row, as inline SVG."""
    height = _ROW_HEIGHT * max(len(rows), 1) + 10
    width = _LABEL_WIDTH + _BAR_WIDTH + 70
    parts = [f'<figure><figcaption>{escape(title)}</figcaption><svg role="img" width="{width}" height="{height}">']
    for index, (label, share) in enumerate(rows):
        y = index * _ROW_HEIGHT + 5
        length = round(_BAR_WIDTH * min(max(share, 0.0), 1.0))
        parts.append(
            f'<text x="0" y="{y + 15}" font-size="12">{escape(label)}</text>'
            f'<rect x="{_LABEL_WIDTH}" y="{y}" width="{length}" height="16" fill="#3b73b9"><title>'
            f"{escape(label)}: {share:.1%}</title></rect>"
            f'<text x="{_LABEL_WIDTH + length + 6}" y="{y + 13}" font-size="12">{share:.1%}</text>'
        )
    parts.append("</svg></figure>")
    return "".join(parts)


def _label(row: Mapping[str, Any]) -> str:
    return f"{row['department']} {row['subject'] or '(loaded)'}"


def _cells(row: Mapping[str, Any]) -> str:
    shown = (row["department"], row["subject"], row["records"], f"{row['invalid_identifier_share']:.1%}",
             row["unmatched"], row["open_reviews"])  # fmt: skip
    return "".join(f"<td>{escape(str(value))}</td>" for value in shown)


def quality_html(report: Mapping[str, Any]) -> str:
    """The page for a report shaped as `govmesh masters quality --json` prints it."""
    rows: list[Mapping[str, Any]] = report["rows"]
    fields = sorted({name for row in rows for name in row["disagreement_shares"]})
    charts = [_bars("Share of invalid identifiers", [(_label(r), r["invalid_identifier_share"]) for r in rows])]
    charts += [
        _bars(f"Share of records disagreeing with the master record on {name}",
              [(_label(r), r["disagreement_shares"].get(name, 0.0)) for r in rows])
        for name in fields
    ]  # fmt: skip
    head = "".join(
        f"<th>{escape(h)}</th>"
        for h in ("department", "subject", "records", "invalid ids", "unmatched", "open reviews")
    )
    body = "".join(f"<tr>{_cells(row)}</tr>" for row in rows)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>govmesh master data quality</title>'
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px 8px}figure{margin:1.5em 0}</style></head><body>"
        f"<h1>Master data quality</h1><p>{report['master_count']} master records.</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{''.join(charts)}</body></html>"
    )
