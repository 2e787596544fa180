"""The pairs table as CSV or JSON (schema "pairs", column names as in crossref.tables).

One row per pair, as the workbook's pair sheets and the dashboard's counts
(:func:`crossref.pairs.one_row_per_pair`): oriented from the certification
listed first to the later, ``direction`` giving the source's scope (broader,
narrower, same); ``reviewer``, ``decided_at`` and ``note`` are columns of their own.

Every export records the run's configuration (``Config.to_dict()``, database
password masked), date and data versions:

* JSON: one object ``{"metadata": {...}, "pairs": [records]}``;
* CSV: a plain table (readable by any CSV reader) plus a sidecar
  ``<file>.meta.json`` holding the same metadata. Text cells that a spreadsheet
  could run as a formula get a leading ``'`` (see crossref.export.safe).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from crossref.errors import CrossrefError
from crossref.export.metadata import recorded_config, tool_version
from crossref.export.safe import csv_text
from crossref.io import atomic_write_many, atomic_write_text
from crossref.tables import validate

PAIR_FORMATS = ("csv", "json")


def export_metadata(results: Any) -> dict[str, Any]:
    """What every export records about the run."""
    return {
        "tool": "crossref",
        "tool_version": tool_version(),
        "created_at": results.created_at,
        "certifications": list(results.corpus.ids),
        "data_versions": dict(results.data_versions),
        "config": recorded_config(results.config),
    }


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def export_pairs(results: Any) -> pd.DataFrame:
    """The exported pairs: the validated table, one row per pair (see the module docstring), with
    their explanations written (the scored table leaves them empty)."""
    from crossref.pairs import one_row_per_pair
    from crossref.explanations import fill_explanations

    return fill_explanations(one_row_per_pair(validate(results.pairs, "pairs"), results.corpus.ids))


def pairs_csv(results: Any) -> str:
    """The exported pairs as CSV text, formula-protected."""
    return csv_text(export_pairs(results))


def pairs_json(results: Any) -> str:
    """The exported pairs as a JSON document with the run's metadata."""
    df = export_pairs(results)
    records = [{k: _jsonable(v) for k, v in r.items()} for r in df.to_dict(orient="records")]
    doc = {"metadata": export_metadata(results), "pairs": records}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def metadata_path(path: str | Path) -> Path:
    """The sidecar of a CSV export: ``pairs.csv`` -> ``pairs.csv.meta.json``."""
    path = Path(path)
    return path.with_name(path.name + ".meta.json")


def write_pairs(path: str | Path, results: Any, fmt: str = "csv") -> Path:
    """Write the pairs table as ``fmt`` ("csv" or "json") atomically; CSV also writes its sidecar."""
    if fmt == "json":
        return atomic_write_text(path, pairs_json(results))
    if fmt == "csv":
        text = pairs_csv(results)  # validated before anything is written
        meta = json.dumps(export_metadata(results), ensure_ascii=False, indent=2) + "\n"
        # Both files or neither: a refused destination never leaves an orphan sidecar.
        meta_path, path = atomic_write_many([
            (metadata_path(path), lambda p: p.write_text(meta, encoding="utf-8", newline="\n")),
            (path, lambda p: p.write_text(text, encoding="utf-8", newline="\n")),
        ])
        return path
    raise CrossrefError(f"format inconnu pour la table des paires : {fmt!r} (csv ou json)")


def read_pairs_csv(path: str | Path) -> pd.DataFrame:
    """Read back a CSV written by :func:`write_pairs` (formula protection undone, schema checked)."""
    from crossref.export.safe import csv_unsafe

    df = pd.read_csv(path, keep_default_na=False, dtype=str)
    df = df.map(csv_unsafe)
    for col in ("score", "semantic", "lexical", "criteria"):
        df[col] = df[col].astype(float)
    df["rank"] = df["rank"].astype(int)
    return validate(df, "pairs")
