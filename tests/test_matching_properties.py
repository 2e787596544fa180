"""Hypothesis properties of the matching stages (crossref.matching, crossref.features,
crossref.pair_model) on generated arrays.

Scores stay in [0, 1]; what the pipeline relies on to compute a certification pair
once and read both orientations from it holds (the features of the transposed block
are the transposed features with the source and target sides swapped; relations,
clause coverage and direction are symmetric); ranks are permutations.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from crossref.features import BASE_FEATURES, block_features
from crossref.matching import (
    ChannelStats, block_ranks, calibrate, clause_coverage, combine, directions, hubness_correct, relations,
)
from crossref.pair_model import PairModel

# Extreme generated scores overflow exp() in the logistic: the score is then exactly 0, as it should be.
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered in exp:RuntimeWarning")

FLIP = {"same": "same", "broader": "narrower", "narrower": "broader"}
CHANNELS = ("use:text", "lexical:full", "use:core")
# Features that read the block from one side, and their counterpart from the other side.
SIDED = {"row_margin": "col_margin", "col_margin": "row_margin", "row_rr": "col_rr", "col_rr": "row_rr"}

cosines = st.floats(-1.0, 1.0, allow_nan=False, width=32)
unit = st.floats(0.0, 1.0, allow_nan=False, width=32)
shapes = st.tuples(st.integers(1, 7), st.integers(1, 7))


@st.composite
def blocks(draw):
    """Everything block_features reads, for one generated certification pair."""
    n, m = draw(shapes)
    names = draw(st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=3, unique=True))
    sims = {c: draw(arrays(np.float64, (n, m), elements=cosines)) for c in names}
    weights = {c: draw(st.floats(0.1, 2.0)) for c in names}
    stats = {c: ChannelStats(draw(st.floats(-0.5, 0.5)), draw(st.floats(0.01, 1.0))) for c in names}
    # The first channel always has text (title + statement); the others may lack it on some pairs.
    masks = {c: draw(arrays(np.bool_, (n, m))) for c in names[1:]}
    return {
        "sims": sims, "weights": weights, "stats": stats, "masks": masks,
        "a_covers_b": draw(arrays(np.float64, (n, m), elements=unit)),
        "b_covers_a": draw(arrays(np.float64, (n, m), elements=unit)),
        "clause_max": draw(arrays(np.float64, (n, m), elements=unit)),
        "bloc_a": draw(arrays(np.int64, n, elements=st.integers(0, 2))),
        "bloc_b": draw(arrays(np.int64, m, elements=st.integers(0, 2))),
        "bloc_title_sims": draw(arrays(np.float64, (n, m), elements=unit)),
        "hubness": draw(st.sampled_from([0.0, 0.5, 1.0])), "hubness_k": draw(st.integers(1, 6)),
    }


def transposed(b: dict) -> dict:
    """The same certification pair seen from the other side."""
    return {**b, "sims": _t(b["sims"]), "masks": _t(b["masks"]), "a_covers_b": b["b_covers_a"].T,
            "b_covers_a": b["a_covers_b"].T, "clause_max": b["clause_max"].T, "bloc_a": b["bloc_b"],
            "bloc_b": b["bloc_a"], "bloc_title_sims": b["bloc_title_sims"].T}


def _t(d: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: v.T for k, v in d.items()}


@settings(max_examples=80, deadline=None)
@given(blocks(), st.data())
def test_pair_model_scores_are_in_the_unit_interval(block, data):
    f = block_features(**block)
    k = len(f.names)
    model = PairModel(f.names, tuple(data.draw(st.lists(st.floats(-2, 2), min_size=k, max_size=k))),
                      tuple(data.draw(st.lists(st.floats(0.1, 3), min_size=k, max_size=k))),
                      tuple(data.draw(st.lists(st.floats(-5, 5), min_size=k, max_size=k))),
                      data.draw(st.floats(-5, 5)))
    score = model.predict(f.values)
    assert score.shape == f.hybrid.shape
    assert np.all((score >= 0.0) & (score <= 1.0))


@settings(max_examples=80, deadline=None)
@given(blocks())
def test_the_transposed_block_has_the_transposed_features(block):
    """Seen from B, every feature is the same number, read from the other side where it is sided."""
    f = block_features(**block)
    g = block_features(**transposed(block))
    assert f.names == g.names and f.names[:len(BASE_FEATURES)] == BASE_FEATURES
    np.testing.assert_allclose(g.hybrid, f.hybrid.T, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(g.row_rank, f.col_rank.T)
    np.testing.assert_array_equal(g.col_rank, f.row_rank.T)
    for k, name in enumerate(f.names):
        other = f.names.index(SIDED.get(name, name))
        np.testing.assert_allclose(g.values[..., k], f.values[..., other].T, rtol=1e-9, atol=1e-12, err_msg=name)


@settings(max_examples=80, deadline=None)
@given(blocks(), st.data())
def test_relations_are_symmetric(block, data):
    """The relation of (a, b) is the relation of (b, a), with the scope read from the other side."""
    f = block_features(**block)
    score = data.draw(arrays(np.float64, f.hybrid.shape, elements=unit))
    partial = data.draw(st.floats(0.05, 0.6))
    equivalent = data.draw(st.floats(0.6, 0.95))
    direction = data.draw(arrays(object, score.shape, elements=st.sampled_from(list(FLIP))))
    flipped = np.vectorize(FLIP.get, otypes=[object])(direction.T)
    rel = relations(score, f.row_rank, f.col_rank, direction, partial, equivalent)
    np.testing.assert_array_equal(relations(score.T, f.col_rank.T, f.row_rank.T, flipped, partial, equivalent),
                                  rel.T)
    assert set(np.unique(rel)) <= {"equivalent", "partial", "none"}
    assert np.all((rel != "none") == (score >= partial))
    # an equivalent pair is each side's best match with the same scope
    eq = rel == "equivalent"
    assert np.all(f.row_rank[eq] == 1) and np.all(f.col_rank[eq] == 1) and np.all(direction[eq] == "same")


@settings(max_examples=80, deadline=None)
@given(st.one_of(arrays(np.float64, shapes, elements=cosines),
                 arrays(np.float64, shapes, elements=st.sampled_from([0.0, 0.5, 1.0]))))  # many ties
def test_ranks_are_permutations(score):
    row, col = block_ranks(score)
    n, m = score.shape
    assert all(sorted(r) == list(range(1, m + 1)) for r in row)
    assert all(sorted(c) == list(range(1, n + 1)) for c in col.T)
    # rank 1 goes to a best value, and a better value never ranks after a worse one
    assert np.all(score[np.arange(n), np.argmin(row, axis=1)] == score.max(axis=1))
    for i in range(n):
        order = np.argsort(row[i])
        assert np.all(np.diff(score[i, order]) <= 0)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, shapes, elements=st.floats(-5, 5)), st.integers(1, 6), st.floats(0.0, 1.0))
def test_hubness_correction_commutes_with_transposition(z, k, strength):
    np.testing.assert_allclose(hubness_correct(z.T, k, strength), hubness_correct(z, k, strength).T,
                               rtol=1e-12, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(blocks())
def test_combined_score_is_a_weighted_mean_of_the_channels(block):
    sims, weights, stats, masks = block["sims"], block["weights"], block["stats"], block["masks"]
    z = np.stack([stats[c].z(s) for c, s in sims.items()])
    present = np.stack([masks.get(c, np.ones(s.shape, bool)) for c, s in sims.items()])
    out = combine(sims, weights, stats, masks)
    lo = np.where(present, z, np.inf).min(axis=0)
    hi = np.where(present, z, -np.inf).max(axis=0)
    assert np.all(out >= lo - 1e-9) and np.all(out <= hi + 1e-9)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-50, 50)), st.floats(-3, 3), st.floats(0.01, 3))
def test_calibration_is_monotone_in_the_unit_interval(h, center, scale):
    out = calibrate(np.sort(h), center, scale)
    assert np.all((out >= 0) & (out <= 1))
    assert np.all(np.diff(out) >= 0)


@st.composite
def clause_blocks(draw):
    len_a = draw(st.lists(st.integers(1, 3), min_size=1, max_size=4))
    len_b = draw(st.lists(st.integers(1, 3), min_size=1, max_size=4))
    c = draw(arrays(np.float32, (sum(len_a), sum(len_b)), elements=st.floats(0, 1, width=32)))
    return c, np.array(len_a), np.array(len_b), draw(st.floats(0.0, 0.3))


@settings(max_examples=60, deadline=None)
@given(clause_blocks())
def test_clause_coverage_and_direction_are_symmetric(block):
    c, len_a, len_b, margin = block
    a_cov_b, b_cov_a = clause_coverage(c, len_a, len_b)
    assert np.all((a_cov_b >= 0) & (a_cov_b <= 1 + 1e-6)) and np.all((b_cov_a >= 0) & (b_cov_a <= 1 + 1e-6))
    # seen from B: B covers A as much as A was covered by B, and the other way round
    b_cov_a_t, a_cov_b_t = clause_coverage(c.T, len_b, len_a)
    np.testing.assert_allclose(b_cov_a_t, b_cov_a.T, rtol=1e-6)
    np.testing.assert_allclose(a_cov_b_t, a_cov_b.T, rtol=1e-6)
    d = directions(a_cov_b, b_cov_a, margin)
    d_t = directions(b_cov_a_t, a_cov_b_t, margin)
    np.testing.assert_array_equal(d_t, np.vectorize(FLIP.get, otypes=[object])(d).T)


def _bloc_match_loop(h, bloc_a, bloc_b):
    """The definition, one bloc pair at a time (the oracle for the vectorised feature)."""
    ua, inv_a = np.unique(bloc_a, return_inverse=True)
    ub, inv_b = np.unique(bloc_b, return_inverse=True)
    m = np.zeros((len(ua), len(ub)))
    for p in range(len(ua)):
        for q in range(len(ub)):
            sub = h[np.ix_(inv_a == p, inv_b == q)]
            m[p, q] = 0.5 * (sub.max(axis=1).mean() + sub.max(axis=0).mean())
    m = m - m.mean()
    return m[inv_a][:, inv_b]


@settings(max_examples=80, deadline=None)
@given(data=st.data(), n_a=st.integers(1, 9), n_b=st.integers(1, 9))
def test_bloc_match_equals_its_definition(data, n_a, n_b):
    from crossref.features import bloc_match

    h = data.draw(arrays(np.float64, (n_a, n_b), elements=st.floats(-3, 3)))
    # Bloc numbers in any order (not grouped), as competences may be listed.
    bloc_a = data.draw(arrays(np.int64, n_a, elements=st.integers(0, 3)))
    bloc_b = data.draw(arrays(np.int64, n_b, elements=st.integers(5, 8)))
    np.testing.assert_allclose(bloc_match(h, bloc_a, bloc_b), _bloc_match_loop(h, bloc_a, bloc_b), atol=1e-12)
