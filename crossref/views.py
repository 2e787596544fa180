"""View models of the dashboard: what each page shows, computed from the results alone.

Every function here is a pure function of the reviewed results (corpus, pairs table,
coverage matrices) and of a page's choices, returning plain tables, labels and figures.
The dashboard (crossref.ui.state) computes each once per results and decision version and
shares it across sessions; the pages only render what these return. No Streamlit import.

Tables returned may be shared between sessions: callers must not modify them in place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

import pandas as pd

from crossref.labels import DIRECTION_FR, RELATION_FR, explanation_fr, fr_decimal, fr_percent, pair_line_fr
from crossref.labels import REVIEW_STATUS_FR as STATUS_FR


# ---------------------------------------------------------------- labels
def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def cert_label(corpus: Any, cert_id: str) -> str:
    """« ID — title » of a certification (its label), or the id when unknown."""
    try:
        return corpus.certification(cert_id).label
    except KeyError:
        return cert_id


def bloc_label(corpus: Any, bloc_id: str, width: int = 80) -> str:
    """« B1 — title » cut to ``width`` characters, or the id when unknown."""
    try:
        title = corpus.bloc(bloc_id).title
    except KeyError:
        return bloc_id
    title = _cut(title, width)
    return f"{bloc_id} — {title}" if title else bloc_id


def comp_label(corpus: Any, comp_id: str, width: int = 80) -> str:
    """« ID — title » of a competence (its statement when untitled), cut to ``width``."""
    try:
        comp = corpus.competence(comp_id)
    except KeyError:
        return comp_id
    return f"{comp_id} — {_cut(comp.title or comp.statement, width)}"


def comp_titles(corpus: Any, ids: Iterable[str], width: int = 80) -> list[str]:
    """The title part of :func:`comp_label` for each id (the id itself when unknown)."""
    out = []
    for i in ids:
        try:
            comp = corpus.competence(i)
        except KeyError:
            out.append(i)
            continue
        out.append(_cut(comp.title or comp.statement, width))
    return out


# ---------------------------------------------------------------- counts (Vue d'ensemble, Équivalences)
def pair_counts(pairs: pd.DataFrame) -> dict[str, int]:
    """Counts over :func:`crossref.pairs.one_row_per_pair` (the rows of the workbook and the CSV /
    JSON exports; each pair once)."""
    from crossref.pairs import is_pending, one_row_per_pair

    one = one_row_per_pair(pairs)
    return {
        "equivalent": int((one["relation"] == "equivalent").sum()),
        "partial": int((one["relation"] == "partial").sum()),
        "validated": int((one["status"] == "validated").sum()),
        "rejected": int((one["status"] == "rejected").sum()),
        "pending": int(is_pending(one).sum()),
    }


def corpus_counts(corpus: Any) -> dict[str, int]:
    return {
        "certifications": len(corpus),
        "blocs": sum(len(x.blocs) for x in corpus),
        "competences": sum(len(x.competences) for x in corpus),
    }


def corpus_caption(corpus: Any) -> str:
    """« 4 certifications · 105 compétences » (the sidebar)."""
    from crossref.labels import french_int

    n = corpus_counts(corpus)
    return f"{french_int(n['certifications'])} certifications · {french_int(n['competences'])} compétences"


# ---------------------------------------------------------------- Vue d'ensemble
CERTIFICATION_COLUMNS = ["Certification", "Intitulé", "Registre", "Niveau", "Certificateur", "Validation",
                         "Blocs", "Compétences", "Critères", "Origine"]


def certifications_table(corpus: Any, imported_names: Iterable[str]) -> pd.DataFrame:
    """One row per certification loaded: register, level, certifier, counts, built-in or imported."""
    imported = set(imported_names)
    rows = []
    for cert in corpus:
        names = [s.split("/")[-1] for s in cert.sources] if cert.sources else []
        rows.append({
            "Certification": cert.id,
            "Intitulé": cert.title,
            "Registre": f"{cert.register} {cert.number}".strip(),
            "Niveau": cert.level,
            "Certificateur": cert.certifier,
            "Validation": "indivisible" if cert.indivisible else "par blocs",
            "Blocs": len(cert.blocs),
            "Compétences": len(cert.competences),
            "Critères": len(cert.criteria),
            "Origine": "importé" if any(n in imported for n in names) else "intégré",
        })
    return pd.DataFrame(rows)


SUMMARY_COLUMNS = ["Certification A", "Certification B", "Équivalentes", "Partielles", "Validées", "Rejetées",
                   "Couverture de B par A", "Couverture de A par B"]


def overlap_summary(pairs: pd.DataFrame, ids: list[str], matrix: pd.DataFrame) -> pd.DataFrame:
    """One row per pair of certifications (A before B in ``ids``): pairs A → B proposed (équivalentes,
    partielles) and reviewed (validées, rejetées), and the coverage both ways from ``matrix``
    (crossref.coverage.certification_matrix)."""
    if len(pairs):
        counts = pd.DataFrame({
            "equivalent": (pairs["relation"] == "equivalent"),
            "partial": (pairs["relation"] == "partial"),
            "validated": (pairs["status"] == "validated"),
            "rejected": (pairs["status"] == "rejected"),
        }).groupby([pairs["source_cert"].to_numpy(), pairs["target_cert"].to_numpy()]).sum()
    else:
        counts = pd.DataFrame(columns=["equivalent", "partial", "validated", "rejected"])
    rows = []
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            c = counts.loc[(a, b)] if (a, b) in counts.index else None
            rows.append({
                "Certification A": a,
                "Certification B": b,
                "Équivalentes": int(c["equivalent"]) if c is not None else 0,
                "Partielles": int(c["partial"]) if c is not None else 0,
                "Validées": int(c["validated"]) if c is not None else 0,
                "Rejetées": int(c["rejected"]) if c is not None else 0,
                "Couverture de B par A": float(matrix.loc[a, b]),
                "Couverture de A par B": float(matrix.loc[b, a]),
            })
    return pd.DataFrame(rows)


def strongest_overlap(summary: pd.DataFrame) -> tuple[str, str, float] | None:
    """(A, B, coverage) of the pair of certifications with the highest coverage in either direction."""
    if not len(summary):
        return None
    best = summary.assign(m=summary[["Couverture de B par A", "Couverture de A par B"]].max(axis=1))
    top = best.sort_values("m", ascending=False).iloc[0]
    return str(top["Certification A"]), str(top["Certification B"]), float(top["m"])


# ---------------------------------------------------------------- Matrices de recouvrement
def cell_table(cell: pd.DataFrame, corpus: Any) -> pd.DataFrame:
    """The pairs behind one cell of a bloc matrix (crossref.coverage.bloc_cell_pairs), labelled in French."""
    from crossref.explanations import fill_explanations

    cell = fill_explanations(cell)
    return pd.DataFrame({
        "Score": [fr_decimal(x) for x in cell["score"]],
        "Relation": cell["relation"].map(RELATION_FR),
        "Statut": cell["status"].map(STATUS_FR),
        "Compétence source": [comp_label(corpus, s) for s in cell["source"]],
        "Compétence cible": [comp_label(corpus, t) for t in cell["target"]],
        "Crédit": [fr_decimal(x) for x in cell["credit"]],
        "Portée": cell["direction"].map(DIRECTION_FR),
        "Passage source": cell["source_phrase"],
        "Passage cible": cell["target_phrase"],
        "Explication": [explanation_fr(e) for e in cell["explanation"]],
    })


def labelled_matrix(matrix: pd.DataFrame, corpus: Any, width: int = 50) -> pd.DataFrame:
    """A bloc matrix with « B1 — title » row and column labels (a new frame)."""
    shown = matrix.copy()
    shown.index = [bloc_label(corpus, b, width) for b in shown.index]
    shown.columns = [bloc_label(corpus, b, width) for b in shown.columns]
    return shown


# ---------------------------------------------------------------- Équivalences
@dataclass(frozen=True)
class PairFilter:
    """The Équivalences page's filters (hashable: a cache key)."""

    source_certs: tuple[str, ...]
    target_certs: tuple[str, ...]
    relations: tuple[str, ...] = ("equivalent", "partial")
    score_min: float = 0.0
    score_max: float = 1.0
    statuses: tuple[str, ...] = ("suggested", "validated", "rejected")
    blocs: tuple[str, ...] = ()
    search: str = ""
    one_way: bool = True


def competence_texts(corpus: Any) -> dict[str, str]:
    """Per competence id: its title and statement, lower-cased (what the search looks into)."""
    return {c.id: f"{c.title} {c.statement}".lower() for cert in corpus for c in cert.competences}


def filter_pairs(pairs: pd.DataFrame, f: PairFilter, texts: dict[str, str] | None = None) -> pd.DataFrame:
    """The pairs kept by the filters, best score first (then source, target); with ``one_way``, one
    row per pair (the exports' orientation, :func:`crossref.pairs.exported_orientation`, when both
    passed). The search looks into both ids, the explanation and, with
    ``texts`` (:func:`competence_texts`), both competences' titles and statements. Index reset."""
    mask = (
        pairs["source_cert"].isin(f.source_certs)
        & pairs["target_cert"].isin(f.target_certs)
        & (pairs["relation"].isin(f.relations) | pairs["model_relation"].isin(f.relations))
        & pairs["score"].between(f.score_min, f.score_max)
        & pairs["status"].isin(f.statuses)
    )
    if f.blocs:
        mask &= pairs["source_bloc"].isin(f.blocs) | pairs["target_bloc"].isin(f.blocs)
    from crossref.pairs import exported_orientation

    canonical = exported_orientation(pairs) if f.one_way else None
    view = pairs[mask]
    search = f.search.strip().lower()
    if search:
        from crossref.explanations import fill_explanations

        explained = fill_explanations(view)["explanation"]  # searched in: written for the filtered rows only
        hay = (view["source"] + " " + view["target"] + " " + explained).str.lower()
        if texts is not None:
            hay = hay + " " + view["source"].map(texts).fillna("") + " " + view["target"].map(texts).fillna("")
        view = view[hay.str.contains(search, regex=False)]
    view = view.sort_values(["score", "source", "target"], ascending=[False, True, True], kind="stable")
    if canonical is not None:  # a pair whose two orientations pass the filters: the exports' row
        from crossref.pairs import first_of_each_pair

        view = first_of_each_pair(view, prefer=canonical)
    return view.reset_index(drop=True)


# Decisive columns first: at 1366 px they are on screen without scrolling sideways.
PAIRS_TABLE_COLUMNS = ["Score", "Relation", "Statut", "Portée", "Source", "Cible", "Intitulé source",
                       "Intitulé cible", "Modèle"]


def pairs_table(view: pd.DataFrame, corpus: Any) -> pd.DataFrame:
    """The Équivalences table: one row per pair of ``view``, labelled in French, decisive columns
    first; the score in French (« 0,87 »: same width, so it sorts as text)."""
    return pd.DataFrame({
        "Score": [fr_decimal(x) for x in view["score"]],
        "Relation": view["relation"].map(RELATION_FR),
        "Statut": view["status"].map(STATUS_FR),
        "Portée": view["direction"].map(DIRECTION_FR),
        "Source": view["source"],
        "Cible": view["target"],
        "Intitulé source": comp_titles(corpus, view["source"]),
        "Intitulé cible": comp_titles(corpus, view["target"]),
        "Modèle": view["model_relation"].map(RELATION_FR),
    }, columns=PAIRS_TABLE_COLUMNS)


def pair_key(source: str, target: str) -> str:
    return f"{source}|{target}"


def pair_label(key: str, score: float | None = None, relation: str | None = None) -> str:
    """« S → T (équivalente, 0,87) »; without score, « S → T »."""
    s, t = key.split("|")
    return pair_line_fr(s, t, score, relation or "none") if score is not None else f"{s} → {t}"


def pair_labels(view: pd.DataFrame, limit: int | None = None) -> dict[str, str]:
    """Selector label of each pair of ``view`` (its first ``limit`` rows), by key « S|T »: one lookup
    per option instead of a search of the table."""
    head = view if limit is None else view.head(limit)
    out: dict[str, str] = {}
    for s, t, score, rel in zip(head["source"], head["target"], head["score"], head["relation"]):
        key = pair_key(s, t)
        if key not in out:  # the first row of a pair, as a search of the table finds it
            out[key] = pair_label(key, float(score), rel)
    return out


@dataclass(frozen=True)
class EquivalenceView:
    """What the Équivalences page shows for one set of filters."""

    view: pd.DataFrame          # filtered pairs (schema "pairs" columns), index 0..n-1
    table: pd.DataFrame         # pairs_table(view)
    options: tuple[str, ...]    # selector keys « S|T », the first ``limit`` rows of the view
    labels: dict[str, str]      # key -> label, for every pair of the view (a row clicked beyond ``limit``)

    def label(self, key: str) -> str:
        return self.labels.get(key) or pair_label(key)


def equivalence_view(pairs: pd.DataFrame, corpus: Any, f: PairFilter, limit: int = 500) -> EquivalenceView:
    view = filter_pairs(pairs, f, competence_texts(corpus))
    head = view.head(limit)
    options = tuple(pair_key(s, t) for s, t in zip(head["source"], head["target"]))
    return EquivalenceView(view, pairs_table(view, corpus), options, pair_labels(view))


def pair_positions(pairs: pd.DataFrame) -> dict[tuple[str, str], int]:
    """(source, target) -> position of its first row in ``pairs``: a pair's row in one lookup."""
    out: dict[tuple[str, str], int] = {}
    for i, key in enumerate(zip(pairs["source"].to_numpy(), pairs["target"].to_numpy())):
        out.setdefault(key, i)
    return out


def pair_row(pairs: pd.DataFrame, positions: dict[tuple[str, str], int], source: str, target: str) -> pd.Series:
    """The row of pair (source, target) (KeyError when absent)."""
    return pairs.iloc[positions[(source, target)]]



# ---------------------------------------------------------------- explanations
_CLAUSE_EDGE = re.compile(r"[,;:.()\n]")


def whole_clause(statement: str, phrase: str) -> str:
    """The aligned phrase widened to the whole clause of ``statement`` it sits in (between
    punctuation marks), so that a reviewer reads « en faisant preuve d'intelligence situationnelle
    et d'équité et en prenant les décisions adaptées », not a fragment. The phrase itself when it
    is not found in the statement."""
    phrase = (phrase or "").strip().rstrip(".;,:")
    if not phrase:
        return ""
    pattern = re.compile(r"\s+".join(re.escape(w) for w in phrase.split()), re.IGNORECASE)
    m = pattern.search(statement or "")
    if m is None:
        return phrase
    start = max((e.end() for e in _CLAUSE_EDGE.finditer(statement, 0, m.start())), default=0)
    end_m = _CLAUSE_EDGE.search(statement, m.end())
    end = end_m.start() if end_m else len(statement)
    return statement[start:end].strip()


def criteria_comparable(corpus: Any, source: str, target: str) -> bool:
    """Whether the critères part means something for the pair: both competences have critères of
    their own (critères shared by a whole bloc are never compared, so the part would read 0)."""
    def own(comp_id: str) -> bool:
        return bool(corpus.certification_of(comp_id).own_criteria(comp_id))

    return own(source) and own(target)


def direction_text(source_covers_target: float, target_covers_source: float) -> str:
    """The clause coverage behind a direction claim, in French."""
    return (f"La source couvre {fr_percent(source_covers_target)} des propositions de la cible ; "
            f"la cible couvre {fr_percent(target_covers_source)} de celles de la source.")


# ---------------------------------------------------------------- what an import changed
def import_changes(before: pd.DataFrame, after: pd.DataFrame) -> dict[str, Any]:
    """What changed in the pairs table between two results (before and after an import or a removal):
    among the pairs present in both, relations and scores that moved; pairs that came or went."""
    key = ["source", "target"]
    from crossref.pairs import one_orientation

    a = one_orientation(before)[key + ["relation", "score"]]
    b = one_orientation(after)[key + ["relation", "score"]]
    both = a.merge(b, on=key, suffixes=("_before", "_after"))
    moved = (both["score_before"] - both["score_after"]).abs() > 5e-5
    changed = both[both["relation_before"] != both["relation_after"]]
    added = len(b) - len(both)
    removed = len(a) - len(both)
    new = b.merge(a[key], on=key, how="left", indicator=True)
    new = new[new["_merge"] == "left_only"]
    return {
        "relations_changed": len(changed),
        "scores_moved": int(moved.sum()),
        "changed_pairs": [f"{r.source} / {r.target} : {RELATION_FR[r.relation_before]} → {RELATION_FR[r.relation_after]}"
                          for r in changed.itertuples()][:20],
        "pairs_added": added,
        "pairs_removed": removed,
        "new_proposed": int(new["relation"].isin(["equivalent", "partial"]).sum()),
    }


def import_changes_text(changes: dict[str, Any]) -> str:
    """The French sentence the dashboard shows after an import or a removal."""
    parts = []
    if changes["pairs_added"]:
        parts.append(f"{changes['pairs_added']} nouvelle(s) paire(s) évaluée(s), dont "
                     f"{changes['new_proposed']} proposée(s)")
    if changes["pairs_removed"]:
        parts.append(f"{changes['pairs_removed']} paire(s) retirée(s)")
    if changes["relations_changed"] or changes["scores_moved"]:
        parts.append(f"entre les certifications déjà chargées : {changes['relations_changed']} relation(s) "
                     f"changée(s), {changes['scores_moved']} score(s) modifié(s)"
                     + (" (" + " ; ".join(changes["changed_pairs"]) + ")" if changes["changed_pairs"] else ""))
    else:
        parts.append("aucune relation ni aucun score ne change entre les certifications déjà chargées")
    return "Ce qui a changé : " + ", ".join(parts) + "."


# ---------------------------------------------------------------- decision history
HISTORY_COLUMNS = ["Date", "Évaluateur", "Décision", "Relation", "Relation précédente", "Note"]


def history_table(history: pd.DataFrame) -> pd.DataFrame:
    """A pair's decisions (crossref.review.DecisionStore.history), newest first, in French."""
    from crossref.labels import REVIEW_ACTION_FR, french_datetime

    h = history.iloc[::-1]
    return pd.DataFrame({
        "Date": [french_datetime(d) for d in h["decided_at"]],
        "Évaluateur": list(h["reviewer"]),
        "Décision": [REVIEW_ACTION_FR.get(a, a) for a in h["action"]],
        "Relation": [RELATION_FR.get(r, r) for r in h["relation"]],
        "Relation précédente": [RELATION_FR.get(r, r) if r else "—" for r in h["previous_relation"]],
        "Note": list(h["note"]),
    }, columns=HISTORY_COLUMNS)


# ---------------------------------------------------------------- passerelles and VAE
# Decisive columns first, the long bloc title last: all on screen at 1366 px.
PASSERELLE_BLOCS_COLUMNS = ["Couverture", "Statut", "Couvertes", "Partiellement couvertes", "À justifier",
                            "Compétences", "Bloc"]


def passerelle_blocs_table(result: dict, corpus: Any) -> pd.DataFrame:
    """One row per target bloc of a passerelle or VAE result; coverage in whole percents (« 43 % »).
    One state per competence (issue 11): couvertes + partiellement couvertes + à justifier = compétences."""
    from crossref.passerelles import still_to_evidence

    rows = []
    for b in result["blocs"]:
        partial = len(set(b.get("partial", [])))
        rows.append({
            "Couverture": round(float(b["coverage"]) * 100),
            "Statut": b["status"],
            "Bloc": bloc_label(corpus, b["bloc"], 60),
            "Compétences": int(b.get("competences", 0)),
            "Couvertes": len({m["target"] for m in b["matched"]}) - partial,
            "Partiellement couvertes": partial,
            "À justifier": len(still_to_evidence(b)),
        })
    return pd.DataFrame(rows, columns=PASSERELLE_BLOCS_COLUMNS)


def bloc_matched_table(bloc: dict, corpus: Any, vae_mode: bool) -> pd.DataFrame:
    """The covered competences of one bloc, decisive columns first (visible at 1366 px)."""
    if vae_mode:
        return pd.DataFrame([{
            "Score": fr_decimal(m["score"]),
            "Relation": RELATION_FR.get(m["relation"], m["relation"]),
            "Compétence": comp_label(corpus, m["target"]),
            "Phrase de l'expérience": m["sentence"],
        } for m in bloc["matched"]], columns=["Score", "Relation", "Compétence", "Phrase de l'expérience"])
    return pd.DataFrame([{
        "Score": fr_decimal(m["score"]),
        "Relation": RELATION_FR.get(m["relation"], m["relation"]),
        "Compétence visée": comp_label(corpus, m["target"]),
        "Compétence détenue": comp_label(corpus, m["source"]),
        "Explication": explanation_fr(m["explanation"]),
    } for m in bloc["matched"]], columns=["Score", "Relation", "Compétence visée", "Compétence détenue", "Explication"])


def bloc_missing_table(bloc: dict, corpus: Any, target: str) -> tuple[int, pd.DataFrame]:
    """(how many competences are partly covered, the competences with no correspondence at all).
    One state per competence: a partly covered one is listed with the covered ones, not here."""
    from crossref.passerelles import still_to_evidence

    missing = still_to_evidence(bloc)
    cert = corpus.certification(target)
    return len(set(bloc.get("partial", []))), pd.DataFrame([{
        "Compétence": comp_label(corpus, c, 120),
        "Critères": len(cert.criteria_for(corpus.competence(c))),
    } for c in missing], columns=["Compétence", "Critères"])


VAE_FILTERS = ("toutes", "attestées", "à la limite", "non attestées")
VAE_VIEW_COLUMNS = ["État", "Score", "Compétence", "Meilleure preuve", "Phrases n°", "Décision", "Accompagnateur",
                    "Date", "Note"]


def vae_competence_view(table: pd.DataFrame, corpus: Any, shown: str = "toutes") -> pd.DataFrame:
    """The VAE competence table (:func:`crossref.vae.competence_table`) as the page shows it: filtered
    by state, best score first, French decimals (same width: they sort as text)."""
    if shown not in VAE_FILTERS:
        raise ValueError(f"filtre inconnu : {shown!r}")
    if shown == "attestées":
        table = table[table["État"].str.startswith("attestée")]
    elif shown != "toutes":
        table = table[table["État"] == ("à la limite" if shown == "à la limite" else "non attestée")]
    table = table.sort_values("Score", ascending=False, kind="stable")
    out = table.assign(Score=[fr_decimal(x) for x in table["Score"]],
                       Compétence=[comp_label(corpus, c, 70) for c in table["Compétence"]])
    return out[VAE_VIEW_COLUMNS].reset_index(drop=True)


def vae_decision_order(result: dict) -> list[str]:
    """The target's competences for the advisor's form: near misses first, then by score."""
    order = sorted(result["competences"], key=lambda e: (e["state"] != "near", -e["score"]))
    return [e["competence"] for e in order]


def vae_summary_text(result: dict) -> str:
    """« 5 compétence(s) d'ICD attestée(s) sur 34, 3 à la limite, d'après 7 phrase(s)… » (markdown)."""
    from crossref.labels import de
    from crossref.mdsafe import escape_markdown

    n_near = sum(e["state"] == "near" for e in result["competences"])
    return (f"**{len(result['evidenced'])} compétence(s) {de(escape_markdown(result['to']))} attestée(s)** sur "
            f"{len(result['competences'])}, {n_near} à la limite, d'après {len(result['sentences'])} phrase(s) "
            f"(et les paires de phrases voisines).")


# ---------------------------------------------------------------- clusters
CLUSTER_TABLE_COLUMNS = ["Cluster", "Libellé", "Compétences", "Certifications", "Membres"]


def cluster_view(summary: pd.DataFrame, shared_only: bool) -> tuple[pd.DataFrame, str]:
    """(the themes table, its caption) from :func:`crossref.clusters.cluster_summary`;
    ``shared_only`` keeps the themes found in at least two certifications."""
    shared = summary["certifications"] >= 2
    shown = summary[shared] if shared_only else summary
    table = pd.DataFrame({"Cluster": shown["cluster"], "Libellé": shown["label"], "Compétences": shown["size"],
                          "Certifications": shown["certifications"], "Membres": shown["members"]},
                         columns=CLUSTER_TABLE_COLUMNS).reset_index(drop=True)
    caption = (f"{len(summary)} cluster(s), dont {int(shared.sum())} communs à plusieurs certifications. "
               "Libellé : les termes qui distinguent le groupe des autres (c-TF-IDF).")
    return table, caption


def cluster_members_table(clusters: pd.DataFrame, corpus: Any, cluster: int) -> pd.DataFrame:
    """The competences of one theme: certification, competence (labelled), bloc."""
    members = clusters[clusters["cluster"] == cluster]
    return pd.DataFrame({
        "Certification": members["certification"].tolist(),
        "Compétence": [comp_label(corpus, c, 140) for c in members["competence"]],
        "Bloc": [corpus.competence(c).bloc_id for c in members["competence"]],
    }, columns=["Certification", "Compétence", "Bloc"])


# ---------------------------------------------------------------- other pages
def certification_preview_table(cert: Any) -> pd.DataFrame:
    """An uploaded référentiel before it is added: one row per competence."""
    return pd.DataFrame([{
        "Bloc": comp.bloc_id,
        "Intitulé du bloc": cert.bloc(comp.bloc_id).title if comp.bloc_id else "",
        "Compétence": comp.id,
        "Intitulé": comp.title,
        "Énoncé": comp.statement,
        "Critères": len(cert.criteria_for(comp)),
    } for comp in cert.competences], columns=["Bloc", "Intitulé du bloc", "Compétence", "Intitulé", "Énoncé",
                                              "Critères"])


def data_versions_table(versions: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame([{"Certification": k, "Version des données": v} for k, v in versions.items()],
                        columns=["Certification", "Version des données"])


REGISTRY_COLUMNS = ["Fiche", "Intitulé", "Recouvrement", "Couvre", "Couverte par", "Blocs couverts"]


def registry_overlaps_table(search: Any) -> pd.DataFrame:
    """The certifications of the registry overlapping a fiche (:meth:`crossref.registry.Registry.search`):
    shares in [0, 1] (shown as progress bars), covered blocs as « B1 43 %, B2 12 % »."""
    return pd.DataFrame([{
        "Fiche": o.fiche, "Intitulé": o.title, "Recouvrement": o.overlap, "Couvre": o.covers,
        "Couverte par": o.covered_by,
        "Blocs couverts": ", ".join(f"{b.bloc.split(':')[-1]} {fr_percent(b.coverage)}" for b in o.blocs_covered),
    } for o in search.overlaps], columns=REGISTRY_COLUMNS)


def registry_caption(n_fiches: int, n_units: int, embedder: str) -> str:
    from crossref.labels import french_int

    return f"{french_int(n_fiches)} fiches, {french_int(n_units)} compétences, modèle {embedder.split(':')[0]}."


def config_table(config: Any) -> pd.DataFrame:
    """Every recorded setting of a configuration, as exports record it (dotted key, value)."""
    from crossref.export.metadata import flatten_config, recorded_config

    return pd.DataFrame(flatten_config(recorded_config(config)), columns=["Paramètre", "Valeur"])


# ---------------------------------------------------------------- matcher quality


def matcher_quality_text(provenance: dict[str, Any]) -> str:
    """The calibration artifact's out-of-sample quality in one French sentence (« — » parts when
    the artifact does not record them): what an officer should expect of the suggestions."""
    oos = provenance.get("out_of_sample") or {}
    metrics = oos.get("metrics") or {}
    if not metrics:
        return "Qualité des suggestions non mesurée hors échantillon pour cet artefact de calibration."

    def value(name: str) -> str:
        return fr_decimal((metrics.get(name) or {}).get("value"), 2)

    low, high = ((metrics.get("f1") or {}).get("ci95") or [None, None])[:2]
    interval = f" [{fr_decimal(low, 2)}–{fr_decimal(high, 2)}]" if low is not None and high is not None else ""
    return (f"Qualité des suggestions mesurée hors échantillon (chaque paire de certifications de référence "
            f"écartée de l'ajustement à tour de rôle ; {oos.get('folds', '—')} paires de certifications, "
            f"{oos.get('reference_pairs', '—')} paires de référence) : précision {value('precision')}, "
            f"rappel {value('recall')}, F1 {value('f1')}{interval} ; la correspondance de référence est "
            f"proposée en premier dans {fr_percent((metrics.get('hits_at_1') or {}).get('value'))} des cas.")
