"""Coverage arithmetic pinned on a tiny hand-built corpus and pairs table.

Also the shared builders (tiny_corpus, make_pairs) imported by test_passerelles and test_figures.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from crossref import coverage
from crossref.config import Config, PasserelleConfig
from crossref.errors import ConfigError, CrossrefError
from crossref.model import Bloc, Certification, Competence, Corpus
from crossref.tables import PAIR_COLUMNS, SCHEMAS, validate


# ---------------------------------------------------------------- builders
def _cert(cid: str, title: str, blocs: dict[str, list[str]], *, indivisible: bool = False,
          savoirs: dict[str, list[str]] | None = None) -> Certification:
    cert = Certification(id=cid, title=title, register="RS" if indivisible else "RNCP",
                         indivisible=indivisible)
    for bcode, comps in blocs.items():
        bid = f"{cid}:{bcode}"
        cert.blocs.append(Bloc(id=bid, certification=cid, code=bcode, title=f"Bloc {bcode} de {title}"))
        for code in comps:
            cert.competences.append(Competence(
                id=f"{cid}:{code}", certification=cid, code=code, title=f"{code} {title}",
                statement=f"Énoncé {code} de {title}", bloc_id=bid))
    for bcode, codes in (savoirs or {}).items():
        for code in codes:
            cert.savoirs.append(Competence(
                id=f"{cid}:{code}", certification=cid, code=code, title=code, statement=f"Savoir {code}",
                bloc_id=f"{cid}:{bcode}", kind="savoir"))
    cert.validate()
    return cert


def tiny_corpus() -> Corpus:
    """AA: B1={C1,C2}, B2={C3}; BB: B1={C1..C4}, B2={C5,C6}; RS (indivisible): B1={C1,C2}, B2={C3}."""
    return Corpus([
        _cert("AA", "Certif A", {"B1": ["C1", "C2"], "B2": ["C3"]}),
        _cert("BB", "Certif B", {"B1": ["C1", "C2", "C3", "C4"], "B2": ["C5", "C6"]},
              savoirs={"B2": ["S1"]}),
        _cert("RS", "Habilitation RS", {"B1": ["C1", "C2"], "B2": ["C3"]}, indivisible=True),
    ])


def make_pairs(corpus: Corpus, rows: list[tuple]) -> pd.DataFrame:
    """rows: (source, target, score, relation[, status]) -> a valid "pairs" table."""
    out = []
    for row in rows:
        src, tgt, score, relation = row[:4]
        status = row[4] if len(row) > 4 else "suggested"
        s, t = corpus.competence(src), corpus.competence(tgt)
        out.append({
            "source": src, "target": tgt,
            "source_cert": s.certification, "target_cert": t.certification,
            "source_bloc": s.bloc_id, "target_bloc": t.bloc_id,
            "score": float(score), "semantic": float(score), "lexical": 0.0, "criteria": 0.0,
            "rank": 1, "relation": relation, "direction": "same", "model_relation": relation,
            "status": status, "reviewer": "", "decided_at": "", "note": "",
            "source_phrase": f"phrase de {src}", "target_phrase": f"phrase de {tgt}",
            "shared_terms": "client; marketing", "explanation": f"{src} et {tgt} partagent client",
        })
    df = pd.DataFrame(out, columns=PAIR_COLUMNS)
    if not out:  # an empty frame has object columns; give it the schema's dtypes
        df = df.astype({n: c.dtype.type for n, c in SCHEMAS["pairs"].columns.items()})
    return validate(df, "pairs")


TINY_ROWS = [
    ("AA:C1", "BB:C1", 0.90, "equivalent"),
    ("AA:C2", "BB:C1", 0.60, "partial"),      # weaker match of the same target: max wins
    ("AA:C2", "BB:C2", 0.60, "partial"),
    ("AA:C3", "BB:C3", 0.85, "equivalent"),
    ("AA:C3", "BB:C5", 0.58, "partial"),
    ("AA:C1", "BB:C4", 0.30, "none"),          # no credit
    ("AA:C2", "BB:C6", 0.82, "equivalent", "rejected"),  # rejected: no credit whatever the relation
    ("BB:C1", "AA:C1", 0.90, "equivalent"),
    ("AA:C1", "RS:C1", 0.88, "equivalent"),
    ("AA:C2", "RS:C2", 0.81, "equivalent"),
    ("AA:C3", "RS:C3", 0.60, "partial"),
    ("RS:C1", "BB:C5", 0.83, "equivalent"),
    ("RS:C3", "BB:C6", 0.56, "partial"),
]


def tiny_pairs(corpus: Corpus | None = None) -> pd.DataFrame:
    return make_pairs(corpus or tiny_corpus(), TINY_ROWS)


@pytest.fixture
def corpus() -> Corpus:
    return tiny_corpus()


@pytest.fixture
def pairs(corpus: Corpus) -> pd.DataFrame:
    return tiny_pairs(corpus)


# ---------------------------------------------------------------- credits
def test_pair_credit_by_relation_and_review(pairs: pd.DataFrame) -> None:
    credit = coverage.pair_credit(pairs, PasserelleConfig())
    by = dict(zip(zip(pairs["source"], pairs["target"]), credit))
    assert by[("AA:C1", "BB:C1")] == 1.0
    assert by[("AA:C2", "BB:C2")] == 0.5
    assert by[("AA:C1", "BB:C4")] == 0.0
    assert by[("AA:C2", "BB:C6")] == 0.0  # rejected


def test_credits_follow_config(pairs: pd.DataFrame) -> None:
    cfg = PasserelleConfig(equivalent_credit=0.9, partial_credit=0.25)
    cov = coverage.competence_coverage(pairs, ["AA:C1", "AA:C2"], ["BB:C1", "BB:C2", "BB:C3"], cfg)
    assert cov.to_dict() == {"BB:C1": 0.9, "BB:C2": 0.25, "BB:C3": 0.0}


def test_whole_config_accepted(pairs: pd.DataFrame, corpus: Corpus) -> None:
    a = coverage.bloc_matrix(pairs, corpus, "AA", "BB", Config())
    b = coverage.bloc_matrix(pairs, corpus, "AA", "BB", PasserelleConfig())
    pd.testing.assert_frame_equal(a, b)


def test_inconsistent_rules_refused() -> None:
    with pytest.raises(ConfigError, match="partial_coverage"):
        coverage.passerelle_config(PasserelleConfig(full_coverage=0.3, partial_coverage=0.5))
    with pytest.raises(ConfigError, match="partial_credit"):
        coverage.passerelle_config(PasserelleConfig(partial_credit=1.0, equivalent_credit=0.8))
    with pytest.raises(ConfigError, match="vae_evidence_threshold"):
        coverage.passerelle_config(PasserelleConfig(vae_evidence_threshold=0.9))


# ---------------------------------------------------------------- bloc matrix
def test_bloc_matrix_hand_arithmetic(pairs: pd.DataFrame, corpus: Corpus) -> None:
    m = coverage.bloc_matrix(pairs, corpus, "AA", "BB", PasserelleConfig())
    assert list(m.index) == ["AA:B1", "AA:B2"]
    assert list(m.columns) == ["BB:B1", "BB:B2"]
    # AA:B1 -> BB:B1: C1 max(1, .5)=1, C2 .5, C3 0, C4 0 (none) -> 1.5/4
    assert m.loc["AA:B1", "BB:B1"] == pytest.approx(0.375)
    # AA:B1 -> BB:B2: C5 0, C6 rejected -> 0
    assert m.loc["AA:B1", "BB:B2"] == pytest.approx(0.0)
    # AA:B2 -> BB:B1: C3 1 -> 1/4
    assert m.loc["AA:B2", "BB:B1"] == pytest.approx(0.25)
    # AA:B2 -> BB:B2: C5 .5 -> .5/2
    assert m.loc["AA:B2", "BB:B2"] == pytest.approx(0.25)


def test_bloc_matrix_is_directional(pairs: pd.DataFrame, corpus: Corpus) -> None:
    back = coverage.bloc_matrix(pairs, corpus, "BB", "AA", PasserelleConfig())
    assert list(back.index) == ["BB:B1", "BB:B2"]
    # only BB:C1 -> AA:C1 exists: AA:B1 half covered by BB:B1
    assert back.loc["BB:B1", "AA:B1"] == pytest.approx(0.5)
    assert back.loc["BB:B2", "AA:B1"] == 0.0
    assert back.loc["BB:B1", "AA:B2"] == 0.0


def test_savoirs_do_not_count(pairs: pd.DataFrame, corpus: Corpus) -> None:
    # BB:B2 has a savoir BB:S1; the mean stays over its 2 competences
    m = coverage.bloc_matrix(pairs, corpus, "RS", "BB", PasserelleConfig())
    assert m.loc["RS:B1", "BB:B2"] == pytest.approx(0.5)   # C5 equivalent
    assert m.loc["RS:B2", "BB:B2"] == pytest.approx(0.25)  # C6 partial


def test_bloc_matrix_unknown_certification(pairs: pd.DataFrame, corpus: Corpus) -> None:
    with pytest.raises(CrossrefError, match="ZZ"):
        coverage.bloc_matrix(pairs, corpus, "AA", "ZZ")


def test_empty_pairs_give_zeros(corpus: Corpus) -> None:
    m = coverage.bloc_matrix(make_pairs(corpus, []), corpus, "AA", "BB")
    assert (m.to_numpy() == 0).all()


def test_cell_pairs_best_first(pairs: pd.DataFrame) -> None:
    cell = coverage.bloc_cell_pairs(pairs, "AA:B1", "BB:B1")
    assert list(zip(cell["source"], cell["target"])) == [
        ("AA:C1", "BB:C1"), ("AA:C2", "BB:C1"), ("AA:C2", "BB:C2")]
    assert list(cell["credit"]) == [1.0, 0.5, 0.5]
    counted = coverage.bloc_cell_pairs(pairs, "AA:B1", "BB:B1", counted_only=True)
    assert list(counted["target"]) == ["BB:C1", "BB:C2"]
    # the cell's value is made of the counted pairs
    assert counted["credit"].sum() / 4 == pytest.approx(0.375)


def test_best_cell_pairs_dicts(pairs: pd.DataFrame) -> None:
    best = coverage.best_cell_pairs(pairs, "AA:B1", "BB:B1", n=1)
    assert len(best) == 1
    assert best[0]["source"] == "AA:C1" and best[0]["relation"] == "equivalent"
    assert isinstance(best[0]["score"], float)


def test_best_pairs_by_cell_one_per_target_strongest_first(pairs: pd.DataFrame) -> None:
    best = coverage.best_pairs_by_cell(pairs, PasserelleConfig())
    cell = best[("AA:B1", "BB:B1")]
    # BB:C1 is matched by AA:C1 (equivalent) and AA:C2 (partial): only the strongest is kept;
    # AA:C1 -> BB:C4 ("none") earns nothing and is not listed.
    assert [(p["source"], p["target"], p["credit"]) for p in cell] == [
        ("AA:C1", "BB:C1", 1.0), ("AA:C2", "BB:C2", 0.5)]
    assert all(isinstance(p["score"], float) and isinstance(p["credit"], float) for p in cell)
    assert set(cell[0]) == set(coverage.PAIR_DETAIL) | {"credit"}
    # a rejected pair earns no credit, whatever its relation: AA:C2 -> BB:C6 is left out
    assert [p["target"] for p in best[("AA:B2", "BB:B2")]] == ["BB:C5"]
    # cells without any credited pair are absent
    assert ("AA:B1", "BB:B2") not in best
    assert ("BB:B1", "AA:B1") in best and ("RS:B1", "BB:B2") in best


def test_best_pairs_by_cell_limit_and_bloc_restriction(pairs: pd.DataFrame) -> None:
    one = coverage.best_pairs_by_cell(pairs, n=1)
    assert [p["target"] for p in one[("AA:B1", "BB:B1")]] == ["BB:C1"]
    restricted = coverage.best_pairs_by_cell(pairs, blocs=(["AA:B1", "AA:B2"], ["RS:B1"]))
    assert set(restricted) == {("AA:B1", "RS:B1")}
    assert restricted[("AA:B1", "RS:B1")] == coverage.best_pairs_by_cell(pairs)[("AA:B1", "RS:B1")]


def test_best_pairs_by_cell_agrees_with_best_cell_pairs(pairs: pd.DataFrame) -> None:
    """The one-pass version gives, for every cell, what the per-cell function gives."""
    for n in (1, 2, 3):
        best = coverage.best_pairs_by_cell(pairs, PasserelleConfig(), n=n)
        cells = set(zip(pairs["source_bloc"], pairs["target_bloc"]))
        for a, b in cells:
            assert best.get((a, b), []) == coverage.best_cell_pairs(pairs, a, b, PasserelleConfig(), n=n), (a, b)


def test_best_pairs_by_cell_on_the_built_in_results(default_results) -> None:
    pairs, config = default_results.pairs, default_results.config.passerelles
    best = coverage.best_pairs_by_cell(pairs, config)
    assert len(best) > 20
    for (a, b), listed in best.items():
        assert listed == coverage.best_cell_pairs(pairs, a, b, config, n=3), (a, b)
        assert len({p["target"] for p in listed}) == len(listed) <= 3
        assert [(-p["credit"], -p["score"]) for p in listed] == sorted((-p["credit"], -p["score"]) for p in listed)


# ---------------------------------------------------------------- certification matrix
def test_certification_matrix(pairs: pd.DataFrame, corpus: Corpus) -> None:
    m = coverage.certification_matrix(pairs, corpus, PasserelleConfig())
    assert list(m.index) == ["AA", "BB", "RS"] == list(m.columns)
    for cid in m.index:
        assert math.isnan(m.loc[cid, cid])  # diagonal left blank
    # AA -> BB over 6 competences: C1 1, C2 .5, C3 1, C4 0, C5 .5, C6 0 -> 3/6
    assert m.loc["AA", "BB"] == pytest.approx(0.5)
    # AA -> RS: 1 + 1 + .5 over 3
    assert m.loc["AA", "RS"] == pytest.approx(2.5 / 3)
    # BB -> AA: AA:C1 only -> 1/3
    assert m.loc["BB", "AA"] == pytest.approx(1 / 3)
    # RS -> BB: C5 1, C6 .5 -> 1.5/6
    assert m.loc["RS", "BB"] == pytest.approx(0.25)
    assert m.loc["BB", "RS"] == 0.0


# ---------------------------------------------------------------- long table
def test_matrix_table(pairs: pd.DataFrame, corpus: Corpus) -> None:
    t = coverage.matrix_table(pairs, corpus, PasserelleConfig())
    assert list(t.columns) == ["source_cert", "target_cert", "source_bloc", "target_bloc",
                               "coverage", "best_pairs"]
    # 3 certs with 2 blocs each: 6 ordered pairs × 4 cells
    assert len(t) == 24
    validate(t, "bloc_matrix")
    row = t[(t.source_bloc == "AA:B1") & (t.target_bloc == "BB:B1")].iloc[0]
    assert row.coverage == pytest.approx(0.375)
    assert row.best_pairs == "AA:C1 → BB:C1 (0.90, equivalent); AA:C2 → BB:C2 (0.60, partial)"
    empty = t[(t.source_bloc == "AA:B1") & (t.target_bloc == "BB:B2")].iloc[0]
    assert empty.coverage == 0.0 and empty.best_pairs == ""
    # same numbers as bloc_matrix
    m = coverage.bloc_matrix(pairs, corpus, "RS", "AA")
    sub = t[(t.source_cert == "RS") & (t.target_cert == "AA")]
    assert np.allclose(sub.coverage.to_numpy(), m.to_numpy().ravel())
