"""Exports of a run's results: Excel workbook, CSV, JSON, SSSOM TSV, GraphML.

:func:`export` picks the writer from the format (or the file extension). Every
writer validates its tables against a declared schema first, records the run's
configuration, writes atomically (a failure leaves any previous file intact) and
never lets a text cell become a spreadsheet formula (see :mod:`crossref.export.safe`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crossref.errors import CrossrefError

FORMATS = ("xlsx", "csv", "json", "sssom", "graphml")
# Longest suffix first: "x.sssom.tsv" is SSSOM.
EXTENSIONS = {
    ".sssom.tsv": "sssom",
    ".tsv": "sssom",
    ".xlsx": "xlsx",
    ".csv": "csv",
    ".json": "json",
    ".graphml": "graphml",
}


def infer_format(path: str | Path) -> str:
    """The export format of a file name, from its extension."""
    name = Path(path).name.lower()
    for ext, fmt in EXTENSIONS.items():
        if name.endswith(ext):
            return fmt
    known = ", ".join(EXTENSIONS)
    raise CrossrefError(
        f"{path}: extension non reconnue (attendu : {known}) ; précisez --format {'|'.join(FORMATS)}"
    )


def export(results: Any, path: str | Path, fmt: str | None = None) -> Path:
    """Write ``results`` to ``path`` in ``fmt`` (default: from the extension); returns the path."""
    fmt = fmt or infer_format(path)
    if fmt == "xlsx":
        from crossref.export.xlsx import write_workbook

        return write_workbook(path, results)
    if fmt in ("csv", "json"):
        from crossref.export.tables import write_pairs

        return write_pairs(path, results, fmt)
    if fmt == "sssom":
        from crossref.export.sssom import write_sssom

        return write_sssom(path, results)
    if fmt == "graphml":
        from crossref.graph import build_graph, write_graphml

        return Path(write_graphml(build_graph(results), path))  # atomic itself
    raise CrossrefError(f"format d'export inconnu : {fmt!r} (formats : {', '.join(FORMATS)})")


__all__ = ["FORMATS", "EXTENSIONS", "infer_format", "export"]
