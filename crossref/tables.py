"""Every table crossref writes, built from the library's objects and checked against a declared schema."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pandera.pandas as pa

from crossref.errors import CrossrefError
from crossref.model import RELATIONS, Corpus

ID = pa.Check.str_matches(r"^[A-Za-z0-9_-]+:[^\s:]+$")
# Scope of the source competence relative to the target: "same" scope, source
# "broader" (it covers all of the target and more), source "narrower" (it covers
# only part of the target).
DIRECTIONS = ["same", "broader", "narrower"]
STATUSES = ["suggested", "validated", "rejected"]
UNIT = [pa.Check.ge(0.0), pa.Check.le(1.0)]

SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "competences": pa.DataFrameSchema(
        {
            "id": pa.Column(str, ID, unique=True),
            "certification": pa.Column(str),
            "bloc": pa.Column(str, ID),
            "code": pa.Column(str),
            "title": pa.Column(str),
            "statement": pa.Column(str, pa.Check.str_length(min_value=1)),
            "criteria_count": pa.Column(int, pa.Check.ge(0)),
        },
        strict=True,
        ordered=True,
    ),
    # One row per ordered pair (source, target) of competences of different
    # certifications, reviewed decisions applied (see crossref.review): every such
    # pair in a small corpus, the candidate, proposed and reviewed pairs beyond
    # matching.max_block_pairs (crossref.scoring). "explanation" is empty in the
    # scored table: crossref.explanations.fill_explanations writes it for the rows shown
    # or exported.
    "pairs": pa.DataFrameSchema(
        {
            "source": pa.Column(str, ID),
            "target": pa.Column(str, ID),
            "source_cert": pa.Column(str),
            "target_cert": pa.Column(str),
            "source_bloc": pa.Column(str, ID),
            "target_bloc": pa.Column(str, ID),
            "score": pa.Column(float, UNIT),          # final calibrated score
            "semantic": pa.Column(float, UNIT),       # score parts
            "lexical": pa.Column(float, UNIT),
            "criteria": pa.Column(float, UNIT),
            "rank": pa.Column(int, pa.Check.ge(1)),   # rank of target among source's candidates in target_cert
            "relation": pa.Column(str, pa.Check.isin(RELATIONS)),
            "direction": pa.Column(str, pa.Check.isin(DIRECTIONS)),
            "model_relation": pa.Column(str, pa.Check.isin(RELATIONS)),  # before review
            "status": pa.Column(str, pa.Check.isin(STATUSES)),
            "reviewer": pa.Column(str),
            "decided_at": pa.Column(str),
            "note": pa.Column(str),
            "source_phrase": pa.Column(str),  # best-aligned clauses
            "target_phrase": pa.Column(str),
            "shared_terms": pa.Column(str),   # "; "-separated
            "explanation": pa.Column(str),
        },
        strict=True,
        ordered=True,
        unique=["source", "target"],
    ),
}

PAIR_COLUMNS = list(SCHEMAS["pairs"].columns)

# What `crossref pairs` prints by default.
SCHEMAS["pairs_summary"] = pa.DataFrameSchema(
    {
        "source": pa.Column(str, ID),
        "target": pa.Column(str, ID),
        "score": pa.Column(float, UNIT),
        "relation": pa.Column(str, pa.Check.isin(RELATIONS)),
        "explanation": pa.Column(str),
    },
    strict=True,
    ordered=True,
)


def pairs_summary_table(pairs: pd.DataFrame) -> pd.DataFrame:
    from crossref.explanations import fill_explanations

    out = fill_explanations(pairs)[list(SCHEMAS["pairs_summary"].columns)]
    out["score"] = out["score"].round(4)
    return validate(out, "pairs_summary")


def validate(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """Check a table against its declared schema before anything writes it."""
    try:
        return SCHEMAS[name].validate(df)
    except (pa.errors.SchemaError, pa.errors.SchemaErrors) as exc:
        raise CrossrefError(f"table {name!r} does not match its schema: {exc}") from None


def register_schema(name: str, schema: pa.DataFrameSchema) -> None:
    SCHEMAS[name] = schema


def competences_table(corpus: Corpus) -> pd.DataFrame:
    rows = [
        {
            "id": c.id,
            "certification": cert.id,
            "bloc": c.bloc_id,
            "code": c.code,
            "title": c.title,
            "statement": c.statement,
            "criteria_count": len(cert.criteria_for(c)),
        }
        for cert in corpus
        for c in cert.competences
    ]
    return validate(pd.DataFrame(rows, columns=list(SCHEMAS["competences"].columns)), "competences")


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and value != value:  # NaN
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def render_table(df: pd.DataFrame, fmt: str, name: str) -> str:
    """CSV or JSON text of a validated table (JSON: a list of records)."""
    df = validate(df, name)
    if fmt == "csv":
        from crossref.export.safe import csv_text

        return csv_text(df)  # the one CSV writer: no cell can become a spreadsheet formula
    if fmt == "json":
        records = [{k: _jsonable(v) for k, v in r.items()} for r in df.to_dict(orient="records")]
        return json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    raise CrossrefError(f"unknown format {fmt!r} (csv or json)")
