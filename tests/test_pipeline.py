"""The pipeline and the matching CLI on the real référentiels (embeddings from the packaged USE model)."""

import csv
import io
import json
import re

import numpy as np
import pandas as pd
import pytest

from crossref.cli import main
from crossref.pipeline import run
from crossref.tables import PAIR_COLUMNS, validate


@pytest.fixture(scope="module")
def cfg(default_config):
    # Private decision store and embedding cache (conftest): nothing read from data/ or models/cache.
    return default_config


@pytest.fixture(scope="module")
def results(default_results):
    return default_results


@pytest.fixture
def conf_file(cfg, tmp_path):
    """The same configuration as a file, for the CLI."""
    conf = tmp_path / "c.json"
    conf.write_text(json.dumps({"database_url": cfg.database_url,
                                "embedding": {"cache_dir": cfg.embedding.cache_dir}}))
    return conf


def test_every_ordered_cross_certification_pair_once(results, builtin_corpus):
    assert results.corpus.ids == builtin_corpus.ids == ["ICD", "NEOMA", "RS", "CPMC"]
    sizes = [len(c.competences) for c in builtin_corpus]
    assert sizes == [34, 21, 13, 37]
    n = sum(sizes)
    assert len(results.pairs) == n * n - sum(s * s for s in sizes) == 7890
    validate(results.pairs, "pairs")
    assert list(results.pairs.columns) == PAIR_COLUMNS
    assert not (results.pairs["source_cert"] == results.pairs["target_cert"]).any()


def test_orientations_agree(results):
    p = results.pairs.set_index(["source", "target"])
    rev = p.reindex([(t, s) for s, t in p.index])
    np.testing.assert_allclose(p["score"].to_numpy(), rev["score"].to_numpy())
    assert (p["relation"].to_numpy() == rev["relation"].to_numpy()).all()
    flip = {"same": "same", "broader": "narrower", "narrower": "broader"}
    assert [flip[d] for d in rev["direction"]] == list(p["direction"])


def test_known_equivalence_is_found_and_explained(results):
    p = results.pairs.set_index(["source", "target"])
    # both about veille / market trends: NEOMA:C1 is ICD:C1.1's best candidate in NEOMA
    assert p.loc[("ICD:C1.1", "NEOMA:C1"), "rank"] == 1
    proposed = results.pairs[results.pairs["relation"] != "none"]
    assert 0 < len(proposed) < len(results.pairs) / 10
    from crossref.explanations import fill_explanations

    assert (results.pairs["explanation"] == "").all()  # written when shown or exported, not for every pair
    for _, row in fill_explanations(proposed.head(20)).iterrows():
        assert row["source_phrase"] and row["target_phrase"]
        assert f"score {row['score']:.2f}" in row["explanation"]
    # each competence ranks exactly one best candidate per target certification
    top = results.pairs[results.pairs["rank"] == 1].groupby(["source", "target_cert"]).size()
    assert (top == 1).all()


def test_pairs_cli_csv_has_the_five_columns(conf_file, capsys):
    assert main(["--config", str(conf_file), "pairs", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0]) == ["source", "target", "score", "relation", "explanation"]
    assert len(rows) == 7890
    assert {r["relation"] for r in rows} <= {"equivalent", "partial", "none"}


def test_pairs_cli_with_extra_certification(conf_file, capsys):
    assert main(["--config", str(conf_file), "pairs", "--format", "json",
                 "--data", "data/templates/exemple_modele.csv"]) == 0
    rows = json.loads(capsys.readouterr().out)
    certs = {r["source"].split(":")[0] for r in rows}
    assert len(certs) == 5


def test_evaluate_cli_small_gold(conf_file, tmp_path, capsys):
    gold = tmp_path / "gold.csv"
    gold.write_text("source,target,relation\nICD:C1.1,NEOMA:C1,equivalent\n", encoding="utf-8")
    assert main(["--config", str(conf_file), "evaluate", "--gold", str(gold), "--format", "json"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert m["queries"] == 2 and m["gold"] == 1
    assert 0 < m["mrr"] <= 1
    # The shipped artifact was fitted on ICD↔NEOMA: the figure is in sample and says so.
    assert m["in_sample"] == {"reference_pairs": 1, "certification_pairs": ["ICD↔NEOMA"]}


def test_evaluate_cli_says_whether_figures_are_in_sample(conf_file, tmp_path, capsys):
    gold = tmp_path / "gold.csv"
    gold.write_text("source,target,relation\nICD:C1.1,NEOMA:C1,equivalent\n", encoding="utf-8")
    assert main(["--config", str(conf_file), "evaluate", "--gold", str(gold)]) == 0
    out = capsys.readouterr().out
    assert "En échantillon : 1 des 1 paires de référence" in out and "(ICD↔NEOMA)" in out
    template = "data/templates/exemple_modele.csv"
    first = template_competence(template)
    gold.write_text(f"source,target,relation\n{first},ICD:C1.1,partial\n", encoding="utf-8")
    assert main(["--config", str(conf_file), "evaluate", "--gold", str(gold), "--data", template]) == 0
    out = capsys.readouterr().out
    assert "Hors échantillon : aucune de ces paires de certifications" in out
    assert re.search(r"\((0|1) vrai positif / \d+ prédites? / 1 de référence\)", out)


def template_competence(path: str) -> str:
    import csv as _csv

    with open(path, encoding="utf-8") as f:
        row = next(_csv.DictReader(f))
    return f"{row['certification']}:{row['competence_code']}"


def test_evaluate_cli_unknown_competence_exits_2(cfg, tmp_path, capsys):
    gold = tmp_path / "gold.csv"
    gold.write_text("source,target,relation\nICD:C9.9,NEOMA:C1,equivalent\n", encoding="utf-8")
    assert main(["evaluate", "--gold", str(gold)]) == 2
    assert "ICD:C9.9" in capsys.readouterr().err


def test_scorer_ranks_an_own_statement_first(results):
    comp = results.corpus.competence("NEOMA:C8")
    ids = [c.id for c in results.corpus.certification("NEOMA").competences]
    sims = results.similarity_to_competences([comp.statement], ids)
    assert sims.shape == (1, len(ids))
    assert ids[int(np.argmax(sims[0]))] == "NEOMA:C8"


def test_cached_run_gives_same_pairs(cfg, results):
    again = run(cfg)
    assert again.pairs[["source", "target", "score", "relation"]].equals(
        results.pairs[["source", "target", "score", "relation"]])


def test_adding_a_certification_does_not_move_other_scores(cfg):
    """With the default channels, extra certifications move no score or relation among the others:
    channel statistics and the lexical vocabulary come from the calibration artifact and the
    built-in référentiels, and every feature is computed within one certification pair."""
    from crossref.pipeline import compute
    from crossref.referentiels import load_corpus

    base = compute(cfg, load_corpus(cfg.data_dir)).pairs
    more = compute(cfg, load_corpus(cfg.data_dir, ["data/templates/exemple_modele.csv", "data/extra"])).pairs
    merged = base.merge(more, on=["source", "target"], suffixes=("", "_more"))
    assert len(merged) == len(base) < len(more)
    np.testing.assert_allclose(merged["score"], merged["score_more"], atol=1e-9)
    assert (merged["relation"] == merged["relation_more"]).all()


def test_every_result_path_scores_free_text(cfg):
    """Fresh computation, the results cache and results built by hand all score VAE sentences."""
    from crossref.pipeline import Results, compute
    from crossref.referentiels import load_corpus

    corpus = load_corpus(cfg.data_dir)
    fresh = compute(cfg, corpus)
    cached = run(cfg)
    by_hand = Results(config=cfg, corpus=corpus, pairs=fresh.pairs)
    ids = [c.id for c in corpus.certification("ICD").competences]
    sentence = ["Je mène les négociations annuelles avec les grands comptes et je conclus des contrats cadres."]
    scores = [r.similarity_to_competences(sentence, ids) for r in (fresh, cached, by_hand)]
    for s in scores:
        assert s.shape == (1, len(ids)) and ((0 <= s) & (s <= 1)).all()
    np.testing.assert_allclose(scores[0], scores[1])
    np.testing.assert_allclose(scores[0], scores[2])


def _brute_force_candidates(views, emb, stats, k):
    """Every competence's k best of other certifications on the candidate vectors: a full stable sort."""
    from crossref.pair_candidates import candidate_vectors

    x = candidate_vectors(emb, stats).astype(np.float64)
    sims = x @ x.T
    sims[views.certs[:, None] == views.certs[None, :]] = -np.inf
    order = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    return {(views.ids[i], views.ids[j]) for i in range(len(views.ids)) for j in order[i]
            if np.isfinite(sims[i, j])}


@pytest.mark.parametrize("top_k", [1, 3, 10])
def test_pruned_table_keeps_every_proposed_pair_exactly(cfg, top_k):
    """Beyond max_block_pairs the table keeps the candidates (each competence's top_k of other
    certifications) and the proposed pairs of the blocks that hold a candidate: every kept row is
    the exhaustive row, column for column, and no proposed pair of the built-in data is lost."""
    from dataclasses import replace

    from crossref.pipeline import compute, load_configured_artifact
    from crossref.referentiels import load_corpus

    corpus = load_corpus(cfg.data_dir)
    full = compute(cfg, corpus)
    small = replace(cfg, matching=replace(cfg.matching, max_block_pairs=1, top_k=top_k))
    pruned = compute(small, corpus).pairs
    assert len(pruned) < len(full.pairs)
    key = ["source", "target"]
    merged = pruned.merge(full.pairs, on=key, suffixes=("", "_full"))
    assert len(merged) == len(pruned)
    for col in PAIR_COLUMNS[2:]:
        assert (merged[col] == merged[f"{col}_full"]).all(), col
    proposed = full.pairs[full.pairs["relation"] != "none"][key]
    assert len(proposed.merge(pruned, on=key)) == len(proposed) > 0
    # Exactly the candidates (both orientations) and the proposed pairs.
    views, emb = full.stages()
    cands = _brute_force_candidates(views, emb, load_configured_artifact(cfg).channels, top_k)
    cands |= {(t, s) for s, t in cands}
    kept = set(zip(pruned["source"], pruned["target"]))
    assert kept == cands | set(zip(proposed["source"], proposed["target"]))


def test_a_reviewed_pair_outside_the_candidates_gets_its_exhaustive_row(cfg, tmp_path):
    """A decision on a pair the pruned table lacks: run() scores its block and the reviewed row
    is the exhaustive one, decision applied."""
    from dataclasses import replace

    from crossref.review import DecisionStore

    small = replace(cfg, database_url=f"sqlite:///{tmp_path / 'd.sqlite'}",
                    matching=replace(cfg.matching, max_block_pairs=1, top_k=1))
    full = run(replace(cfg, database_url=small.database_url)).pairs
    pruned = run(small).pairs
    outside = full.merge(pruned[["source", "target"]], how="left", indicator=True)
    outside = outside[(outside["_merge"] == "left_only") & (outside["source_cert"] == "RS")]
    source, target = outside.sort_values("score").iloc[0][["source", "target"]]  # a weak pair: no candidate
    with DecisionStore(small.database_url) as store:
        store.amend(source, target, "partial", "alice", "vu en jury")
    reviewed = run(small).pairs.set_index(["source", "target"])
    expected = run(replace(cfg, database_url=small.database_url)).pairs.set_index(["source", "target"])
    for pair in [(source, target), (target, source)]:
        got, want = reviewed.loc[pair], expected.loc[pair]
        assert got["status"] == "validated" and got["relation"] == "partial" and got["reviewer"] == "alice"
        for col in ["score", "semantic", "rank", "model_relation", "direction", "source_phrase", "shared_terms"]:
            assert got[col] == want[col], col
    assert len(reviewed) == len(pruned) + 2


def test_a_missing_store_applies_no_decision_exactly_as_an_empty_one(cfg, results, tmp_path):
    """The fast path (no SQLite file yet: nothing read, nothing created) gives the same table
    as applying an empty decision log."""
    from dataclasses import replace

    from crossref.pipeline import apply_reviewed
    from crossref.review import apply_decisions

    missing = replace(cfg, database_url=f"sqlite:///{tmp_path / 'absent' / 'd.sqlite'}")
    fast = apply_reviewed(results.pairs, missing)
    slow = apply_decisions(results.pairs, pd.DataFrame(columns=["source", "target", "action", "relation",
                                                                "reviewer", "decided_at", "note"]))
    pd.testing.assert_frame_equal(fast, slow)
    assert not (tmp_path / "absent").exists()
