"""VAE an advisor can sign, on narratives written for the purpose (tests/data/vae/), with the real models."""

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from crossref import vae as v
from crossref.config import Config
from crossref.errors import CrossrefError
from crossref.passerelles import vae
from crossref.pipeline import run
from crossref.review import DecisionStore

NARRATIVES = Path("tests/data/vae")


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("vae")
    return run(Config(database_url=f"sqlite:///{tmp / 'decisions.sqlite'}"))


def _analyse(results, name: str, target: str, decisions=None) -> dict:
    return vae(results, (NARRATIVES / f"{name}.txt").read_text(encoding="utf-8"), target, decisions=decisions)


def _states(result: dict) -> dict[str, str]:
    return {e["competence"]: e["state"] for e in result["competences"]}


def test_key_account_manager_negotiation_veille_segmentation_management(results) -> None:
    r = _analyse(results, "grands_comptes", "ICD")
    states = _states(r)
    by = {e["competence"]: e for e in r["competences"]}
    for cid, word in [("ICD:C2.7", "négociations"), ("ICD:C1.1", "veille"), ("ICD:C1.2", "segmente"),
                      ("ICD:C3.3", "encadre"), ("ICD:C3.4", "encadre")]:
        assert states[cid] in ("equivalent", "partial"), (cid, by[cid])
        assert word in by[cid]["best"]
    # the job title opening the narrative evidences nothing
    assert all("Responsable grands comptes" not in ev["text"] for e in r["competences"] for ev in e["evidence"])


def test_store_manager_management_and_claims(results) -> None:
    states = _states(_analyse(results, "chef_de_rayon", "ICD"))
    assert states["ICD:C3.3"] in ("equivalent", "partial")  # « Je manage une équipe de six vendeurs »
    assert states["ICD:C2.8"] in ("equivalent", "partial")  # « Je traite les réclamations… litiges »
    assert states["ICD:C1.6"] in ("equivalent", "partial")  # analyse des écarts et actions correctives
    # nothing said about digital marketing, CRM or content
    for cid in ("ICD:C4.3", "ICD:C4.6", "ICD:C4.9", "ICD:C4.10"):
        assert states[cid] in ("none", "near"), cid


def test_absent_activities_are_not_evidenced(results) -> None:
    for target in ("ICD", "NEOMA"):
        r = _analyse(results, "hors_champ", target)
        assert not r["evidenced"] and r["coverage"] == 0.0, [e["competence"] for e in r["evidenced"]]


def test_every_competence_with_its_best_sentence_and_score(results) -> None:
    r = _analyse(results, "assistante_marketing", "ICD")
    target = results.corpus.certification("ICD")
    assert [e["competence"] for e in r["competences"]] == [c.id for c in target.competences]
    table = v.competence_table(r)
    assert len(table) == len(target.competences)
    assert table["Meilleure preuve"].str.len().gt(0).all()  # even an absent one shows its closest sentence
    near = table[table["État"] == "à la limite"]
    assert len(near) and (near["Score"] < 0.45).all() and (near["Score"] >= 0.2).all()
    # the job title is at most « à la limite »
    assert "Assistante marketing" not in " ".join(table.loc[table["État"].str.startswith("attestée"),
                                                            "Meilleure preuve"])


def test_advisor_confirms_rejects_and_adds_evidence(results, tmp_path) -> None:
    store = DecisionStore(f"sqlite:///{tmp_path / 'd.sqlite'}")
    dossier = v.dossier_key("Mme Durand", "ICD")
    store.vae_decide(dossier, "ICD:C2.7", "reject", "C. Conseil", note="négociation avec les acheteurs seulement")
    store.vae_decide(dossier, "ICD:C4.3", "add", "C. Conseil", relation="partial",
                     evidence="A rédigé le cahier des charges du CRM (annexe 3)", note="pièce jointe vue")
    store.vae_decide(dossier, "ICD:C1.1", "confirm", "C. Conseil", relation="equivalent")
    with pytest.raises(CrossrefError, match="texte"):
        store.vae_decide(dossier, "ICD:C4.4", "add", "C. Conseil")
    with pytest.raises(CrossrefError, match="accompagnateur"):
        store.vae_decide(dossier, "ICD:C4.4", "confirm", " ")
    with pytest.raises(CrossrefError, match="note refusé"):
        store.vae_decide(dossier, "ICD:C4.4", "confirm", "C. Conseil", note="x\x00y")
    with pytest.raises(CrossrefError, match="preuve refusé"):
        store.vae_decide(dossier, "ICD:C4.4", "add", "C. Conseil", evidence="x" * 10_001)
    decisions = v.dossier_decisions(store, "Mme Durand", "ICD")
    assert list(decisions["competence"]) == ["ICD:C2.7", "ICD:C4.3", "ICD:C1.1"]
    r = _analyse(results, "grands_comptes", "ICD", decisions)
    by = {e["competence"]: e for e in r["competences"]}
    assert by["ICD:C2.7"]["state"] == "none" and by["ICD:C2.7"]["model_state"] in ("equivalent", "partial")
    assert by["ICD:C4.3"]["state"] == "partial"
    assert by["ICD:C4.3"]["evidence"][0]["text"].startswith("A rédigé")
    table = v.competence_table(r).set_index("Compétence")
    assert table.loc["ICD:C2.7", "Décision"] == "rejetée"
    assert table.loc["ICD:C2.7", "Note"] == "négociation avec les acheteurs seulement"
    assert table.loc["ICD:C4.3", "Accompagnateur"] == "C. Conseil" and table.loc["ICD:C4.3", "Date"]
    # another dossier sees none of it
    assert v.dossier_decisions(store, "M. Autre", "ICD").empty
    store.close()


def test_vae_workbook_in_french(results) -> None:
    r = _analyse(results, "grands_comptes", "ICD")
    wb = load_workbook(io.BytesIO(v.workbook_bytes(r, "Mme Durand", "2026-12-02T10:00:00Z")))
    assert wb.sheetnames == ["Dossier", "Blocs", "Compétences", "Phrases"]
    dossier = {row[0]: row[1] for row in wb["Dossier"].iter_rows(min_row=2, values_only=True)}
    assert dossier["Candidat"] == "Mme Durand" and dossier["Couverture globale"].endswith(" %")
    assert "," in dossier["Couverture globale"] or dossier["Couverture globale"] == "0 %"
    blocs = list(wb["Blocs"].iter_rows(values_only=True))
    assert blocs[0] == tuple(v.BLOC_COLUMNS) and len(blocs) == 1 + 4
    assert wb["Blocs"].cell(row=2, column=4).number_format == "0%"  # a percentage, not 0.166667
    comps = list(wb["Compétences"].iter_rows(values_only=True))
    assert comps[0] == tuple(v.COMPETENCE_COLUMNS) and len(comps) == 1 + 34
    assert wb["Compétences"].freeze_panes == "A2" and wb["Compétences"].auto_filter.ref


def test_cli_table_lists_every_competence_best_first(capsys) -> None:
    from crossref.cli import main

    assert main(["vae", "--to", "ICD", "--text", str(NARRATIVES / "grands_comptes.txt"), "--format", "table"]) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith("ICD:C")]
    assert len(rows) == 34
    assert "négociations" in out and "à la limite" in out
    scores = [float(r.split()[1].replace(",", ".")) for r in rows]
    assert scores == sorted(scores, reverse=True)


def test_held_out_narratives_at_the_shipped_threshold(results) -> None:
    """Narratives the scale was not fitted on (tests/data/vae_heldout/, labelled before scoring):
    floors a little under the measured figures (precision 0.81, recall 0.67; before the stemmed
    part and the fitted scale: 0.93 / 0.39). See benchmarks/vae_heldout.py."""
    from benchmarks.vae_heldout import HELDOUT, load_labels, measure

    m = measure(lambda text, target: vae(results, text, target), load_labels(HELDOUT))
    assert m["precision"] >= 0.75 and m["recall"] >= 0.6, m
    assert m["auc"] >= 0.93, m


def test_watching_competitor_prices_is_veille(results) -> None:
    for text in ("Je surveille les prix des enseignes concurrentes.",
                 "Je surveille les prix des enseignes concurrentes de la zone."):
        by = {e["competence"]: e for e in vae(results, text, "ICD")["competences"]}
        assert by["ICD:C1.1"]["state"] in ("equivalent", "partial"), by["ICD:C1.1"]


def test_no_commercial_experience_evidences_nothing(results) -> None:
    """A nurse: nothing labelled absent is evidenced (supervising trainees, left unlabelled
    towards NEOMA's team management, may be)."""
    from benchmarks.vae_heldout import HELDOUT, load_labels

    (_, text, labels), = [n for n in load_labels(HELDOUT) if n[0] == "infirmiere"]
    for target in ("ICD", "NEOMA"):
        said = {e["competence"] for e in vae(results, text, target)["evidenced"]}
        assert not said & {c for c, truth in labels[target].items() if not truth}, said
    assert sum(not truth for t in labels.values() for truth in t.values()) == 54
