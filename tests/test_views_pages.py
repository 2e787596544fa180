"""The tables the Passerelles/VAE, Graphe, Import, Exports and Registre pages show come from crossref.views."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from crossref import vae as vae_tables
from crossref import views
from crossref.passerelles import passerelle, vae_from_similarity


@pytest.fixture(scope="module")
def results(default_results):
    return default_results


@pytest.fixture(scope="module")
def icd_to_neoma(results):
    return passerelle(results.pairs, results.corpus, "ICD", "NEOMA", results.config.passerelles)


def test_passerelle_blocs_table_agrees_with_the_result(results, icd_to_neoma):
    table = views.passerelle_blocs_table(icd_to_neoma, results.corpus)
    blocs = icd_to_neoma["blocs"]
    assert list(table.columns) == views.PASSERELLE_BLOCS_COLUMNS and len(table) == len(blocs)
    assert table["Couverture"].tolist() == [round(b["coverage"] * 100) for b in blocs]
    # one state per competence (issue 11): a partly covered one is not also « à justifier »
    partial = [len(set(b.get("partial", []))) for b in blocs]
    assert table["Partiellement couvertes"].tolist() == partial and sum(partial) > 0
    assert table["À justifier"].tolist() == [len(b["missing"]) - n for b, n in zip(blocs, partial)]
    assert (table["Couvertes"] + table["Partiellement couvertes"] + table["À justifier"]
            == table["Compétences"]).all()
    assert [b.split(" ")[0] for b in table["Bloc"]] == [b["bloc"] for b in blocs]


def test_bloc_tables_split_covered_partial_and_missing(results, icd_to_neoma):
    for b in icd_to_neoma["blocs"]:
        matched = views.bloc_matched_table(b, results.corpus, vae_mode=False)
        assert len(matched) == len(b["matched"])
        assert list(matched.columns[:2]) == ["Score", "Relation"]  # decisive columns first
        assert all("." not in s for s in matched["Score"])  # French decimals
        assert not matched["Explication"].str.contains(r"score \d\.\d", regex=True).any()
        n_partial, missing = views.bloc_missing_table(b, results.corpus, "NEOMA")
        assert n_partial == len(set(b.get("partial", [])))
        # a competence is either partly covered (listed with the covered ones) or missing, never both
        assert len(missing) == len([c for c in b["missing"] if c not in set(b.get("partial", []))])
        assert (missing["Critères"] >= 0).all()


def _vae(results) -> dict:
    ids = [c.id for c in results.corpus.certification("ICD").competences]
    sentences = ["Je négocie les contrats.", "Je fais du café."]
    sim = np.full((2, len(ids)), 0.05)
    sim[0, 0], sim[0, 1] = 0.95, 0.30  # one evidenced, one near miss (scores, not pairs: pure)
    return vae_from_similarity(sentences, sim, results.corpus, "ICD", results.config.passerelles, ids)


def test_vae_view_filters_sorts_and_formats(results):
    result = _vae(results)
    table = vae_tables.competence_table(result)
    every = views.vae_competence_view(table, results.corpus)
    assert len(every) == len(result["competences"]) and list(every.columns) == views.VAE_VIEW_COLUMNS
    scores = [float(s.replace(",", ".")) for s in every["Score"]]
    assert scores == sorted(scores, reverse=True)
    attested = views.vae_competence_view(table, results.corpus, "attestées")
    assert len(attested) == len(result["evidenced"]) >= 1
    assert attested["État"].str.startswith("attestée").all()
    none = views.vae_competence_view(table, results.corpus, "non attestées")
    near = views.vae_competence_view(table, results.corpus, "à la limite")
    assert len(attested) + len(near) + len(none) == len(every)
    with pytest.raises(ValueError):
        views.vae_competence_view(table, results.corpus, "n'importe")
    order = views.vae_decision_order(result)
    states = {e["competence"]: e["state"] for e in result["competences"]}
    n_near = sum(s == "near" for s in states.values())
    assert sorted(order) == sorted(states) and all(states[c] == "near" for c in order[:n_near])
    text = views.vae_summary_text(result)
    assert text.startswith(f"**{len(result['evidenced'])} compétence(s) d'ICD")  # elided (issue 11)
    assert f"sur {len(result['competences'])}, {n_near} à la limite, d'après 2 phrase(s)" in text


def test_cluster_view_and_members(results):
    from crossref.clusters import cluster_summary

    summary = cluster_summary(results.clusters)
    shared, caption = views.cluster_view(summary, shared_only=True)
    every, _ = views.cluster_view(summary, shared_only=False)
    assert len(every) == len(summary) and (shared["Certifications"] >= 2).all()
    assert caption.startswith(f"{len(summary)} cluster(s), dont {len(shared)} communs")
    members = views.cluster_members_table(results.clusters, results.corpus, int(every["Cluster"].iloc[0]))
    assert len(members) == int(every["Compétences"].iloc[0])


def test_other_page_tables(results):
    icd = results.corpus.certification("ICD")
    preview = views.certification_preview_table(icd)
    assert len(preview) == len(icd.competences) and preview["Critères"].sum() > 0
    versions = views.data_versions_table(results.data_versions)
    assert versions["Certification"].tolist() == list(results.data_versions)
    conf = views.config_table(results.config)
    assert "matching.hubness" in conf["Paramètre"].tolist()
    bloc = SimpleNamespace(bloc="RNCP1:B2", coverage=0.4286)
    hit = SimpleNamespace(fiche="RNCP1", title="T", overlap=0.5, covers=0.25, covered_by=0.75, blocs_covered=[bloc])
    table = views.registry_overlaps_table(SimpleNamespace(overlaps=[hit]))
    assert table["Blocs couverts"].tolist() == ["B2 43 %"]
    assert views.registry_caption(12345, 300000, "use-multilingual:v3") == \
        "12\u202f345 fiches, 300\u202f000 compétences, modèle use-multilingual."


def test_download_bytes_and_sidebar_counts(results, icd_to_neoma):
    import io

    import openpyxl

    from crossref.export.xlsx import passerelle_workbook_bytes, results_workbook_bytes
    from crossref.graph import build_graph, equivalence_edge_count

    wb = openpyxl.load_workbook(io.BytesIO(results_workbook_bytes(results)), read_only=True)
    assert wb.sheetnames[0] == "Synthèse" and len(wb.sheetnames) > 3
    pw = openpyxl.load_workbook(io.BytesIO(passerelle_workbook_bytes(icd_to_neoma, results.corpus)), read_only=True)
    assert pw.sheetnames
    g = build_graph(results)
    n = equivalence_edge_count(g)
    assert 0 < n < g.number_of_edges()  # containment edges are not counted
    n_comp = sum(len(c.competences) for c in results.corpus)
    assert views.corpus_caption(results.corpus) == f"{len(results.corpus)} certifications · {n_comp} compétences"
