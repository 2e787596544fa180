"""The dashboard's view models (crossref.views) give what the pages computed themselves before.

Each ``_old_*`` function below is the code a page (or crossref.ui.state) ran on every rerun before
the view models existed, copied unchanged; the tests compare both on the built-in results with
reviewed decisions applied (validated, rejected and amended pairs).
"""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from crossref import pipeline, views
from crossref.config import Config
from crossref.coverage import bloc_cell_pairs, bloc_matrix, certification_matrix
from crossref.labels import DIRECTION_FR, RELATION_FR, fr_decimal
from crossref.pairs import one_row_per_pair
from crossref.review import apply_decisions
from crossref.explanations import fill_explanations

STATUS_FR = {"suggested": "suggérée", "validated": "validée", "rejected": "rejetée"}


@pytest.fixture(scope="module")
def results():
    r = pipeline.run(Config(), decisions=False)
    proposed = r.pairs[r.pairs["relation"].isin(["equivalent", "partial"])
                       & (r.pairs["source"] < r.pairs["target"])].sort_values("score", ascending=False)
    rows = []
    for i, (s, t, rel) in enumerate(zip(proposed["source"], proposed["target"], proposed["relation"])):
        if i >= 12:
            break
        action = ("accept", "reject", "amend")[i % 3]
        relation = rel if action == "accept" else "none" if action == "reject" else "equivalent"
        rows.append({"id": i + 1, "source": s if i % 2 else t, "target": t if i % 2 else s, "action": action,
                     "relation": relation, "previous_relation": rel, "note": f"note {i}",
                     "reviewer": "Alice", "decided_at": "2026-01-02T03:04:05Z"})
    pairs = apply_decisions(r.pairs, pd.DataFrame(rows))
    # The table as the pages read it before explanations were written on display: filled, so the
    # code of before (which searched the stored sentence) and today's see the same text.
    pairs_unexplained = pairs
    pairs = fill_explanations(pairs)
    assert (pairs_unexplained["explanation"] == "").all()
    assert set(pairs["status"]) == {"suggested", "validated", "rejected"}
    return r.__class__(config=r.config, corpus=r.corpus, pairs=pairs, clusters=r.clusters,
                       created_at=r.created_at, data_versions=r.data_versions)


# ---------------------------------------------------------------- the code the pages ran before
def _old_comp_label(corpus, comp_id, width=80):
    try:
        comp = corpus.competence(comp_id)
    except KeyError:
        return comp_id
    title = comp.title or comp.statement
    title = title if len(title) <= width else title[: width - 1] + "…"
    return f"{comp_id} — {title}"


def _old_bloc_label(corpus, bloc_id, width=80):
    try:
        title = corpus.bloc(bloc_id).title
    except KeyError:
        return bloc_id
    title = title if len(title) <= width else title[: width - 1] + "…"
    return f"{bloc_id} — {title}" if title else bloc_id


def _old_pair_counts(pairs):
    one = pairs[pairs["source"] < pairs["target"]]
    return {
        "equivalent": int((one["relation"] == "equivalent").sum()),
        "partial": int((one["relation"] == "partial").sum()),
        "validated": int((one["status"] == "validated").sum()),
        "rejected": int((one["status"] == "rejected").sum()),
        "pending": int(((one["status"] == "suggested") & one["relation"].isin(["equivalent", "partial"])).sum()),
    }


def _old_overlap_summary(pairs, corpus, matrix):
    ids = corpus.ids
    rows = []
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            sub = pairs[(pairs["source_cert"] == a) & (pairs["target_cert"] == b)]
            rows.append({
                "Certification A": a,
                "Certification B": b,
                "Équivalentes": int((sub["relation"] == "equivalent").sum()),
                "Partielles": int((sub["relation"] == "partial").sum()),
                "Validées": int((sub["status"] == "validated").sum()),
                "Rejetées": int((sub["status"] == "rejected").sum()),
                "Couverture de B par A": float(matrix.loc[a, b]),
                "Couverture de A par B": float(matrix.loc[b, a]),
            })
    return pd.DataFrame(rows)


def _old_certifications(corpus, imported):
    rows = []
    for cert in corpus:
        sources = ", ".join(s.split("/")[-1] for s in cert.sources) if cert.sources else ""  # noqa: F841 (unused, as it was)
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
            "Origine": "importé" if any(s.split("/")[-1] in imported for s in cert.sources) else "intégré",
        })
    return pd.DataFrame(rows)


def _old_equivalences(pairs, corpus, src_certs, tgt_certs, relations, score_range, statuses, blocs, search,
                      one_way):
    mask = (
        pairs["source_cert"].isin(src_certs)
        & pairs["target_cert"].isin(tgt_certs)
        & (pairs["relation"].isin(relations) | pairs["model_relation"].isin(relations))
        & pairs["score"].between(score_range[0], score_range[1])
        & pairs["status"].isin(statuses)
    )
    if blocs:
        mask &= pairs["source_bloc"].isin(blocs) | pairs["target_bloc"].isin(blocs)
    view = pairs[mask]
    if search:  # ids, explanation, and both competences' titles and statements
        texts = {c.id: f"{c.title} {c.statement}".lower() for cert in corpus for c in cert.competences}
        hay = (view["source"] + " " + view["target"] + " " + view["explanation"]).str.lower()
        hay = hay + " " + view["source"].map(texts) + " " + view["target"].map(texts)
        view = view[hay.str.contains(search, regex=False)]
    view = view.sort_values(["score", "source", "target"], ascending=[False, True, True], kind="stable")
    if one_way:  # changed on purpose (issue 11, one truth): the exports' orientation when both rows pass
        order = {c: k for k, c in enumerate(corpus.ids)}
        forward = view["source_cert"].map(order) < view["target_cert"].map(order)
        lo = view["source"].where(view["source"] < view["target"], view["target"])
        hi = view["target"].where(view["source"] < view["target"], view["source"])
        view = view[~(lo + "|" + hi).duplicated(keep=False) | forward]
    view = view.reset_index(drop=True)
    table = pd.DataFrame({  # decisive columns first, French score
        "Score": [f"{x:.2f}".replace(".", ",") for x in view["score"]],
        "Relation": view["relation"].map(RELATION_FR),
        "Statut": view["status"].map(STATUS_FR),
        "Portée": view["direction"].map(DIRECTION_FR),
        "Source": view["source"],
        "Cible": view["target"],
        "Intitulé source": [_old_comp_label(corpus, s).split(" — ", 1)[-1] for s in view["source"]],
        "Intitulé cible": [_old_comp_label(corpus, t).split(" — ", 1)[-1] for t in view["target"]],
        "Modèle": view["model_relation"].map(RELATION_FR),
    }, columns=views.PAIRS_TABLE_COLUMNS)
    options = [f"{s}|{t}" for s, t in zip(view["source"].head(500), view["target"].head(500))]

    def _pair_label(key):
        s, t = key.split("|")
        r = view[(view["source"] == s) & (view["target"] == t)]
        extra = f" ({RELATION_FR[r['relation'].iloc[0]]}, {fr_decimal(r['score'].iloc[0])})" if len(r) else ""
        return f"{s} → {t}{extra}"

    return view, table, options, _pair_label


def _old_cell_table(cell, corpus):
    return pd.DataFrame({
        "Score": [f"{x:.2f}".replace(".", ",") for x in cell["score"]],
        "Relation": cell["relation"].map(RELATION_FR),
        "Statut": cell["status"].map(STATUS_FR),
        "Compétence source": [_old_comp_label(corpus, s) for s in cell["source"]],
        "Compétence cible": [_old_comp_label(corpus, t) for t in cell["target"]],
        "Crédit": [f"{x:.2f}".replace(".", ",") for x in cell["credit"]],
        "Portée": cell["direction"].map(DIRECTION_FR),
        "Passage source": cell["source_phrase"],
        "Passage cible": cell["target_phrase"],
        "Explication": [views.explanation_fr(e) for e in cell["explanation"]],
    })


# ---------------------------------------------------------------- Vue d'ensemble
def test_counts_as_before(results):
    assert views.pair_counts(results.pairs) == _old_pair_counts(results.pairs)
    c = views.corpus_counts(results.corpus)
    assert c == {"certifications": len(results.corpus),
                 "blocs": sum(len(x.blocs) for x in results.corpus),
                 "competences": sum(len(x.competences) for x in results.corpus)}


def test_overlap_summary_as_before(results):
    matrix = certification_matrix(results.pairs, results.corpus, results.config.passerelles)
    new = views.overlap_summary(results.pairs, results.corpus.ids, matrix)
    old = _old_overlap_summary(results.pairs, results.corpus, matrix)
    assert_frame_equal(new, old)
    assert new["Validées"].sum() > 0 and new["Rejetées"].sum() > 0  # decisions are counted
    a, b, m = views.strongest_overlap(new)
    best = old.assign(m=old[["Couverture de B par A", "Couverture de A par B"]].max(axis=1))
    top = best.sort_values("m", ascending=False).iloc[0]
    assert (a, b, m) == (top["Certification A"], top["Certification B"], top["m"])
    assert views.strongest_overlap(new.iloc[0:0]) is None


def test_certifications_table_as_before(results):
    corpus = results.corpus
    some = next(c for c in corpus if c.sources)
    imported = {some.sources[0].split("/")[-1]}
    assert_frame_equal(views.certifications_table(corpus, imported), _old_certifications(corpus, imported))
    assert (views.certifications_table(corpus, imported)["Origine"] == "importé").sum() >= 1


# ---------------------------------------------------------------- Matrices
def test_cell_tables_as_before(results):
    corpus, pairs, cfg = results.corpus, results.pairs, results.config.passerelles
    checked = 0
    for src, tgt in [("ICD", "NEOMA"), ("NEOMA", "RS"), ("CPMC", "ICD")]:
        matrix = bloc_matrix(pairs, corpus, src, tgt, cfg)
        shown = views.labelled_matrix(matrix, corpus)
        old = matrix.copy()
        old.index = [_old_bloc_label(corpus, b, 50) for b in old.index]
        old.columns = [_old_bloc_label(corpus, b, 50) for b in old.columns]
        assert_frame_equal(shown, old)
        assert list(matrix.index) == list(bloc_matrix(pairs, corpus, src, tgt, cfg).index)  # not modified
        for a, b in itertools.product(matrix.index, matrix.columns):
            for counted in (False, True):
                cell = bloc_cell_pairs(pairs, a, b, cfg, counted_only=counted)
                assert_frame_equal(views.cell_table(cell, corpus), _old_cell_table(cell, corpus))
                checked += len(cell)
    assert checked > 0


# ---------------------------------------------------------------- Équivalences
FILTERS = [
    # (source certs, target certs, relations, score range, statuses, blocs, search, one way)
    (None, None, ("equivalent", "partial"), (0.0, 1.0), ("suggested", "validated", "rejected"), (), "", True),
    (None, None, ("equivalent", "partial", "none"), (0.0, 1.0), ("suggested", "validated", "rejected"), (), "",
     True),
    (None, None, ("equivalent", "partial"), (0.0, 1.0), ("suggested", "validated", "rejected"), (), "", False),
    (("ICD",), ("NEOMA", "RS"), ("equivalent",), (0.3, 0.95), ("suggested", "validated"), (), "", True),
    (None, None, ("equivalent", "partial", "none"), (0.0, 1.0), ("validated", "rejected"), (), "", False),
    (None, None, ("equivalent", "partial"), (0.0, 1.0), ("suggested", "validated", "rejected"),
     ("ICD:B1", "RS:B2"), "", True),
    (None, None, ("equivalent", "partial", "none"), (0.0, 1.0), ("suggested", "validated", "rejected"), (),
     "client", True),
    # words of a title or a statement, not of an id or an explanation (issue 11: « dimension humaine »)
    (None, None, ("equivalent", "partial", "none"), (0.0, 1.0), ("suggested", "validated", "rejected"), (),
     "dimension humaine", True),
    (None, None, ("partial",), (0.99, 1.0), ("suggested",), (), "", True),  # nothing left
]


@pytest.mark.parametrize("flt", FILTERS, ids=[f"filter{i}" for i in range(len(FILTERS))])
def test_equivalence_view_as_before(results, flt):
    corpus, pairs = results.corpus, results.pairs
    src, tgt, relations, score, statuses, blocs, search, one_way = flt
    src, tgt = src or tuple(corpus.ids), tgt or tuple(corpus.ids)
    f = views.PairFilter(source_certs=src, target_certs=tgt, relations=relations, score_min=score[0],
                         score_max=score[1], statuses=statuses, blocs=blocs, search=search, one_way=one_way)
    eq = views.equivalence_view(pairs, corpus, f, limit=500)
    view, table, options, old_label = _old_equivalences(pairs, corpus, src, tgt, relations, score, statuses,
                                                        blocs, search, one_way)
    assert_frame_equal(eq.view, view)
    assert_frame_equal(eq.table, table)
    assert list(eq.options) == options
    for key in options:
        assert eq.label(key) == old_label(key)
    if len(view) > 500:  # a row clicked beyond the selector's options keeps its score in the label
        key = f"{view.at[len(view) - 1, 'source']}|{view.at[len(view) - 1, 'target']}"
        assert key not in options and eq.label(key) == old_label(key)
    assert eq.label("ZZ:C1|YY:C2") == old_label("ZZ:C1|YY:C2") == "ZZ:C1 → YY:C2"
    if flt is FILTERS[-1]:
        assert view.empty and eq.table.empty
    else:
        assert len(view) > 0


def test_pair_row_is_the_filtered_row(results):
    pairs = results.pairs
    positions = views.pair_positions(pairs)
    assert len(positions) == len(pairs)
    for i in range(0, len(pairs), max(1, len(pairs) // 50)):
        s, t = pairs["source"].iat[i], pairs["target"].iat[i]
        old = pairs[(pairs["source"] == s) & (pairs["target"] == t)].iloc[0]
        pd.testing.assert_series_equal(views.pair_row(pairs, positions, s, t), old)
    with pytest.raises(KeyError):
        views.pair_row(pairs, positions, "ZZ:C1", "YY:C1")


def test_labels_as_before(results):
    corpus = results.corpus
    for comp in [c for cert in corpus for c in cert.competences][::7]:
        assert views.comp_label(corpus, comp.id) == _old_comp_label(corpus, comp.id)
        assert views.comp_label(corpus, comp.id, 20) == _old_comp_label(corpus, comp.id, 20)
    for bloc in [b for cert in corpus for b in cert.blocs]:
        assert views.bloc_label(corpus, bloc.id, 50) == _old_bloc_label(corpus, bloc.id, 50)
    assert views.comp_label(corpus, "ZZ:C1") == "ZZ:C1" and views.bloc_label(corpus, "ZZ:B1") == "ZZ:B1"
    assert views.cert_label(corpus, "ZZ") == "ZZ"


def test_import_changes_says_what_moved() -> None:
    import pandas as pd

    from crossref.views import import_changes, import_changes_text

    def table(rows):
        out = []
        for s, t, rel, score in rows:  # both orientations, as the pairs table holds them
            out += [(s, t, rel, score), (t, s, rel, score)]
        return pd.DataFrame(out, columns=["source", "target", "relation", "score"])

    before = table([("A:C1", "B:C1", "partial", 0.5), ("A:C2", "B:C1", "none", 0.1)])
    same = table([("A:C1", "B:C1", "partial", 0.5), ("A:C2", "B:C1", "none", 0.1),
                  ("A:C1", "X:C1", "equivalent", 0.9), ("B:C1", "X:C1", "none", 0.0)])
    c = import_changes(before, same)
    assert (c["pairs_added"], c["new_proposed"], c["relations_changed"], c["scores_moved"]) == (2, 1, 0, 0)
    assert "aucune relation ni aucun score ne change" in import_changes_text(c)
    moved = table([("A:C1", "B:C1", "equivalent", 0.8), ("A:C2", "B:C1", "none", 0.1)])
    c = import_changes(before, moved)
    assert (c["relations_changed"], c["scores_moved"], c["pairs_added"]) == (1, 1, 0)
    text = import_changes_text(c)
    assert "1 relation(s) changée(s), 1 score(s) modifié(s)" in text
    assert "A:C1 / B:C1 : partielle → équivalente" in text
    c = import_changes(same, before)
    assert c["pairs_removed"] == 2 and "2 paire(s) retirée(s)" in import_changes_text(c)


def test_explanation_in_french_numbers() -> None:
    text = "Relation partielle (score 0.68 ; sémantique 0.36, lexical 0.25 ; rang 2) ; ICD:C1.1 ↔ NEOMA:C4.11."
    assert views.explanation_fr(text) == (
        "Relation partielle (score 0,68 ; sémantique 0,36, lexical 0,25 ; rang 2) ; ICD:C1.1 ↔ NEOMA:C4.11.")


def test_one_way_view_holds_the_exports_rows(results):
    """The Équivalences table, unfiltered, lists exactly the rows of the CSV / JSON exports and of the
    workbook's pair sheets (one per pair, same orientation), and the counts are theirs."""
    corpus, pairs = results.corpus, results.pairs
    f = views.PairFilter(source_certs=tuple(corpus.ids), target_certs=tuple(corpus.ids),
                         relations=("equivalent", "partial", "none"))
    shown = views.filter_pairs(pairs, f)
    exported = one_row_per_pair(pairs, corpus.ids)
    assert len(exported) * 2 == len(pairs)
    assert set(zip(shown["source"], shown["target"])) == set(zip(exported["source"], exported["target"]))
    counts = views.pair_counts(pairs)
    assert counts["equivalent"] == int((exported["relation"] == "equivalent").sum())
    assert counts["partial"] == int((exported["relation"] == "partial").sum())


def test_search_reads_the_explanations_the_table_leaves_empty(results) -> None:
    """The scored table holds no explanation sentence: the search writes them for the filtered rows."""
    ids = tuple(results.corpus.ids)
    f = views.PairFilter(source_certs=ids, target_certs=ids, search="même périmètre")
    filled = views.filter_pairs(results.pairs, f)
    blank = views.filter_pairs(results.pairs.assign(explanation=""), f)
    assert len(filled) > 0
    assert list(zip(filled["source"], filled["target"])) == list(zip(blank["source"], blank["target"]))
    assert (blank["explanation"] == "").all()  # the view itself is not rewritten


def test_matcher_quality_text_in_french():
    from crossref.views import matcher_quality_text

    prov = {"out_of_sample": {"folds": 24, "reference_pairs": 432, "metrics": {
        "precision": {"value": 0.6158}, "recall": {"value": 0.5417},
        "f1": {"value": 0.5764, "ci95": [0.5302, 0.6222]}, "hits_at_1": {"value": 0.7618}}}}
    text = matcher_quality_text(prov)
    assert "24 paires de certifications, 432 paires de référence" in text
    assert "précision 0,62, rappel 0,54, F1 0,58 [0,53–0,62]" in text
    assert "en premier dans 76 % des cas" in text
    # Missing parts read « — », never a crash or an English key.
    assert "F1 —" in matcher_quality_text({"out_of_sample": {"metrics": {"precision": {"value": 0.5}}}})
    assert "non mesurée" in matcher_quality_text({})
