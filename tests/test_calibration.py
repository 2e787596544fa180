"""The calibration artifact, the leave-one-pair-out measurement and the reference alignment."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossref.calibration import (LabelledBlock, fit_model, load_artifact, loco, query_ranks,
                                  save_artifact)
from crossref.config import Config
from crossref.errors import ConfigError
from crossref.evaluation import GoldPair, ranking_metrics
from crossref.matching import block_ranks, relations

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "data" / "reference"
DEV = ROOT.parent / "shared" / "gold" / "dev_alignment.csv"


def test_artifact_round_trips(tmp_path):
    art = load_artifact(Config().matching.calibration)
    save_artifact(art, tmp_path / "cal.json")
    again = load_artifact(tmp_path / "cal.json")
    assert again.to_dict() == art.to_dict()
    assert again.model == art.model and again.channels == art.channels


def test_artifact_has_provenance_and_out_of_sample_figures():
    prov = load_artifact(Config().matching.calibration).provenance
    assert prov["annotation_guide"] and prov["created_at"] and prov["reference_files"]
    oos = prov["out_of_sample"]
    assert oos["method"].startswith("leave-one-certification-pair-out")
    for key in ("mrr", "hits_at_1", "f1"):
        low, high = oos["metrics"][key]["ci95"]
        assert low <= oos["metrics"][key]["value"] <= high


def test_shipped_artifact_is_fitted_on_every_shipped_reference_file():
    """Changing or adding a reference alignment without recalibrating fails here."""
    from crossref.calibration import reference_provenance

    prov = load_artifact(Config().matching.calibration).provenance
    shipped = sorted(REFERENCE.glob("*_alignment.csv"))
    assert len(shipped) >= 3
    assert reference_provenance(shipped).items() <= prov["reference_files"].items()


def test_misspelt_or_extra_channel_is_an_error_never_a_remeasure():
    cfg = Config()
    art = load_artifact(cfg.matching.calibration)
    typo = dict(cfg.matching.channels)
    typo["lexical:ful"] = typo.pop("lexical:full")
    with pytest.raises(ConfigError, match="ful"):
        art.check(replace(cfg, matching=replace(cfg.matching, channels=typo)))
    other = {c: w for c, w in cfg.matching.channels.items() if not c.startswith("e5")}
    with pytest.raises(ConfigError, match="recalibrez"):
        art.check(replace(cfg, matching=replace(cfg.matching, channels=other)))
    with pytest.raises(ConfigError, match="hubness"):
        art.check(replace(cfg, matching=replace(cfg.matching, hubness=0.9)))


def test_missing_or_corrupt_artifact_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="crossref calibrate"):
        load_artifact(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": 1, "channels": {"a:text": {"weight": 1, "mean": 0, "std": 0}}}))
    with pytest.raises(ConfigError, match="invalide"):
        load_artifact(bad)


def _block(rng, key, n_a=6, n_b=5, n_feat=3):
    a, b = sorted(key)
    pairs = [(f"{a}:C{i}", f"{b}:C{j}") for i in range(n_a) for j in range(n_b)]
    x = rng.normal(size=(len(pairs), n_feat))
    y = (x[:, 0] + 0.3 * rng.normal(size=len(pairs)) > 1.0).astype(int)
    y[0] = 1
    ones = np.ones(len(pairs), dtype=bool)
    return LabelledBlock(frozenset(key), pairs, x, y, np.zeros(len(pairs), dtype=int), ones, ones, x[:, 0])


def test_loco_never_sees_the_held_out_labels():
    rng = np.random.default_rng(1)
    blocks = [_block(rng, (f"A{k}", f"B{k}")) for k in range(4)]
    names = ("f0", "f1", "f2")
    cands = {p.split(":")[0]: sorted({q for b in blocks for pair in b.pairs for q in pair if q.startswith(p.split(":")[0] + ":")})
             for b in blocks for pair in b.pairs for p in pair}
    gold = [GoldPair(a, b, "partial") for blk in blocks for (a, b), y in zip(blk.pairs, blk.y) if y]
    report = loco(blocks, gold, cands, names)
    # Flip the held-out fold's labels: its fold figures change, but the model that scored it does not.
    flipped = [replace(blocks[0], y=1 - blocks[0].y)] + blocks[1:]
    m1 = fit_model(blocks[1:], names)
    m2 = fit_model(flipped[1:], names)
    assert m1 == m2
    assert report.folds == 4 and report.reference_pairs == len(gold)


def test_query_ranks_agree_with_ranking_metrics():
    scores = {("A:1", "B:1"): 0.9, ("A:1", "B:2"): 0.95, ("A:2", "B:2"): 0.2, ("A:2", "B:1"): 0.1}
    scores.update({(b, a): s for (a, b), s in list(scores.items())})
    cands = {"A": ["A:1", "A:2"], "B": ["B:1", "B:2"]}
    gold = [GoldPair("A:1", "B:1", "partial"), GoldPair("A:2", "B:2", "equivalent")]
    ranks = query_ranks(scores, cands, gold)
    h1, _, mrr, n = ranking_metrics(scores, cands, gold)
    assert len(ranks) == n and np.mean(ranks <= 1) == h1 and np.isclose(np.mean(1 / ranks), mrr)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.floats(0.05, 0.9), st.integers(0, 10_000))
def test_many_to_many_proposals(n_a, n_b, t, seed):
    """Every pair above the threshold is proposed, however many per competence; equivalents are a
    subset: above their own threshold, mutual best and same scope."""
    rng = np.random.default_rng(seed)
    score = rng.random((n_a, n_b))
    row, col = block_ranks(score)
    direction = rng.choice(np.array(["same", "broader", "narrower"], dtype=object), size=score.shape)
    rel = relations(score, row, col, direction, t, max(t, 0.7))
    assert ((rel != "none") == (score >= t)).all()
    eq = rel == "equivalent"
    assert (row[eq] == 1).all() and (col[eq] == 1).all() and (direction[eq] == "same").all()
    assert (score[eq] >= max(t, 0.7)).all()


def _read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("name, passes, agreement, minimum", [
    ("team_alignment.csv", "passes", "agreement.json", 150),
    ("tp_alignment.csv", "passes_tp", "agreement_tp.json", 50),
])
def test_team_reference_alignment_is_shipped_with_provenance(name, passes, agreement, minimum):
    from benchmarks.reference_sets import data_paths
    from crossref.referentiels import load_corpus

    rows = _read(REFERENCE / name)
    corpus = load_corpus(Config().data_dir, data_paths())
    known = {c.id for cert in corpus for c in cert.competences}
    builtin = set(load_corpus(Config().data_dir).ids)
    assert len(rows) >= minimum
    pairs = {frozenset((r["source"].split(":")[0], r["target"].split(":")[0])) for r in rows}
    assert len(pairs) >= 4 and all(p - builtin for p in pairs)
    assert {r["source"] for r in rows} | {r["target"] for r in rows} <= known
    assert {r["relation"] for r in rows} <= {"equivalent", "partial"}
    assert {r["origin"] for r in rows} <= {"agreed", "adjudicated"}
    report = json.loads((REFERENCE / agreement).read_text())
    assert 0 < report["overall"]["pair_f1"] <= 1
    # Two passes for every certification pair, and every certification pair of the file among them.
    first_passes = sorted((REFERENCE / passes).glob("*.pass1.csv"))
    for f in first_passes:
        assert f.with_name(f.name.replace("pass1", "pass2")).exists()
    assert pairs <= {frozenset(f.name.removesuffix(".pass1.csv").split("__")) for f in first_passes}


@pytest.mark.skipif(not DEV.exists(), reason="../shared/gold/dev_alignment.csv is not present")
def test_dev_alignment_quality_floor(tmp_path):
    """In sample (the dev pairs are among the calibration's): a floor to hold, not a result."""
    from crossref.calibration import evaluate_pairs
    from crossref.evaluation import read_gold
    from crossref.pipeline import run

    results = run(Config(database_url=f"sqlite:///{tmp_path / 'd.sqlite'}"))
    m = evaluate_pairs(results.pairs, results.corpus, read_gold(DEV))
    assert m.mrr >= 0.78
    assert m.hits_at_1 >= 0.70
    assert m.f1 >= 0.50


def test_fitted_on_counts_reference_pairs_of_fitted_certification_pairs() -> None:
    from crossref.calibration import fitted_on
    from crossref.evaluation import GoldPair

    art = replace(load_artifact(Config().matching.calibration),
                  provenance={"certification_pairs": ["ICD↔NEOMA", "CPMC↔RS"]})
    gold = [GoldPair("NEOMA:C1", "ICD:C1.1", "partial"), GoldPair("RS:A1.1", "CPMC:C1", "equivalent"),
            GoldPair("ICD:C1.2", "NEOMA:C2", "partial"), GoldPair("ICD:C1.1", "RS:A1.1", "partial")]
    assert fitted_on(gold, art) == (3, ["CPMC↔RS", "ICD↔NEOMA"])
    assert fitted_on(gold, replace(art, provenance={})) == (0, [])


def test_second_reading_is_rebuilt_from_its_passes_and_never_fitted(tmp_path):
    """The team's independent reading of the dev alignment's certification pairs (a study against
    it): the shipped file is exactly what its passes and adjudication give, every certification
    pair in it has two passes, and no reference set or fold reads it."""
    from benchmarks.reference_agreement import build
    from benchmarks.reference_sets import data_paths, gold_paths
    from crossref.calibration import cert_pair
    from crossref.evaluation import read_gold
    from crossref.referentiels import load_corpus

    study = REFERENCE / "second_reading"
    shipped = study / "second_alignment.csv"
    assert build(study / "passes", study / "adjudicated", tmp_path / "rebuilt.csv") == 0
    assert (tmp_path / "rebuilt.csv").read_text(encoding="utf-8") == shipped.read_text(encoding="utf-8")
    pairs = read_gold(shipped)
    known = {c.id for cert in load_corpus(Config().data_dir, data_paths()) for c in cert.competences}
    assert {i for p in pairs for i in (p.source, p.target)} <= known
    covered = {"__".join(sorted(cert_pair(p.source, p.target))) for p in pairs}
    report = json.loads((study / "agreement.json").read_text())["per_pair"]
    for name in covered:
        a, b = name.split("__")
        passes = {f.name for f in (study / "passes").glob("*.csv")}
        assert any({f"{x}__{y}.pass1.csv", f"{x}__{y}.pass2.csv"} <= passes for x, y in ((a, b), (b, a)))
        assert any(0 < report.get(f"{x}__{y}", {}).get("pair_f1", 0) <= 1 for x, y in ((a, b), (b, a)))
    assert shipped.resolve() not in {Path(p).resolve() for p in gold_paths()}
    assert shipped.name not in load_artifact(Config().matching.calibration).provenance["reference_files"]
