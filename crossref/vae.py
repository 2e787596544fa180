"""VAE dossiers an advisor can sign: the evidence tables, the advisor's decisions, the workbook.

The analysis itself is :func:`crossref.passerelles.vae` (every sentence and
every two adjacent sentences scored against every competence of the target).
Here: the advisor's decisions, kept in the decision store per dossier
(:meth:`crossref.review.DecisionStore.vae_decide`), and the French tables the
dashboard shows and the workbook holds, built once from the result dict so the
screen and the file always agree.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pandera.pandas as pa

from crossref.labels import fr_decimal, fr_percent, french_datetime
from crossref.tables import ID, register_schema, validate

# What the advisor sees for each competence of the target.
STATE_FR = {
    "equivalent": "attestée",
    "partial": "attestée en partie",
    "near": "à la limite",
    "none": "non attestée",
}
ACTION_FR = {"confirm": "confirmée", "reject": "rejetée", "add": "preuve ajoutée"}

COMPETENCE_COLUMNS = ["Bloc", "Compétence", "Intitulé", "Score", "État", "Meilleure preuve", "Phrases n°",
                      "Décision", "Accompagnateur", "Date", "Note"]
BLOC_COLUMNS = ["Bloc", "Intitulé du bloc", "Compétences du bloc", "Couverture", "Statut du bloc",
                "Compétences attestées", "Preuves retenues", "Reste à prouver"]
SENTENCE_COLUMNS = ["N°", "Phrase"]

_UNIT = [pa.Check.ge(0.0), pa.Check.le(1.0)]
register_schema("export_vae_competences", pa.DataFrameSchema({
    "Bloc": pa.Column(str, ID),
    "Compétence": pa.Column(str, ID, unique=True),
    "Intitulé": pa.Column(str),
    "Score": pa.Column(float, _UNIT),
    "État": pa.Column(str, pa.Check.isin(list(STATE_FR.values()))),
    "Meilleure preuve": pa.Column(str),
    "Phrases n°": pa.Column(str),
    "Décision": pa.Column(str),
    "Accompagnateur": pa.Column(str),
    "Date": pa.Column(str),
    "Note": pa.Column(str),
}, strict=True, ordered=True))
register_schema("export_vae_blocs", pa.DataFrameSchema({
    "Bloc": pa.Column(str, ID, unique=True),
    "Intitulé du bloc": pa.Column(str),
    "Compétences du bloc": pa.Column(int, pa.Check.ge(0)),
    "Couverture": pa.Column(float, _UNIT),
    "Statut du bloc": pa.Column(str),
    "Compétences attestées": pa.Column(int, pa.Check.ge(0)),
    "Preuves retenues": pa.Column(str),
    "Reste à prouver": pa.Column(str),
}, strict=True, ordered=True))
register_schema("export_vae_sentences", pa.DataFrameSchema({
    "N°": pa.Column(int, pa.Check.ge(1)),
    "Phrase": pa.Column(str),
}, strict=True, ordered=True))


def dossier_key(candidate: str, to_cert: str) -> str:
    """The store's key of a candidate's dossier towards one certification."""
    return f"{(candidate or '').strip()} → {to_cert}"


def dossier_decisions(store: Any, candidate: str, to_cert: str) -> pd.DataFrame:
    """The advisor's decisions on the dossier, oldest first (the latest per competence holds)."""
    if not (candidate or "").strip():
        return pd.DataFrame(columns=["competence"])
    return store.vae_history(dossier_key(candidate, to_cert))


def _sentences(numbers: list[int]) -> str:
    return ", ".join(str(n) for n in numbers)


def competence_table(result: dict) -> pd.DataFrame:
    """Every competence of the target: best evidence and score, state, the advisor's decision."""
    rows = []
    for e in result["competences"]:
        d = e.get("decision") or {}
        shown = e["evidence"][0]["text"] if e["evidence"] else e["best"]
        rows.append({
            "Bloc": e["bloc"],
            "Compétence": e["competence"],
            "Intitulé": e["title"],
            "Score": float(e["score"]),
            "État": STATE_FR[e["state"]],
            "Meilleure preuve": shown,
            "Phrases n°": _sentences(e["evidence"][0]["sentences"] if e["evidence"] else e["best_sentences"]),
            "Décision": ACTION_FR.get(d.get("action", ""), ""),
            "Accompagnateur": d.get("reviewer", ""),
            "Date": french_datetime(d.get("decided_at", "")),
            "Note": d.get("note", ""),
        })
    df = pd.DataFrame(rows, columns=COMPETENCE_COLUMNS)
    df["Score"] = df["Score"].astype(float)
    return validate(df, "export_vae_competences")


def bloc_table(result: dict) -> pd.DataFrame:
    """Per target bloc: coverage, status, the evidence kept and what remains to prove."""
    by_comp = {e["competence"]: e for e in result["competences"]}
    rows = []
    for b in result["blocs"]:
        comps = [c for c in by_comp.values() if c["bloc"] == b["bloc"]]
        proven = [c for c in comps if c["state"] in ("equivalent", "partial")]
        rows.append({
            "Bloc": b["bloc"],
            "Intitulé du bloc": b["title"],
            "Compétences du bloc": int(b.get("competences", len(comps))),
            "Couverture": float(b["coverage"]),
            "Statut du bloc": b["status"],
            "Compétences attestées": len(proven),
            "Preuves retenues": "\n".join(
                f"{c['competence']} ({STATE_FR[c['state']]}) : « {ev['text']} »"
                for c in proven for ev in c["evidence"]),
            "Reste à prouver": "\n".join(
                f"{c['competence']} {c['title']}" + (" (en partie)" if c["state"] == "partial" else "")
                for c in comps if c["state"] != "equivalent"),
        })
    df = pd.DataFrame(rows, columns=BLOC_COLUMNS)
    for col in ("Compétences du bloc", "Compétences attestées"):
        df[col] = df[col].astype(int)
    df["Couverture"] = df["Couverture"].astype(float)
    return validate(df, "export_vae_blocs")


def sentence_table(result: dict) -> pd.DataFrame:
    df = pd.DataFrame({"N°": range(1, len(result["sentences"]) + 1), "Phrase": list(result["sentences"])},
                      columns=SENTENCE_COLUMNS)
    df["N°"] = df["N°"].astype(int)
    return validate(df, "export_vae_sentences")


def dossier_summary(result: dict, candidate: str, analysed_at: str = "") -> pd.DataFrame:
    """The « Dossier » sheet: who, towards what, with what result, under which rules."""
    rules = result.get("rules", {})
    proven = sum(e["state"] in ("equivalent", "partial") for e in result["competences"])
    rows = [
        ("Candidat", candidate or "(non renseigné)"),
        ("Certification visée", f"{result['to']} — {result.get('to_title', '')}"),
        ("Date de l'analyse", french_datetime(analysed_at)),
        ("Statut", result["status"]),
        ("Couverture globale", fr_percent(result["coverage"], 1)),
        ("Compétences attestées", f"{proven} sur {len(result['competences'])}"),
        ("Phrases analysées", str(len(result["sentences"]))),
        ("Explication", result.get("explanation", "")),
        ("Règle", "une compétence est attestée par une phrase (ou deux phrases voisines) de score au moins "
                  f"{fr_decimal(rules.get('vae_evidence_threshold'))}, pleinement à partir de "
                  f"{fr_decimal(rules.get('vae_equivalent_threshold'))} ; « à la limite » dès "
                  f"{fr_decimal(rules.get('vae_near_miss'))} ; les décisions de l'accompagnateur priment."),
    ]
    return validate(pd.DataFrame(rows, columns=["Rubrique", "Valeur"]), "export_summary")


def workbook_bytes(result: dict, candidate: str = "", analysed_at: str = "") -> bytes:
    """The VAE workbook (French): Dossier, Blocs, Compétences, Phrases, through the export writer."""
    from openpyxl import Workbook

    import crossref.export.xlsx  # noqa: F401  (registers the export_summary schema)
    from crossref.export.xlsx import write_table

    wb = Workbook()
    wb.remove(wb.active)
    for name, df, schema in (
        ("Dossier", dossier_summary(result, candidate, analysed_at), "export_summary"),
        ("Blocs", bloc_table(result), "export_vae_blocs"),
        ("Compétences", competence_table(result), "export_vae_competences"),
        ("Phrases", sentence_table(result), "export_vae_sentences"),
    ):
        write_table(wb.create_sheet(name), df, schema)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
