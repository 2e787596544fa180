"""A pair's score as contributions that add up to it; whole clauses; the critères part; direction evidence."""

import numpy as np
import pytest

from crossref.config import Config
from crossref.explain import feature_label, pair_contributions
from crossref.figures import contribution_waterfall
from crossref.pipeline import run
from crossref.views import criteria_comparable, direction_text, whole_clause


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("explain")
    return run(Config(database_url=f"sqlite:///{tmp / 'decisions.sqlite'}"))


PAIRS = [("ICD:C1.1", "NEOMA:C1"), ("NEOMA:C1", "ICD:C1.1"), ("CPMC:C3", "ICD:C2.7"), ("RS:A1.1", "NEOMA:C5")]


@pytest.mark.parametrize("source,target", PAIRS)
def test_contributions_add_up_to_the_pairs_score(results, source, target) -> None:
    c = pair_contributions(results, source, target)
    parts = sum(f["contribution"] for f in c["features"]) + c["intercept"]
    assert parts == pytest.approx(c["logit"], abs=1e-9)
    assert c["score"] == pytest.approx(1 / (1 + np.exp(-c["logit"])), abs=1e-12)
    score = results.pairs.set_index(["source", "target"]).loc[(source, target), "score"]
    assert c["score"] == pytest.approx(float(score), abs=1e-4)  # the table's score, rebuilt from its parts
    assert all(f["label"] and not f["label"].startswith("z:") for f in c["features"])
    assert 0.0 <= c["source_covers_target"] <= 1.0 and 0.0 <= c["target_covers_source"] <= 1.0


def test_direction_evidence_follows_the_orientation(results) -> None:
    ab = pair_contributions(results, "ICD:C1.1", "NEOMA:C1")
    ba = pair_contributions(results, "NEOMA:C1", "ICD:C1.1")
    assert ab["source_covers_target"] == ba["target_covers_source"]
    assert ab["target_covers_source"] == ba["source_covers_target"]
    text = direction_text(0.78, 0.452)
    assert text == ("La source couvre 78 % des propositions de la cible ; "
                    "la cible couvre 45 % de celles de la source.")


def test_waterfall_parts_and_total(results) -> None:
    c = pair_contributions(results, "ICD:C1.1", "NEOMA:C1")
    fig = contribution_waterfall(c, top=5)
    trace = fig.data[0]
    assert list(trace.measure) == ["relative"] * 7 + ["total"]  # base, 5 largest, the rest, total
    assert sum(trace.x[:-1]) == pytest.approx(trace.x[-1])
    assert trace.y[0] == "base du modèle" and trace.y[-1] == "total (logit)"
    assert "," in fig.layout.title.text and "." not in fig.layout.title.text.split("Score ")[1][:4]


def test_feature_labels_are_french() -> None:
    assert feature_label("z:use-multilingual:core") == "canal use-multilingual (verbe + objet)"
    assert feature_label("cov_min").startswith("couverture")


def test_whole_clause_not_fragments() -> None:
    statement = ("Gérer les situations conflictuelles internes et externes, en étant attentifs aux signes "
                 "d'alerte, en pratiquant une écoute active, en faisant preuve d'intelligence situationnelle "
                 "et d'équité et en prenant les décisions adaptées, pour assurer la cohésion des équipes")
    fragment = "en faisant preuve d'intelligence situationnelle et d'équité et"
    assert whole_clause(statement, fragment) == (
        "en faisant preuve d'intelligence situationnelle et d'équité et en prenant les décisions adaptées")
    assert whole_clause(statement, "Gérer les situations") == "Gérer les situations conflictuelles internes et externes"
    assert whole_clause(statement, "absent du texte") == "absent du texte"
    assert whole_clause(statement, "") == ""


def test_criteria_part_only_when_both_have_their_own(results) -> None:
    corpus = results.corpus
    cpmc = corpus.certification("CPMC")
    icd = corpus.certification("ICD")
    with_own = next(c.id for c in icd.competences if icd.own_criteria(c.id))
    # CPMC's critères belong to whole blocs: its critères part read 0,00 on every pair
    without = next(c.id for c in cpmc.competences if not cpmc.own_criteria(c.id))
    assert not criteria_comparable(corpus, with_own, without)
    other = next(c.id for c in corpus.certification("NEOMA").competences
                 if corpus.certification("NEOMA").own_criteria(c.id))
    assert criteria_comparable(corpus, with_own, other)


def test_workbook_leaves_the_critères_part_empty_where_it_means_nothing(results) -> None:
    from crossref.export.xlsx import pair_sheet_table

    table = pair_sheet_table(results, "ICD", "CPMC")
    assert len(table) > 0
    comparable = [criteria_comparable(results.corpus, s, t)
                  for s, t in zip(table["Compétence source"], table["Compétence cible"])]
    assert not all(comparable)  # CPMC's critères belong to whole blocs
    for ok, value in zip(comparable, table["Part critères"]):
        assert (value == value) == ok  # NaN (empty cell) exactly where not comparable
