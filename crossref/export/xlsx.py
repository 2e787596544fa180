"""The Excel workbook officers hand in: summary, bloc matrices, one sheet per certification pair,
passerelles and clusters.

Every table is built as a DataFrame with French headers, checked against its
declared schema (``export_*`` in :data:`crossref.tables.SCHEMAS`), then laid out:
bold frozen header row, auto-filter, widths from the content (capped), long texts
wrapped. Every text cell goes through :func:`crossref.export.safe.write_cell`, so
no cell is ever a formula. The file is written atomically.
"""

from __future__ import annotations

import json
import re
from copy import copy
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd
import pandera.pandas as pa
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from crossref.export.metadata import backends_text, flatten_config, recorded_config, tool_version
from crossref.export.safe import write_cell
from crossref.io import atomic_write
from crossref.labels import (
    COMPETENCE_COVERED, COMPETENCE_MISSING, COMPETENCE_PARTIAL, DIRECTION_FR, RELATION_FR, REVIEW_STATUS_FR,
    STATUS_FULL, STATUS_PARTIAL, french_date, french_datetime,
    de, explanation_fr, fr_number, pair_list_fr,
)
from crossref.model import Corpus
from crossref.tables import ID, register_schema, validate

SHEET_SUMMARY = "Synthèse"
SHEET_MATRICES = "Matrices"
SHEET_PASSERELLES = "Passerelles"
SHEET_CLUSTERS = "Clusters"
RESERVED_SHEETS = (SHEET_SUMMARY, SHEET_MATRICES, SHEET_PASSERELLES, SHEET_CLUSTERS)
PAIR_SHEET_SEPARATOR = "–"  # en dash: "ICD–NEOMA"
MAX_SHEET_NAME = 31
# Pairs listed on the certification-pair sheets: a relation, or a reviewer's decision.
LISTED_RELATIONS = ("equivalent", "partial")
LISTED_STATUSES = ("validated", "rejected")

MIN_WIDTH = 8
MAX_WIDTH = 60
WRAP_WIDTH = 50  # width of wrapped long-text columns
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TITLE_FONT = Font(bold=True, size=12)
TOP = Alignment(vertical="top")
WRAP = Alignment(vertical="top", wrap_text=True)
HEADER_ALIGN = Alignment(vertical="top", wrap_text=True)
# Coverage colour scale: white (0 %) -> green (100 %).
SCALE_START = "FFFFFF"
SCALE_END = "63BE7B"
PERCENT = "0%"
DECIMAL = "0.00"

_UNIT = [pa.Check.ge(0.0), pa.Check.le(1.0)]
_RELATIONS_FR = list(RELATION_FR.values())
_DIRECTIONS_FR = list(DIRECTION_FR.values())



def _schema(columns: dict[str, pa.Column], **kw: Any) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(columns, strict=True, ordered=True, **kw)


# ---------------------------------------------------------------- schemas
CERTIFICATION_COLUMNS = ["Certification", "Intitulé", "Registre", "Numéro", "Certificateur", "Niveau",
                         "Validation", "Blocs", "Compétences", "Version des données"]
SUMMARY_COLUMNS = ["Rubrique", "Valeur"]
MATRIX_COLUMNS = ["source_cert", "target_cert", "source_bloc", "target_bloc", "coverage", "best_pairs"]
# One row per pair, oriented from the sheet's first certification to its second; the scope column
# says which side is broader. Reviewer, date and note are columns of their own (filterable).
PAIR_SHEET_COLUMNS = [
    "Compétence source", "Bloc source", "Intitulé source", "Énoncé source",
    "Compétence cible", "Bloc cible", "Intitulé cible", "Énoncé cible",
    "Score", "Part sémantique", "Part lexicale", "Part critères",
    "Relation", "Portée de la source", "Relation proposée par le modèle", "Statut", "Évaluateur",
    "Date de la décision", "Note", "Termes communs", "Explication",
]
PASSERELLE_COLUMNS = [
    "Certification détenue", "Certification visée", "Bloc visé", "Intitulé du bloc",
    "Compétences du bloc", "Couverture", "Statut du bloc", "Compétences couvertes",
    "Correspondances retenues", "Compétences partiellement couvertes", "Compétences à justifier",
    "Statut de la certification", "Explication",
]
CLUSTER_COLUMNS = ["Groupe", "Libellé du groupe", "Certification", "Compétence", "Intitulé", "Énoncé"]

register_schema("export_certifications", _schema({
    "Certification": pa.Column(str, unique=True),
    "Intitulé": pa.Column(str),
    "Registre": pa.Column(str),
    "Numéro": pa.Column(str),
    "Certificateur": pa.Column(str),
    "Niveau": pa.Column(str),
    "Validation": pa.Column(str, pa.Check.isin(["par blocs", "indivisible"])),
    "Blocs": pa.Column(int, pa.Check.ge(0)),
    "Compétences": pa.Column(int, pa.Check.ge(0)),
    "Version des données": pa.Column(str),
}))
register_schema("export_summary", _schema({
    "Rubrique": pa.Column(str, pa.Check.str_length(min_value=1)),
    "Valeur": pa.Column(str),
}))
# The long coverage table the "Matrices" sheet is laid out from (crossref.coverage.matrix_table).
register_schema("export_matrix", _schema({
    "source_cert": pa.Column(str),
    "target_cert": pa.Column(str),
    "source_bloc": pa.Column(str, ID),
    "target_bloc": pa.Column(str, ID),
    "coverage": pa.Column(float, _UNIT, nullable=True),
    "best_pairs": pa.Column(str),
}))
register_schema("export_pairs", _schema({
    "Compétence source": pa.Column(str, ID),
    "Bloc source": pa.Column(str),
    "Intitulé source": pa.Column(str),
    "Énoncé source": pa.Column(str),
    "Compétence cible": pa.Column(str, ID),
    "Bloc cible": pa.Column(str),
    "Intitulé cible": pa.Column(str),
    "Énoncé cible": pa.Column(str),
    "Score": pa.Column(float, _UNIT),
    "Part sémantique": pa.Column(float, _UNIT),
    "Part lexicale": pa.Column(float, _UNIT),
    "Part critères": pa.Column(float, _UNIT, nullable=True),  # empty: no critères of their own to compare
    "Relation": pa.Column(str, pa.Check.isin(_RELATIONS_FR)),
    "Portée de la source": pa.Column(str, pa.Check.isin(_DIRECTIONS_FR)),
    "Relation proposée par le modèle": pa.Column(str, pa.Check.isin(_RELATIONS_FR)),
    "Statut": pa.Column(str, pa.Check.isin(list(REVIEW_STATUS_FR.values()))),
    "Évaluateur": pa.Column(str),
    "Date de la décision": pa.Column(str),
    "Note": pa.Column(str),
    "Termes communs": pa.Column(str),
    "Explication": pa.Column(str),
}, unique=["Compétence source", "Compétence cible"]))
register_schema("export_passerelles", _schema({
    "Certification détenue": pa.Column(str),
    "Certification visée": pa.Column(str),
    "Bloc visé": pa.Column(str, ID),
    "Intitulé du bloc": pa.Column(str),
    "Compétences du bloc": pa.Column(int, pa.Check.ge(0)),
    "Couverture": pa.Column(float, _UNIT),
    "Statut du bloc": pa.Column(str),
    "Compétences couvertes": pa.Column(int, pa.Check.ge(0)),
    "Correspondances retenues": pa.Column(str),
    "Compétences partiellement couvertes": pa.Column(str),
    "Compétences à justifier": pa.Column(str),
    "Statut de la certification": pa.Column(str),
    "Explication": pa.Column(str),
}, unique=["Certification détenue", "Certification visée", "Bloc visé"]))
register_schema("export_clusters", _schema({
    "Groupe": pa.Column(int),
    "Libellé du groupe": pa.Column(str),
    "Certification": pa.Column(str),
    "Compétence": pa.Column(str, ID, unique=True),
    "Intitulé": pa.Column(str),
    "Énoncé": pa.Column(str),
}))

# Columns wrapped and given a fixed width, and number formats, by header.
LONG_TEXT = {
    "Intitulé", "Énoncé", "Énoncé source", "Énoncé cible", "Intitulé source", "Intitulé cible",
    "Bloc source", "Bloc cible", "Explication", "Note", "Termes communs", "Valeur",
    "Correspondances retenues", "Compétences partiellement couvertes", "Compétences à justifier",
    "Intitulé du bloc", "Libellé du groupe",
}
NUMBER_FORMATS = {
    "Score": DECIMAL, "Part sémantique": DECIMAL, "Part lexicale": DECIMAL, "Part critères": DECIMAL,
    "Couverture": PERCENT,
}


# ---------------------------------------------------------------- helpers
def _frame(rows: list[dict], columns: list[str], types: Mapping[str, type] | None = None) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    for col, typ in (types or {}).items():
        df[col] = df[col].astype(typ)
    for col in columns:
        if col not in (types or {}):
            df[col] = df[col].astype(str)
    return df


def _comp_texts(corpus: Corpus, comp_id: str) -> tuple[str, str]:
    try:
        c = corpus.competence(comp_id)
    except KeyError:
        return "", ""
    return c.title, c.statement


def _bloc_label(corpus: Corpus, bloc_id: str) -> str:
    try:
        b = corpus.bloc(bloc_id)
    except KeyError:
        return bloc_id
    return f"{b.id} — {b.title}" if b.title else b.id


def _with_titles(corpus: Corpus, ids: str) -> str:
    """"A:C1; A:C2" -> one "A:C1 — title" per line."""
    out = []
    for cid in [i.strip() for i in (ids or "").split(";") if i.strip()]:
        title, _ = _comp_texts(corpus, cid)
        out.append(f"{cid} — {title}" if title else cid)
    return "\n".join(out)


def sheet_name(a: str, b: str, taken: Iterable[str] = ()) -> str:
    """"ICD–NEOMA": at most 31 characters, none of []:*?/\\, unique (case-insensitively) among ``taken``."""
    clean = [re.sub(r"[\[\]:*?/\\']", "_", x) for x in (a, b)]
    room = MAX_SHEET_NAME - len(PAIR_SHEET_SEPARATOR)
    left = clean[0][: max(room // 2, room - len(clean[1]))]
    right = clean[1][: room - len(left)]
    base = f"{left}{PAIR_SHEET_SEPARATOR}{right}"
    used = {t.lower() for t in taken}
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name = base[: MAX_SHEET_NAME - len(suffix)] + suffix
        n += 1
    return name


def _text_width(value: Any, number_format: str | None) -> int:
    if value is None or (isinstance(value, float) and value != value):
        return 0
    if number_format:
        return 6
    return max((len(line) for line in str(value).split("\n")), default=0)


def write_table(ws, df: pd.DataFrame, schema: str, *, start_row: int = 1, freeze: bool = True,
                autofilter: bool = True) -> int:
    """Validate ``df`` against ``schema`` and lay it out from ``start_row``; returns the last row written.

    Header: bold, filled, wrapped; frozen and filtered when asked. Long-text
    columns (:data:`LONG_TEXT`) are wrapped at a fixed width, other widths follow
    the content between :data:`MIN_WIDTH` and :data:`MAX_WIDTH`.
    """
    df = validate(df, schema)
    columns = list(df.columns)
    for j, name in enumerate(columns, start=1):
        cell = write_cell(ws, start_row, j, name)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = HEADER_ALIGN
    widths = [len(name) + 2 for name in columns]
    formats = [NUMBER_FORMATS.get(name) for name in columns]
    # Style each column once, then copy its style array to the other cells (openpyxl
    # re-hashes style objects on every assignment, which dominates large sheets).
    protos: list[Any] = [None] * len(columns)
    for i, record in enumerate(df.itertuples(index=False, name=None), start=start_row + 1):
        for j, value in enumerate(record, start=1):
            if protos[j - 1] is not None:
                ws.cell(row=i, column=j)._style = copy(protos[j - 1])
                cell = write_cell(ws, i, j, value)  # after the copy: may add quotePrefix
            else:
                cell = write_cell(ws, i, j, value)
                if formats[j - 1]:
                    cell.number_format = formats[j - 1]
                cell.alignment = WRAP if columns[j - 1] in LONG_TEXT else TOP
                if not cell.quotePrefix:
                    protos[j - 1] = copy(cell._style)
            widths[j - 1] = max(widths[j - 1], _text_width(cell.value, formats[j - 1]) + 2)
    last_row = start_row + len(df)
    for j, name in enumerate(columns, start=1):
        letter = get_column_letter(j)
        width = min(widths[j - 1], WRAP_WIDTH) if name in LONG_TEXT else min(widths[j - 1], MAX_WIDTH)
        width = max(width, MIN_WIDTH)
        current = ws.column_dimensions[letter].width
        if not ws.column_dimensions[letter].customWidth or (current or 0) < width:
            ws.column_dimensions[letter].width = width
    if freeze:
        ws.freeze_panes = ws.cell(row=start_row + 1, column=1).coordinate
        ws.print_title_rows = f"{start_row}:{start_row}"  # header repeated on printed pages
    if autofilter:
        ws.auto_filter.ref = f"A{start_row}:{get_column_letter(len(columns))}{max(last_row, start_row)}"
    return last_row


# ---------------------------------------------------------------- tables
def certifications_table(results: Any) -> pd.DataFrame:
    """Summary sheet, first table: one row per certification."""
    rows = [{
        "Certification": c.id,
        "Intitulé": c.title,
        "Registre": c.register,
        "Numéro": c.number,
        "Certificateur": c.certifier,
        "Niveau": c.level,
        "Validation": "indivisible" if c.indivisible else "par blocs",
        "Blocs": len(c.blocs),
        "Compétences": len(c.competences),
        "Version des données": str(results.data_versions.get(c.id, "")),
    } for c in results.corpus]
    return _frame(rows, CERTIFICATION_COLUMNS, {"Blocs": int, "Compétences": int})


def listed_pairs(pairs: pd.DataFrame, cert_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """Pairs shown on the certification-pair sheets: equivalent/partial, or validated/rejected,
    each once (:func:`crossref.pairs.one_row_per_pair`, the rows of the CSV / JSON exports)."""
    from crossref.pairs import one_row_per_pair

    one = one_row_per_pair(pairs, cert_ids)
    return one[one["relation"].isin(LISTED_RELATIONS) | one["status"].isin(LISTED_STATUSES)]


def calibration_rows(path: str) -> list[tuple[str, str]]:
    """Thresholds and out-of-sample quality of the calibration artifact the results were computed with."""
    from crossref.calibration import load_artifact
    from crossref.errors import ConfigError

    try:
        art = load_artifact(path)
    except ConfigError:
        return [("Calibration", f"artefact illisible : {path}")]
    from crossref.views import matcher_quality_text

    prov = art.provenance
    return [
        (f"Seuil « {RELATION_FR['equivalent']} » (probabilité)", fr_number(art.model.equivalent_threshold)),
        (f"Seuil « {RELATION_FR['partial']} » (probabilité)", fr_number(art.model.partial_threshold)),
        ("Calibration", f"ajustée le {french_datetime(prov.get('created_at', '')) or '—'} sur "
                        f"{prov.get('reference_pairs', '—')} paires de référence"),
        ("Qualité des suggestions", matcher_quality_text(prov)),
    ]


def summary_table(results: Any) -> pd.DataFrame:
    """Summary sheet, second table: run information, counts, model, thresholds, full configuration."""
    pairs = results.pairs
    conf = recorded_config(results.config)
    match = conf.get("matching", {})
    pas = conf.get("passerelles", {})
    from crossref.views import pair_counts

    from crossref.pairs import one_row_per_pair

    n_listed = len(listed_pairs(pairs, results.corpus.ids))
    n_pairs = len(one_row_per_pair(pairs, results.corpus.ids))
    counts = pair_counts(pairs)  # the dashboard's counts: each pair once
    rows: list[tuple[str, str]] = [
        ("Date des résultats", french_datetime(results.created_at or "")),
        ("Outil", f"crossref {tool_version()}"),
        ("Certifications comparées", ", ".join(results.corpus.ids)),
        ("Paires de compétences évaluées", str(n_pairs)),
        ("Correspondances équivalentes", str(counts["equivalent"])),
        ("Correspondances partielles", str(counts["partial"])),
        ("Paires validées", str(counts["validated"])),
        ("Paires rejetées", str(counts["rejected"])),
        ("Modèle (similarité)", backends_text(conf)),
        *calibration_rows(match.get("calibration", "")),
        (f"Seuil « {STATUS_FULL} » (couverture)", fr_number(pas.get("full_coverage"))),
        (f"Seuil « {STATUS_PARTIAL} » (couverture)", fr_number(pas.get("partial_coverage"))),
        ("Feuilles par paire de certifications",
         f"{n_listed} paires listées : celles de relation équivalente ou partielle et celles revues "
         f"(validées ou rejetées). Les {n_pairs - n_listed} paires de relation « aucune » non revues "
         "ne sont pas listées ; elles figurent dans les exports CSV et JSON, qui ont les mêmes lignes. "
         "Chaque paire figure une fois, "
         "de la première certification de la feuille vers la seconde ; la colonne « Portée de la source » "
         "dit laquelle des deux compétences couvre plus large."),
        ("Matrices",
         "Pour chaque couple de certifications A → B : part de chaque bloc de B (colonnes) couverte par "
         "chaque bloc de A (lignes), de 0 % (blanc) à 100 % (vert)."),
    ]
    rows += [(f"Version des données : {cid}", str(v)) for cid, v in results.data_versions.items()]
    rows += [(f"Configuration : {key}", value) for key, value in flatten_config(conf)]
    rows.append(("Configuration complète (JSON)", json.dumps(conf, ensure_ascii=False, sort_keys=True)))
    return _frame([dict(zip(SUMMARY_COLUMNS, r)) for r in rows], SUMMARY_COLUMNS)


def pair_sheet_table(results: Any, a: str, b: str) -> pd.DataFrame:
    """Listed pairs between certifications ``a`` and ``b``: one row per pair, oriented a → b."""
    pairs = listed_pairs(results.pairs, results.corpus.ids)
    sub = pairs[((pairs["source_cert"] == a) & (pairs["target_cert"] == b))
                | ((pairs["source_cert"] == b) & (pairs["target_cert"] == a))]
    order = {c.id: k for k, c in enumerate(results.corpus.competences())}
    sub = sub.assign(_s=sub["source"].map(lambda x: order.get(x, len(order)))).sort_values(
        ["_s", "score"], ascending=[True, False], kind="mergesort")
    from crossref.views import criteria_comparable

    from crossref.explanations import fill_explanations

    corpus = results.corpus
    rows = []
    for r in fill_explanations(sub).to_dict(orient="records"):
        s_title, s_text = _comp_texts(corpus, r["source"])
        t_title, t_text = _comp_texts(corpus, r["target"])
        reviewed = r["status"] != "suggested"
        rows.append({
            "Compétence source": r["source"],
            "Bloc source": _bloc_label(corpus, r["source_bloc"]),
            "Intitulé source": s_title,
            "Énoncé source": s_text,
            "Compétence cible": r["target"],
            "Bloc cible": _bloc_label(corpus, r["target_bloc"]),
            "Intitulé cible": t_title,
            "Énoncé cible": t_text,
            "Score": float(r["score"]),
            "Part sémantique": float(r["semantic"]),
            "Part lexicale": float(r["lexical"]),
            # as on screen: only when both competences have critères of their own (else it reads 0,00)
            "Part critères": float(r["criteria"]) if criteria_comparable(corpus, r["source"], r["target"]) else None,
            "Relation": RELATION_FR[r["relation"]],
            "Portée de la source": DIRECTION_FR[r["direction"]],
            "Relation proposée par le modèle": RELATION_FR[r["model_relation"]],
            "Statut": REVIEW_STATUS_FR[r["status"]],
            "Évaluateur": r["reviewer"] if reviewed else "",
            "Date de la décision": french_date(r["decided_at"]) if reviewed else "",
            "Note": r["note"],
            "Termes communs": r["shared_terms"],
            "Explication": explanation_fr(r["explanation"]),
        })
    floats = {c: float for c in ("Score", "Part sémantique", "Part lexicale", "Part critères")}
    return _frame(rows, PAIR_SHEET_COLUMNS, floats)


def matrix_long_table(results: Any) -> pd.DataFrame:
    """Coverage of every target bloc by every source bloc (crossref.coverage.matrix_table)."""
    from crossref.coverage import matrix_table

    df = matrix_table(results.pairs, results.corpus, results.config.passerelles)
    df = df[MATRIX_COLUMNS].copy()
    df["coverage"] = df["coverage"].astype(float)
    return validate(df, "export_matrix")


def _ids(joined: str) -> list[str]:
    return [x.strip() for x in joined.split(";") if x.strip()]


def passerelle_rows(result: dict, corpus: Corpus) -> list[dict]:
    """One passerelle (crossref.passerelles.passerelle) as rows of the « Passerelles » sheet."""
    from crossref.passerelles import passerelle_table, still_to_evidence

    rows = []
    for r in passerelle_table(result).to_dict(orient="records"):
        # one state per competence: a partly covered one is not also « à justifier »
        to_evidence = still_to_evidence({"missing": _ids(r["missing"]), "partial": _ids(r["partial"])})
        rows.append({
            "Certification détenue": r["from_cert"],
            "Certification visée": r["to_cert"],
            "Bloc visé": r["bloc"],
            "Intitulé du bloc": r["title"],
            "Compétences du bloc": int(r["competences"]),
            "Couverture": float(r["coverage"]),
            "Statut du bloc": r["status"],
            "Compétences couvertes": int(r["matched_count"]),
            "Correspondances retenues": "\n".join(
                pair_list_fr(m.strip()) for m in r["matched"].split(";") if m.strip()),
            "Compétences partiellement couvertes": _with_titles(corpus, r["partial"]),
            "Compétences à justifier": _with_titles(corpus, "; ".join(to_evidence)),
            "Statut de la certification": r["overall_status"],
            "Explication": str(result.get("explanation", "")),
        })
    return rows


_PASSERELLE_TYPES = {"Compétences du bloc": int, "Couverture": float, "Compétences couvertes": int}


def passerelles_table(results: Any) -> pd.DataFrame:
    """One row per held certification → target certification → target bloc."""
    from crossref.passerelles import all_passerelles
    from crossref.explanations import explain_credited

    rows = [row for p in all_passerelles(explain_credited(results.pairs), results.corpus, results.config.passerelles)
            for row in passerelle_rows(p, results.corpus)]
    return _frame(rows, PASSERELLE_COLUMNS, _PASSERELLE_TYPES)


PASSERELLE_COMPETENCE_COLUMNS = ["Bloc visé", "Compétence visée", "Intitulé", "État", "Compétence détenue",
                                 "Score", "Relation", "Explication"]
register_schema("export_passerelle_competences", _schema({
    "Bloc visé": pa.Column(str, ID),
    "Compétence visée": pa.Column(str, ID, unique=True),
    "Intitulé": pa.Column(str),
    "État": pa.Column(str, pa.Check.isin([COMPETENCE_COVERED, COMPETENCE_PARTIAL, COMPETENCE_MISSING])),
    "Compétence détenue": pa.Column(str),
    "Score": pa.Column(float, _UNIT, nullable=True),
    "Relation": pa.Column(str),
    "Explication": pa.Column(str),
}))


def passerelle_competences_table(result: dict, corpus: Corpus) -> pd.DataFrame:
    """Every competence of the target of one passerelle: its state and the held competence behind it.
    A competence is in one state only (« partiellement couverte » is not also « à justifier »)."""
    target = corpus.certification(result["to"])
    best: dict[str, dict] = {}
    for b in result["blocs"]:
        for m in b["matched"]:
            best.setdefault(m["target"], m)
    rows = []
    for b in result["blocs"]:
        partial, missing = set(b.get("partial", [])), set(b["missing"])
        for comp in target.competences_of(b["bloc"]):
            m = best.get(comp.id)
            rows.append({
                "Bloc visé": b["bloc"],
                "Compétence visée": comp.id,
                "Intitulé": comp.title,
                "État": COMPETENCE_PARTIAL if comp.id in partial else
                        COMPETENCE_MISSING if comp.id in missing else COMPETENCE_COVERED,
                "Compétence détenue": m.get("source", "") if m else "",
                "Score": float(m["score"]) if m else None,
                "Relation": RELATION_FR.get(m["relation"], m["relation"]) if m else "",
                "Explication": m.get("explanation", "") if m else "",
            })
    return _frame(rows, PASSERELLE_COMPETENCE_COLUMNS, {"Score": float})


def passerelle_workbook(result: dict, corpus: Corpus) -> Workbook:
    """One passerelle as a workbook in French (« Passerelle », « Compétences »), laid out like the officers'."""
    wb = Workbook()
    wb.remove(wb.active)
    write_table(wb.create_sheet("Passerelle"),
                _frame(passerelle_rows(result, corpus), PASSERELLE_COLUMNS, _PASSERELLE_TYPES), "export_passerelles")
    write_table(wb.create_sheet("Compétences"), passerelle_competences_table(result, corpus),
                "export_passerelle_competences")
    return wb


def clusters_table(results: Any) -> pd.DataFrame:
    """One row per clustered competence, with its texts."""
    df = results.clusters
    rows = []
    if df is not None and len(df):
        order = {c.id: k for k, c in enumerate(results.corpus.competences())}
        recs = sorted(df.to_dict(orient="records"),
                      key=lambda r: (int(r["cluster"]), order.get(r["competence"], len(order))))
        for r in recs:
            title, text = _comp_texts(results.corpus, r["competence"])
            rows.append({
                "Groupe": int(r["cluster"]),
                "Libellé du groupe": str(r.get("label", "")),
                "Certification": str(r.get("certification", "")),
                "Compétence": r["competence"],
                "Intitulé": title,
                "Énoncé": text,
            })
    return _frame(rows, CLUSTER_COLUMNS, {"Groupe": int})


# ---------------------------------------------------------------- sheets
def _summary_sheet(ws, results: Any) -> None:
    last = write_table(ws, certifications_table(results), "export_certifications")
    write_table(ws, summary_table(results), "export_summary", start_row=last + 2,
                freeze=False, autofilter=False)


def _matrices_sheet(ws, results: Any) -> None:
    long = matrix_long_table(results)
    corpus = results.corpus
    ws.column_dimensions["A"].width = WRAP_WIDTH
    row = 1
    for s in corpus:
        for t in corpus:
            if s.id == t.id:
                continue
            cells = long[(long["source_cert"] == s.id) & (long["target_cert"] == t.id)]
            if cells.empty:
                continue
            title = (f"{s.id} → {t.id} : part de chaque bloc {de(t.id)} (colonnes) "
                     f"couverte par chaque bloc {de(s.id)} (lignes)")
            write_cell(ws, row, 1, title).font = TITLE_FONT
            row += 1
            src_blocs = [b.id for b in s.blocs if b.id in set(cells["source_bloc"])]
            tgt_blocs = [b.id for b in t.blocs if b.id in set(cells["target_bloc"])]
            corner = write_cell(ws, row, 1, f"Blocs {de(s.id)} \\ blocs {de(t.id)}")
            corner.font, corner.fill, corner.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN
            for j, bid in enumerate(tgt_blocs, start=2):
                cell = write_cell(ws, row, j, _bloc_label(corpus, bid))
                cell.font, cell.fill, cell.alignment = HEADER_FONT, HEADER_FILL, HEADER_ALIGN
                letter = get_column_letter(j)
                ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0, 24)
            by_cell = {(r["source_bloc"], r["target_bloc"]): r for r in cells.to_dict(orient="records")}
            first = row + 1
            for i, sid in enumerate(src_blocs, start=first):
                head = write_cell(ws, i, 1, _bloc_label(corpus, sid))
                head.font, head.alignment = HEADER_FONT, WRAP
                for j, tid in enumerate(tgt_blocs, start=2):
                    r = by_cell.get((sid, tid))
                    cell = write_cell(ws, i, j, None if r is None else r["coverage"])
                    cell.number_format = PERCENT
                    cell.alignment = Alignment(horizontal="center", vertical="center")
                    if r is not None and r["best_pairs"]:
                        text = pair_list_fr(r["best_pairs"]).replace("; ", "\n")
                        cell.comment = Comment(f"Paires retenues :\n{text}", "crossref")
            last = first + len(src_blocs) - 1
            if src_blocs and tgt_blocs:
                rng = f"B{first}:{get_column_letter(1 + len(tgt_blocs))}{last}"
                ws.conditional_formatting.add(rng, ColorScaleRule(
                    start_type="num", start_value=0, start_color=SCALE_START,
                    end_type="num", end_value=1, end_color=SCALE_END))
            row = last + 2
    ws.freeze_panes = "B1"  # keep the bloc names in view; the stacked matrices have no single header


def _print_setup(ws) -> None:
    """Landscape, one page wide: the sheets are meant to be printed and handed in."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def build_workbook(results: Any) -> Workbook:
    """The whole workbook in memory (nothing is written)."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_SUMMARY
    _summary_sheet(ws, results)
    _matrices_sheet(wb.create_sheet(SHEET_MATRICES), results)
    taken = list(RESERVED_SHEETS)
    ids = results.corpus.ids
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            name = sheet_name(a, b, taken)
            taken.append(name)
            write_table(wb.create_sheet(name), pair_sheet_table(results, a, b), "export_pairs")
    write_table(wb.create_sheet(SHEET_PASSERELLES), passerelles_table(results), "export_passerelles")
    write_table(wb.create_sheet(SHEET_CLUSTERS), clusters_table(results), "export_clusters")
    for sheet in wb.worksheets:
        _print_setup(sheet)
    return wb


def write_workbook(path: str | Path, results: Any) -> Path:
    """Build the workbook, then write it atomically to ``path`` (a failure leaves any old file intact)."""
    validate(results.pairs, "pairs")
    wb = build_workbook(results)
    return atomic_write(path, lambda p: wb.save(p))


def workbook_to_bytes(wb: Workbook) -> bytes:
    """An in-memory workbook as the bytes of an .xlsx file (what a download button sends)."""
    import io

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def results_workbook_bytes(results: Any) -> bytes:
    """The officers' workbook of ``results`` (the pairs table checked against its schema first)."""
    from crossref.tables import validate

    validate(results.pairs, "pairs")
    return workbook_to_bytes(build_workbook(results))


def passerelle_workbook_bytes(result: dict, corpus: Corpus) -> bytes:
    return workbook_to_bytes(passerelle_workbook(result, corpus))
