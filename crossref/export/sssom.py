"""SSSOM TSV: the competence correspondences in the open Simple Standard for Sharing Ontological
Mappings format (https://mapping-commons.github.io/sssom/).

One mapping per ordered pair (source = subject, target = object) that has a
relation or a reviewer's decision; pairs of relation "none" that nobody reviewed
are not mappings and are left out.

Predicates. ``direction`` in the pairs table is the scope of the SOURCE relative
to the target. In SKOS/SSSOM, ``subject skos:broadMatch object`` means the
OBJECT is broader than the subject. Hence:

==========================  ==================  ====================================
relation / direction        predicate_id        reading
==========================  ==================  ====================================
equivalent, same            skos:exactMatch     same competence
partial, same               skos:closeMatch     overlapping, neither contains the other
any, ``broader``            skos:narrowMatch    source broader = target narrower
any, ``narrower``           skos:broadMatch     source narrower = target broader
==========================  ==================  ====================================

Scope wins over strength: an "equivalent" pair whose source is broader is a
``narrowMatch`` (exactMatch is transitive and would be wrong), its strength is
in ``confidence``.

Review. A suggested mapping is justified by ``semapv:SemanticSimilarityThresholdMatching``
(confidence = score); a reviewed one by ``semapv:ManualMappingCuration`` with the
reviewer as ``author_label`` (the curator who asserted it; names, not ORCIDs,
hence ``*_label`` rather than ``*_id``), confidence 1 and the model score kept in
``similarity_score``. A REJECTED pair is kept as a negative mapping
(``predicate_modifier: Not``) of the predicate the model had suggested
(``model_relation`` + ``direction``; ``skos:relatedMatch`` when the model
suggested nothing), so that consumers learn the suggestion was refused. A pair
validated with relation "none" is ``Not skos:relatedMatch``.

Identifiers. Competence ids ``CERT:CODE`` are CURIEs; the ``curie_map`` expands
each certification prefix to its France Compétences page
(``https://www.francecompetences.fr/recherche/rncp/38938/#``) when register and
number are known, else to ``urn:crossref:CERT:``. The run's configuration
(``Config.to_dict()``, password masked) and data versions are recorded in the
metadata slot ``other``. Text cells go through :func:`crossref.export.safe.csv_safe`
(a leading ``'`` before ``=``, ``+``, ``-``, ``@``, tab, CR) because TSV files are
opened in spreadsheets too.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa

from crossref.export.metadata import recorded_config, tool_version
from crossref.export.safe import csv_text
from crossref.io import atomic_write_text
from crossref.tables import register_schema, validate

EXACT = "skos:exactMatch"
CLOSE = "skos:closeMatch"
BROAD = "skos:broadMatch"
NARROW = "skos:narrowMatch"
RELATED = "skos:relatedMatch"
PREDICATES = [EXACT, CLOSE, BROAD, NARROW, RELATED]
NOT = "Not"
LEXICAL_MATCHING = "semapv:SemanticSimilarityThresholdMatching"
MANUAL_CURATION = "semapv:ManualMappingCuration"
DEFAULT_LICENSE = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
STANDARD_PREFIXES = {
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "semapv": "https://w3id.org/semapv/vocab/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "sssom": "https://w3id.org/sssom/",
}
REGISTER_PAGES = {
    "RNCP": "https://www.francecompetences.fr/recherche/rncp/{number}/#",
    "RS": "https://www.francecompetences.fr/recherche/rs/{number}/#",
}

SSSOM_COLUMNS = [
    "subject_id", "subject_label", "predicate_id", "predicate_modifier", "object_id", "object_label",
    "mapping_justification", "confidence", "similarity_score", "author_label", "mapping_date", "comment",
]

_CURIE = pa.Check.str_matches(r"^[A-Za-z_][A-Za-z0-9_.-]*:[^\s]+$")
_UNIT = [pa.Check.ge(0.0), pa.Check.le(1.0)]
register_schema("sssom", pa.DataFrameSchema(
    {
        "subject_id": pa.Column(str, _CURIE),
        "subject_label": pa.Column(str),
        "predicate_id": pa.Column(str, pa.Check.isin(PREDICATES)),
        "predicate_modifier": pa.Column(str, pa.Check.isin(["", NOT])),
        "object_id": pa.Column(str, _CURIE),
        "object_label": pa.Column(str),
        "mapping_justification": pa.Column(str, pa.Check.isin([LEXICAL_MATCHING, MANUAL_CURATION])),
        "confidence": pa.Column(float, _UNIT),
        "similarity_score": pa.Column(float, _UNIT),
        "author_label": pa.Column(str),
        "mapping_date": pa.Column(str, pa.Check.str_matches(r"^(\d{4}-\d{2}-\d{2})?$")),
        "comment": pa.Column(str),
    },
    strict=True,
    ordered=True,
    unique=["subject_id", "object_id"],
))


def predicate(relation: str, direction: str) -> str:
    """The SKOS predicate of ``source <predicate> target`` (see the module docstring)."""
    if direction == "broader":  # source broader: the object (target) is narrower
        return NARROW
    if direction == "narrower":  # source narrower: the object (target) is broader
        return BROAD
    if relation == "equivalent":
        return EXACT
    if relation == "partial":
        return CLOSE
    return RELATED


def mapping_predicate(row: dict) -> tuple[str, str]:
    """(predicate_id, predicate_modifier) of a pairs-table row."""
    if row["status"] == "rejected":
        model = row["model_relation"]
        return (predicate(model, row["direction"]) if model != "none" else RELATED), NOT
    if row["relation"] == "none":  # validated as "no relation"
        return RELATED, NOT
    return predicate(row["relation"], row["direction"]), ""


def _iso_date(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        return value[:10] if re.match(r"^\d{4}-\d{2}-\d{2}", value) else ""


def _one_line(text: Any) -> str:
    """TSV cells hold one line: tabs and line breaks become spaces."""
    return re.sub(r"\s+", " ", str(text or "")).strip()


def sssom_table(results: Any) -> pd.DataFrame:
    """The mappings (schema "sssom"), sorted by subject then object."""
    pairs = validate(results.pairs, "pairs")
    keep = pairs["relation"].isin(["equivalent", "partial"]) | pairs["status"].isin(["validated", "rejected"])
    run_date = _iso_date(results.created_at)
    corpus = results.corpus
    rows = []
    from crossref.explanations import fill_explanations

    for r in fill_explanations(pairs[keep]).to_dict(orient="records"):
        pred, modifier = mapping_predicate(r)
        curated = r["status"] in ("validated", "rejected")
        comment = _one_line(r["explanation"])
        if r["note"]:
            comment = (comment + " — " if comment else "") + "Note : " + _one_line(r["note"])
        rows.append({
            "subject_id": r["source"],
            "subject_label": _one_line(_label(corpus, r["source"])),
            "predicate_id": pred,
            "predicate_modifier": modifier,
            "object_id": r["target"],
            "object_label": _one_line(_label(corpus, r["target"])),
            "mapping_justification": MANUAL_CURATION if curated else LEXICAL_MATCHING,
            "confidence": 1.0 if curated else float(r["score"]),
            "similarity_score": float(r["score"]),
            "author_label": _one_line(r["reviewer"]) if curated else "",
            "mapping_date": (_iso_date(r["decided_at"]) or run_date) if curated else run_date,
            "comment": comment,
        })
    df = pd.DataFrame(rows, columns=SSSOM_COLUMNS)
    for col in SSSOM_COLUMNS:
        df[col] = df[col].astype(float if col in ("confidence", "similarity_score") else str)
    df = df.sort_values(["subject_id", "object_id"], kind="mergesort").reset_index(drop=True)
    return validate(df, "sssom")


def _label(corpus: Any, comp_id: str) -> str:
    try:
        return corpus.competence(comp_id).title
    except KeyError:
        return ""


def curie_map(results: Any) -> dict[str, str]:
    """Prefix -> URI base for every certification, plus the standard vocabularies."""
    out: dict[str, str] = {}
    for cert in results.corpus:
        page = REGISTER_PAGES.get(cert.register.upper()) if cert.number else None
        out[cert.id] = page.format(number=cert.number) if page else f"urn:crossref:{cert.id}:"
    out.update(STANDARD_PREFIXES)
    return out


def metadata(results: Any, *, license: str = DEFAULT_LICENSE,
             mapping_set_id: str | None = None) -> dict[str, Any]:
    """The mapping-set metadata written as the ``#`` header."""
    conf = recorded_config(results.config)
    date = _iso_date(results.created_at) or datetime.now(timezone.utc).date().isoformat()
    if mapping_set_id is None:
        digest = hashlib.sha256(json.dumps(
            {"config": conf, "data": results.data_versions, "created_at": results.created_at},
            sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]
        mapping_set_id = f"urn:crossref:mapping-set:{date}:{digest}"
    ids = ", ".join(results.corpus.ids)
    other = {"crossref_config": conf, "data_versions": results.data_versions,
             "created_at": results.created_at}
    return {
        "curie_map": curie_map(results),
        "mapping_set_id": mapping_set_id,
        "mapping_set_title": f"Correspondances de compétences entre certifications ({ids})",
        "mapping_set_description": (
            "Correspondances entre compétences de certifications professionnelles françaises "
            "(RNCP, RS), proposées par similarité sémantique et lexicale puis revues par des "
            "chargés de certification. Sujet = compétence source, objet = compétence cible."
        ),
        "license": license,
        "mapping_tool": "crossref",
        "mapping_tool_version": tool_version(),
        "mapping_date": date,
        "other": json.dumps(other, ensure_ascii=False, sort_keys=True),
    }


def _yaml_scalar(value: Any) -> str:
    # JSON strings are valid YAML double-quoted scalars.
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else json.dumps(value)


def render_sssom(results: Any, **meta: Any) -> str:
    """The whole SSSOM TSV text: ``#`` YAML metadata, then the table."""
    md = metadata(results, **meta)
    lines = []
    for key, value in md.items():
        if isinstance(value, dict):
            lines.append(f"#{key}:")
            lines += [f"#  {k}: {_yaml_scalar(v)}" for k, v in value.items()]
        else:
            lines.append(f"#{key}: {_yaml_scalar(value)}")
    body = csv_text(sssom_table(results), sep="\t", float_format="%.4f")
    return "\n".join(lines) + "\n" + body


def write_sssom(path: str | Path, results: Any, **meta: Any) -> Path:
    """Write the SSSOM TSV atomically (``license=``, ``mapping_set_id=`` override the defaults)."""
    return atomic_write_text(path, render_sssom(results, **meta))
