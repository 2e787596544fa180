"""Passerelles and VAE: status rules, JSON shape, RS indivisibility, sentence splitting, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_coverage import make_pairs, tiny_corpus, tiny_pairs

import crossref.pipeline
from crossref import passerelles as ps
from crossref.cli import main
from crossref.config import Config, PasserelleConfig
from crossref.errors import CrossrefError
from crossref.io import dumps_json
from crossref.model import Corpus
from crossref.pipeline import Results
from crossref.tables import validate

FULL, PART, NONE = ps.STATUS_FULL, ps.STATUS_PARTIAL, ps.STATUS_NONE


@pytest.fixture
def corpus() -> Corpus:
    return tiny_corpus()


@pytest.fixture
def pairs(corpus: Corpus) -> pd.DataFrame:
    return tiny_pairs(corpus)


def _bloc(result: dict, bloc_id: str) -> dict:
    return next(b for b in result["blocs"] if b["bloc"] == bloc_id)


# ---------------------------------------------------------------- status rules
@pytest.mark.parametrize("cov, status", [
    (1.0, FULL), (0.85, FULL), (0.8499, PART), (0.35, PART), (0.3499, NONE), (0.0, NONE),
    (0.85 - 1e-12, FULL),  # float noise does not flip a boundary (rounded to 6 decimals)
])
def test_status_thresholds_default(cov: float, status: str) -> None:
    assert ps.bloc_status(cov, PasserelleConfig()) == status


def test_status_thresholds_configurable() -> None:
    cfg = PasserelleConfig(full_coverage=0.6, partial_coverage=0.2)
    assert ps.bloc_status(0.6, cfg) == FULL
    assert ps.bloc_status(0.59, cfg) == PART
    assert ps.bloc_status(0.2, cfg) == PART
    assert ps.bloc_status(0.19, cfg) == NONE


# ---------------------------------------------------------------- passerelle
def test_passerelle_whole_certification(pairs: pd.DataFrame, corpus: Corpus) -> None:
    r = ps.passerelle(pairs, corpus, "AA", "BB", PasserelleConfig())
    assert r["from"] == "AA" and r["to"] == "BB"
    assert r["blocs_held"] == ["AA:B1", "AA:B2"] and r["whole_certification"]
    b1, b2 = _bloc(r, "BB:B1"), _bloc(r, "BB:B2")
    # BB:B1: C1 1, C2 .5, C3 1, C4 0 -> 2.5/4
    assert b1["coverage"] == pytest.approx(0.625) and b1["status"] == PART
    assert b1["competences"] == 4
    assert [(m["source"], m["target"]) for m in b1["matched"]] == [
        ("AA:C1", "BB:C1"), ("AA:C2", "BB:C2"), ("AA:C3", "BB:C3")]
    assert b1["missing"] == ["BB:C2", "BB:C4"]  # no equivalent match: still to evidence
    assert b1["partial"] == ["BB:C2"]
    # BB:B2: C5 .5, C6 rejected -> .25
    assert b2["coverage"] == pytest.approx(0.25) and b2["status"] == NONE
    assert b2["missing"] == ["BB:C5", "BB:C6"] and b2["partial"] == ["BB:C5"]
    assert r["coverage"] == pytest.approx(0.5)
    assert r["status"] == PART  # a bloc at least partially covered
    assert r["blocs"][0]["matched"][0]["explanation"] == "AA:C1 et BB:C1 partagent client"


def test_passerelle_selected_blocs(pairs: pd.DataFrame, corpus: Corpus) -> None:
    r = ps.passerelle(pairs, corpus, "AA", "BB", PasserelleConfig(), blocs=["AA:B1"])
    assert r["blocs_held"] == ["AA:B1"] and not r["whole_certification"]
    assert _bloc(r, "BB:B1")["coverage"] == pytest.approx(0.375)
    assert _bloc(r, "BB:B1")["status"] == PART
    assert _bloc(r, "BB:B2")["coverage"] == 0.0 and _bloc(r, "BB:B2")["status"] == NONE
    assert _bloc(r, "BB:B2")["matched"] == []
    # short codes and a comma-separated string are accepted
    same = ps.passerelle(pairs, corpus, "AA", "BB", PasserelleConfig(), blocs="B1")
    assert same["blocs"] == r["blocs"]


def test_all_blocs_fully_covered(corpus: Corpus) -> None:
    rows = [("AA:C1", f"BB:C{i}", 0.9, "equivalent") for i in range(1, 7)]
    r = ps.passerelle(make_pairs(corpus, rows), corpus, "AA", "BB", PasserelleConfig())
    assert [b["status"] for b in r["blocs"]] == [FULL, FULL]
    assert r["status"] == FULL and r["coverage"] == 1.0
    assert all(b["missing"] == [] for b in r["blocs"])


def test_nothing_covered(corpus: Corpus) -> None:
    r = ps.passerelle(make_pairs(corpus, []), corpus, "AA", "BB")
    assert r["status"] == NONE and r["coverage"] == 0.0
    assert "seuil" in r["explanation"]
    assert _bloc(r, "BB:B1")["missing"] == ["BB:C1", "BB:C2", "BB:C3", "BB:C4"]


def test_bad_bloc_named(pairs: pd.DataFrame, corpus: Corpus) -> None:
    with pytest.raises(CrossrefError, match="AA:B9"):
        ps.passerelle(pairs, corpus, "AA", "BB", blocs=["AA:B1", "AA:B9"])
    with pytest.raises(CrossrefError, match="BB:B1"):  # a bloc of another certification
        ps.passerelle(pairs, corpus, "AA", "BB", blocs=["BB:B1"])
    with pytest.raises(CrossrefError, match="aucun bloc"):
        ps.passerelle(pairs, corpus, "AA", "BB", blocs=[])


def test_unknown_or_same_certification(pairs: pd.DataFrame, corpus: Corpus) -> None:
    with pytest.raises(CrossrefError, match="'ZZ'"):
        ps.passerelle(pairs, corpus, "ZZ", "BB")
    with pytest.raises(CrossrefError, match="'YY'"):
        ps.passerelle(pairs, corpus, "AA", "YY")
    with pytest.raises(CrossrefError, match="même"):
        ps.passerelle(pairs, corpus, "AA", "AA")


# ---------------------------------------------------------------- RS indivisibility
def test_rs_source_held_as_a_whole(pairs: pd.DataFrame, corpus: Corpus) -> None:
    with pytest.raises(CrossrefError, match="indivisible"):
        ps.passerelle(pairs, corpus, "RS", "BB", blocs=["RS:B1"])
    whole = ps.passerelle(pairs, corpus, "RS", "BB")
    listed = ps.passerelle(pairs, corpus, "RS", "BB", blocs=["RS:B2", "RS:B1"])  # all blocs = whole
    assert whole["blocs"] == listed["blocs"] and whole["from_indivisible"]
    assert _bloc(whole, "BB:B2")["coverage"] == pytest.approx(0.75)  # C5 1 + C6 .5


def test_rs_target_not_partially_granted(pairs: pd.DataFrame, corpus: Corpus) -> None:
    r = ps.passerelle(pairs, corpus, "AA", "RS", PasserelleConfig())
    assert r["indivisible"]
    # bloc statuses still shown: RS:B1 C1 1, C2 1 -> 1; RS:B2 C3 .5
    assert _bloc(r, "RS:B1")["status"] == FULL
    assert _bloc(r, "RS:B2")["coverage"] == pytest.approx(0.5) and _bloc(r, "RS:B2")["status"] == PART
    # ... but the whole RS is not granted in part
    assert r["status"] == NONE
    assert "indivisible" in r["explanation"]
    # the same passerelle towards a divisible certification would be partial
    relaxed = ps.passerelle(pairs, corpus, "AA", "RS", PasserelleConfig(full_coverage=0.5))
    assert relaxed["status"] == FULL


# ---------------------------------------------------------------- JSON shape
def _check_shape(r: dict, *, vae: bool = False) -> None:
    r = json.loads(dumps_json(r))  # JSON-clean
    assert isinstance(r["from"], str) and isinstance(r["to"], str)
    assert r["status"] in ps.STATUSES and 0.0 <= r["coverage"] <= 1.0
    assert isinstance(r["blocs"], list) and r["blocs"]
    for b in r["blocs"]:
        assert {"bloc", "title", "coverage", "status", "matched", "missing"} <= set(b)
        assert isinstance(b["bloc"], str) and isinstance(b["title"], str)
        assert isinstance(b["coverage"], float) and 0.0 <= b["coverage"] <= 1.0
        assert b["status"] in ps.STATUSES
        assert all(isinstance(m, str) for m in b["missing"])
        for m in b["matched"]:
            keys = {"sentence", "target", "score", "relation"} if vae else {"source", "target", "score", "relation"}
            assert keys <= set(m)
            assert isinstance(m["score"], float) and m["relation"] in ("equivalent", "partial")


def test_json_shape(pairs: pd.DataFrame, corpus: Corpus) -> None:
    for s, t in [("AA", "BB"), ("AA", "RS"), ("RS", "BB")]:
        _check_shape(ps.passerelle(pairs, corpus, s, t))


def test_all_passerelles(pairs: pd.DataFrame, corpus: Corpus) -> None:
    allp = ps.all_passerelles(pairs, corpus, Config())
    assert [(r["from"], r["to"]) for r in allp] == [
        ("AA", "BB"), ("AA", "RS"), ("BB", "AA"), ("BB", "RS"), ("RS", "AA"), ("RS", "BB")]
    assert all(r["whole_certification"] for r in allp)


def test_passerelle_table(pairs: pd.DataFrame, corpus: Corpus) -> None:
    t = ps.passerelle_table(ps.passerelle(pairs, corpus, "AA", "BB"))
    validate(t, "passerelle")
    assert list(t["bloc"]) == ["BB:B1", "BB:B2"]
    row = t.iloc[0]
    assert row["from_cert"] == "AA" and row["blocs_held"] == "AA:B1; AA:B2"
    assert row["coverage"] == pytest.approx(0.625) and row["status"] == PART
    assert row["matched_count"] == 3 and row["competences"] == 4
    assert row["matched"].startswith("AA:C1 → BB:C1 (0.90, equivalent)")
    assert row["missing"] == "BB:C2; BB:C4" and row["partial"] == "BB:C2"
    assert row["overall_status"] == PART


# ---------------------------------------------------------------- sentences
def test_split_sentences_french() -> None:
    text = (
        "Responsable commercial chez M. Dupont depuis 2019. J'ai piloté l'équipe de vente "
        "(10 pers.) ; suivi du CA, des marges, etc. et reporting mensuel.\r\n"
        "- Élaboration du plan marketing\n"
        "- Animation des réseaux sociaux\n"
        "• Gestion du budget • Recrutement\n"
        "\n"
        "Je gère la relation client, cf. Annexe 2. Les ventes ont progressé de 3.5 % en un an !  "
        "Qui l'eût cru ?\n"
        "Achats, stocks, etc. Puis J. Martin m'a confié le pilotage.\n"
    )
    assert ps.split_sentences(text) == [
        "Responsable commercial chez M. Dupont depuis 2019.",
        "J'ai piloté l'équipe de vente (10 pers.)",
        "suivi du CA, des marges, etc. et reporting mensuel.",
        "Élaboration du plan marketing",
        "Animation des réseaux sociaux",
        "Gestion du budget",
        "Recrutement",
        "Je gère la relation client, cf. Annexe 2.",
        "Les ventes ont progressé de 3.5 % en un an !",
        "Qui l'eût cru ?",
        "Achats, stocks, etc.",
        "Puis J. Martin m'a confié le pilotage.",
    ]


def test_split_sentences_lines() -> None:
    text = (
        "J'ai conduit pendant trois ans des études de marché pour des PME\n"
        "régionales et présenté les résultats à la direction.\n"
        "Depuis 2018 je suis chargée de la relation client pour la société\n"
        "Dupont et Fils à Reims.\n"
        "Gestion de projet\n"
        "Animation d'équipe\n"
        "1. Prospection\n"
        "2) Négociation\n"
        "---\n"
    )
    assert ps.split_sentences(text) == [
        "J'ai conduit pendant trois ans des études de marché pour des PME régionales "
        "et présenté les résultats à la direction.",
        "Depuis 2018 je suis chargée de la relation client pour la société Dupont et Fils à Reims.",
        "Gestion de projet",
        "Animation d'équipe",
        "Prospection",
        "Négociation",
    ]
    assert ps.split_sentences("") == [] and ps.split_sentences(" \n - \n") == []


# ---------------------------------------------------------------- VAE
SENTENCES = ["Je pilote la stratégie.", "Je négocie avec les clients.", "Je suis les indicateurs."]
# columns BB:C1..C6 (référentiel order); thresholds: evidence .45, equivalent .70
SIM = np.array([
    #  C1    C2    C3    C4    C5    C6
    [0.80, 0.46, 0.44, 0.10, 0.20, 0.0],
    [0.30, 0.50, 0.20, 0.44, 0.70, 0.0],
    [0.50, 0.47, 0.10, 0.45, 0.69, 0.0],
])


def test_vae_from_similarity(corpus: Corpus) -> None:
    r = ps.vae_from_similarity(SENTENCES, SIM, corpus, "BB", PasserelleConfig())
    assert r["from"] == "VAE" and r["to"] == "BB" and r["sentences"] == SENTENCES
    ev = {e["competence"]: e for e in r["evidenced"]}
    assert list(ev) == ["BB:C1", "BB:C2", "BB:C4", "BB:C5"]  # C3 .44 < .45; C6 nothing
    assert ev["BB:C1"]["relation"] == "equivalent" and ev["BB:C1"]["score"] == 0.8
    assert [s["index"] for s in ev["BB:C1"]["sentences"]] == [0, 2]
    assert [s["index"] for s in ev["BB:C2"]["sentences"]] == [1, 2]  # top 2: .50, .47 (not .46)
    assert ev["BB:C2"]["relation"] == "partial"
    assert ev["BB:C4"]["relation"] == "partial"  # .45 exactly is evidence
    assert ev["BB:C5"]["relation"] == "equivalent"  # .70 exactly is equivalent
    b1, b2 = _bloc(r, "BB:B1"), _bloc(r, "BB:B2")
    # BB:B1: C1 1, C2 .5, C3 0, C4 .5 -> 2/4
    assert b1["coverage"] == pytest.approx(0.5) and b1["status"] == PART
    assert b1["missing"] == ["BB:C2", "BB:C3", "BB:C4"] and b1["partial"] == ["BB:C2", "BB:C4"]
    # per-sentence relation follows that sentence's own score
    c5 = [m for m in b2["matched"] if m["target"] == "BB:C5"]
    assert [(m["sentence_index"], m["relation"]) for m in c5] == [(1, "equivalent"), (2, "partial")]
    assert c5[0]["sentence"] == SENTENCES[1]
    assert b2["coverage"] == pytest.approx(0.5) and b2["missing"] == ["BB:C6"]
    assert r["status"] == PART
    _check_shape(r, vae=True)
    t = ps.passerelle_table(r)
    assert list(t["from_cert"]) == ["VAE", "VAE"] and t.iloc[0]["matched_count"] == 3


def test_vae_indivisible_target(corpus: Corpus) -> None:
    sim = np.array([[0.9, 0.9, 0.5]])
    r = ps.vae_from_similarity(["x"], sim, corpus, "RS")
    assert _bloc(r, "RS:B1")["status"] == FULL and r["status"] == NONE and r["indivisible"]
    r = ps.vae_from_similarity(["x"], np.array([[0.9, 0.9, 0.9]]), corpus, "RS")
    assert r["status"] == FULL


def test_vae_bad_matrix(corpus: Corpus) -> None:
    with pytest.raises(ValueError, match="3 × 6"):
        ps.vae_from_similarity(SENTENCES, SIM[:, :5], corpus, "BB")
    with pytest.raises(ValueError, match="AA:C1"):
        ps.vae_from_similarity(["x"], [[0.5]], corpus, "BB", competence_ids=["AA:C1"])


def _results(corpus: Corpus, pairs: pd.DataFrame, calls: list | None = None) -> Results:
    def scorer(texts: list[str], ids: list[str]) -> np.ndarray:
        if calls is not None:
            calls.append((list(texts), list(ids)))
        # a sentence mentioning "stratégie" evidences the bloc B1 competences fully
        return np.array([[0.9 if ("stratégie" in t and ":C" in i and int(i[-1]) <= 4) else 0.1
                          for i in ids] for t in texts])

    return Results(config=Config(), corpus=corpus, pairs=pairs, scorer=scorer)


def test_vae_with_results(pairs: pd.DataFrame, corpus: Corpus) -> None:
    calls: list = []
    res = _results(corpus, pairs, calls)
    r = ps.vae(res, "Je définis la stratégie marketing. Je fais du café.", "BB")
    # every sentence, then every two adjacent sentences together
    assert calls == [(["Je définis la stratégie marketing.", "Je fais du café.",
                       "Je définis la stratégie marketing. Je fais du café."],
                      ["BB:C1", "BB:C2", "BB:C3", "BB:C4", "BB:C5", "BB:C6"])]
    assert _bloc(r, "BB:B1")["status"] == FULL and _bloc(r, "BB:B2")["status"] == NONE
    assert r["status"] == PART
    with pytest.raises(CrossrefError, match="vide"):
        ps.vae(res, "  \n ", "BB")


# ---------------------------------------------------------------- CLI
@pytest.fixture
def fake_run(monkeypatch: pytest.MonkeyPatch, corpus: Corpus, pairs: pd.DataFrame) -> list:
    seen: list = []

    def run(config: Config, extra=(), *, use_cache=True, decisions=True):
        seen.append(list(extra))
        return _results(corpus, pairs)

    monkeypatch.setattr(crossref.pipeline, "run", run)
    return seen


def test_cli_passerelle_json(fake_run: list, capsys: pytest.CaptureFixture) -> None:
    assert main(["passerelle", "--from", "AA", "--to", "BB", "--blocs", "AA:B1,AA:B2", "--format", "json"]) == 0
    r = json.loads(capsys.readouterr().out)
    _check_shape(r)
    assert r["from"] == "AA" and r["to"] == "BB"
    assert [b["bloc"] for b in r["blocs"]] == ["BB:B1", "BB:B2"]
    assert r["blocs"][0]["coverage"] == 0.625
    assert r["blocs"][0]["matched"][0] == {**r["blocs"][0]["matched"][0], "source": "AA:C1",
                                           "target": "BB:C1", "score": 0.9, "relation": "equivalent"}
    assert fake_run == [[]]


def test_cli_passerelle_table(fake_run: list, capsys: pytest.CaptureFixture) -> None:
    assert main(["passerelle", "--from", "AA", "--to", "BB", "--blocs", "AA:B1", "--format", "table"]) == 0
    out = capsys.readouterr().out
    assert "Passerelle AA → BB (blocs AA:B1)" in out
    assert "Statut global : dispense partielle" in out
    assert "Couverture" in out and "Statut" in out
    line = next(x for x in out.splitlines() if x.startswith("BB:B1"))
    # one state per competence: 1 partly covered, 2 with no match (« à justifier »), of 4
    assert "38 %" in line and PART in line and line.split()[-2:] == ["1", "2/4"]


def test_cli_errors(fake_run: list, capsys: pytest.CaptureFixture) -> None:
    assert main(["passerelle", "--from", "AA", "--to", "BB", "--blocs", "AA:B7"]) == 2
    assert "AA:B7" in capsys.readouterr().err
    assert main(["passerelle", "--from", "RS", "--to", "BB", "--blocs", "RS:B1"]) == 2
    assert "indivisible" in capsys.readouterr().err
    assert main(["passerelle", "--from", "QQ", "--to", "BB"]) == 2
    assert "QQ" in capsys.readouterr().err


def test_cli_vae(fake_run: list, capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    f = tmp_path / "parcours.txt"
    f.write_text("J'ai élaboré la stratégie commerciale.\n- Suivi des clients\n", encoding="utf-8")
    assert main(["vae", "--to", "BB", "--text", str(f), "--format", "json"]) == 0
    r = json.loads(capsys.readouterr().out)
    _check_shape(r, vae=True)
    assert r["from"] == "VAE" and r["sentences"] == ["J'ai élaboré la stratégie commerciale.",
                                                     "Suivi des clients"]
    assert r["blocs"][0]["status"] == FULL
    assert main(["vae", "--to", "BB", "--text", str(f), "--format", "table"]) == 0
    assert "VAE → BB" in capsys.readouterr().out
    assert main(["vae", "--to", "BB", "--text", str(tmp_path / "absent.txt")]) == 2
    assert "introuvable" in capsys.readouterr().err
    (tmp_path / "vide.txt").write_text("\n - \n", encoding="utf-8")
    n_runs = len(fake_run)
    assert main(["vae", "--to", "BB", "--text", str(tmp_path / "vide.txt")]) == 2
    assert "vide" in capsys.readouterr().err and len(fake_run) == n_runs  # refused before the run


def test_cli_out_file(fake_run: list, tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    assert main(["passerelle", "--from", "AA", "--to", "RS", "--out", str(out)]) == 0
    r = json.loads(out.read_text(encoding="utf-8"))
    assert r["indivisible"] and r["status"] == NONE


# ---------------------------------------------------------------- VAE evidence units
def test_evidence_units() -> None:
    assert ps.evidence_units(3) == [(0,), (1,), (2,), (0, 1), (1, 2)]
    assert ps.evidence_units(1) == [(0,)] and ps.evidence_units(0) == []


def test_vae_combination_counts_only_when_both_sentences_tell_part(corpus: Corpus) -> None:
    sentences = ["J'analyse les ventes.", "Je propose des actions.", "Je fais du café."]
    units = ps.evidence_units(3)  # (0,), (1,), (2,), (0, 1), (1, 2)
    ids = ["BB:C1", "BB:C2", "BB:C3", "BB:C4", "BB:C5", "BB:C6"]
    sim = np.zeros((len(units), len(ids)))
    # C1: each sentence alone a near miss, together evidence -> the combination is the evidence
    sim[0, 0], sim[1, 0], sim[3, 0] = 0.30, 0.35, 0.60
    # C2: the combination adds a sentence that says nothing of it -> left out
    sim[2, 1], sim[1, 1], sim[4, 1] = 0.05, 0.40, 0.70
    # C3: one sentence is evidence alone -> the combination never replaces it
    sim[0, 2], sim[3, 2] = 0.80, 0.95
    r = ps.vae_from_similarity(sentences, sim, corpus, "BB", PasserelleConfig(), ids, units)
    by = {e["competence"]: e for e in r["competences"]}
    assert by["BB:C1"]["best_sentences"] == [1, 2] and by["BB:C1"]["state"] == "partial"
    assert by["BB:C1"]["best"] == "J'analyse les ventes. Je propose des actions."
    assert by["BB:C2"]["best_sentences"] == [2] and by["BB:C2"]["state"] == "near"
    assert by["BB:C3"]["best_sentences"] == [1] and by["BB:C3"]["score"] == 0.8
    # every target competence is listed, with its best sentence and score, absent ones too
    assert [e["competence"] for e in r["competences"]] == ids
    assert by["BB:C6"]["state"] == "none" and by["BB:C6"]["score"] == 0.0


def test_states_an_activity() -> None:
    for text in ["Je mène les négociations annuelles.", "J'encadre une équipe.", "Négociation des contrats cadres",
                 "Mettre en place des tableaux de bord", "Depuis 2019 je suis chef de rayon.", "Animé des réunions"]:
        assert ps.states_an_activity(text), text
    for text in ["Assistante marketing dans une PME de cosmétiques (2018-2024).",
                 "Responsable grands comptes depuis six ans chez un distributeur.", "Chef de rayon chez Carrefour"]:
        assert not ps.states_an_activity(text), text


def test_vae_a_job_title_is_never_evidence(pairs: pd.DataFrame, corpus: Corpus) -> None:
    res = _results(corpus, pairs)  # the fake scorer gives 0.9 to any text with « stratégie »
    r = ps.vae(res, "Responsable stratégie chez Dupont.", "BB")
    by = {e["competence"]: e for e in r["competences"]}
    assert by["BB:C1"]["state"] == "near" and not r["evidenced"]
