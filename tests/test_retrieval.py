"""Candidate retrieval against a brute-force oracle (hypothesis), and the ANN path's recall."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crossref.retrieval import Candidates, candidates, topk_exact, topk_rows

GAP = 1e-5  # float32 vs float64 rounding: closer scores are treated as ties


def unit(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def brute(queries, items, k, qg=None, ig=None):
    """Full float64 similarity matrix, own group excluded, stable sort by (-score, index)."""
    sims = queries.astype(np.float64) @ items.astype(np.float64).T
    if qg is not None:
        sims[qg[:, None] == ig[None, :]] = -np.inf
    order = np.argsort(-sims, axis=1, kind="stable")
    rows = []
    for r in range(len(queries)):
        rows.append([int(j) for j in order[r] if np.isfinite(sims[r, j])][:k])
    return sims, rows


def separated(sims: np.ndarray, rows: list[list[int]], k: int) -> bool:
    """No near-tie at the k-th place of any row (the oracle and float32 could order them differently)."""
    for r in range(len(rows)):
        vals = np.sort(sims[r][np.isfinite(sims[r])])[::-1][: k + 1]
        if len(vals) > 1 and np.min(-np.diff(vals)) <= GAP:
            return False
    return True


case = st.fixed_dictionaries({
    "seed": st.integers(0, 2**32 - 1),
    "n_q": st.integers(0, 30),
    "n_i": st.integers(1, 400),
    "dim": st.integers(2, 12),
    "k": st.integers(0, 40),
    "groups": st.integers(1, 8),
    "block": st.sampled_from([None, 1, 7, 64]),
})


@settings(max_examples=120, deadline=None)
@given(case)
def test_topk_exact_matches_brute_force(p: dict) -> None:
    rng = np.random.default_rng(p["seed"])
    q, x = unit(rng, p["n_q"], p["dim"]), unit(rng, p["n_i"], p["dim"])
    qg, ig = rng.integers(0, p["groups"], p["n_q"]), rng.integers(0, p["groups"], p["n_i"])
    sims, want = brute(q, x, p["k"], qg, ig)
    assume(separated(sims, want, p["k"]))
    scores, idx = topk_exact(q, x, p["k"], query_groups=qg, item_groups=ig, block=p["block"])
    assert idx.shape == (p["n_q"], min(p["k"], p["n_i"])) and idx.dtype == np.int64
    for r in range(p["n_q"]):
        got = [int(j) for j in idx[r] if j >= 0]
        assert got == want[r]
        np.testing.assert_allclose(scores[r, :len(got)], sims[r, got], atol=1e-5)
        assert np.all(np.isneginf(scores[r, len(got):]))


@settings(max_examples=80, deadline=None)
@given(case)
def test_per_group_candidates_match_brute_force(p: dict) -> None:
    rng = np.random.default_rng(p["seed"])
    q, x = unit(rng, p["n_q"], p["dim"]), unit(rng, p["n_i"], p["dim"])
    labels = np.array([f"CERT{i}" for i in range(p["groups"])])
    qg, ig = labels[rng.integers(0, p["groups"], p["n_q"])], labels[rng.integers(0, p["groups"], p["n_i"])]
    got = candidates(q, x, p["k"], query_groups=qg, item_groups=ig, block=p["block"])
    want_q, want_i = [], []
    for g in sorted(set(ig.tolist())):
        cols = np.nonzero(ig == g)[0]
        sims, rows = brute(q, x[cols], p["k"])
        assume(separated(sims, rows, p["k"]))
        for r in range(p["n_q"]):
            if qg[r] != g:
                want_q += [r] * len(rows[r])
                want_i += [int(cols[j]) for j in rows[r]]
    # Same pairs, in the documented order: query, then group, then rank.
    order = sorted(range(len(want_q)), key=lambda n: (want_q[n], ig[want_i[n]], n))
    assert got.query.tolist() == [want_q[o] for o in order]
    assert got.item.tolist() == [want_i[o] for o in order]
    assert len(got) <= p["n_q"] * p["k"] * p["groups"]
    assert not np.any(qg[got.query] == ig[got.item])
    np.testing.assert_allclose(got.score, np.einsum("ij,ij->i", q[got.query], x[got.item]), atol=1e-5)


def test_global_candidates_exclude_own_group_and_pad() -> None:
    rng = np.random.default_rng(0)
    x = unit(rng, 50, 8)
    groups = np.repeat(np.arange(5), 10)
    got = candidates(x, x, 45, query_groups=groups, item_groups=groups, per_group=False)
    assert isinstance(got, Candidates) and got.exact
    # Only 40 items are in other groups: every query gets exactly those 40.
    assert len(got) == 50 * 40
    assert not np.any(groups[got.query] == groups[got.item])
    assert got.pairs() == {(i, j) for i in range(50) for j in range(50) if groups[i] != groups[j]}


def test_topk_rows_ties_break_by_index() -> None:
    sims = np.array([[0.5, 0.9, 0.5, 0.9, 0.1] * 40], np.float32)
    s, i = topk_rows(sims.copy(), 4)
    assert i.tolist() == [[1, 3, 6, 8]] and np.all(s == np.float32(0.9))


def test_argument_errors() -> None:
    x = np.eye(3, dtype=np.float32)
    with pytest.raises(ValueError, match="both"):
        candidates(x, x, 1, query_groups=[0, 1, 2])
    with pytest.raises(ValueError, match="dimensions"):
        candidates(x, np.eye(4, dtype=np.float32), 1)
    with pytest.raises(ValueError, match="exact"):
        candidates(x, x, 1, query_groups=[0, 1, 2], item_groups=[0, 1, 2], method="ann")


def clustered(rng: np.random.Generator, n: int, dim: int = 32, topics: int = 40) -> np.ndarray:
    """Unit vectors around topics (as competence embeddings are), not uniform noise."""
    centres = unit(rng, topics, dim)
    x = centres[rng.integers(0, topics, n)] + 0.1 * rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_ann_path_recall_and_exclusion() -> None:
    pytest.importorskip("faiss")
    rng = np.random.default_rng(3)
    items = clustered(rng, 3000)
    groups = np.repeat(np.arange(300), 10)
    queries = items[:200]
    exact = candidates(queries, items, 10, query_groups=groups[:200], item_groups=groups, per_group=False,
                       method="exact")
    approx = candidates(queries, items, 10, query_groups=groups[:200], item_groups=groups, per_group=False,
                        method="ann", ann_options={"nlist": 30, "nprobe": 2})
    assert not approx.exact and len(approx) == 200 * 10
    assert not np.any(groups[approx.query] == groups[approx.item])
    recall = len(exact.pairs() & approx.pairs()) / len(exact.pairs())
    assert recall >= 0.95, recall
    # Scores are the true dot products of the returned pairs.
    np.testing.assert_allclose(approx.score, np.einsum("ij,ij->i", queries[approx.query], items[approx.item]),
                               atol=1e-4)


def test_ann_index_round_trip(tmp_path) -> None:
    pytest.importorskip("faiss")
    from crossref.ann import AnnIndex

    rng = np.random.default_rng(4)
    items = clustered(rng, 2000)
    index = AnnIndex.build(items, nlist=20)
    s1, i1 = index.search(items[:50], 5)
    index.save(tmp_path / "index.faiss")
    s2, i2 = AnnIndex.load(tmp_path / "index.faiss").search(items[:50], 5)
    np.testing.assert_array_equal(i1, i2)
    assert (i1[:, 0] == np.arange(50)).mean() > 0.95  # an item is its own nearest neighbour
    # Searching in batches gives the same answers as one batch.
    s3, i3 = index.search(items[25:50], 5)
    np.testing.assert_array_equal(i3, i1[25:])


def test_ann_fallback_when_own_group_fills_the_results(monkeypatch) -> None:
    pytest.importorskip("faiss")
    import crossref.ann as ann

    monkeypatch.setattr(ann, "MAX_OVERFETCH", 3)  # over-fetch less than an own group: rows come back short
    rng = np.random.default_rng(5)
    centres = unit(rng, 10, 16)
    groups = np.repeat(np.arange(10), 40)
    items = centres[groups] + 0.05 * rng.standard_normal((400, 16)).astype(np.float32)
    items /= np.linalg.norm(items, axis=1, keepdims=True)  # a group is a tight cluster: its own items come first
    got = candidates(items, items, 5, query_groups=groups, item_groups=groups, per_group=False, method="ann",
                     ann_options={"nlist": 4, "nprobe": 4})
    assert len(got) == 400 * 5 and not np.any(groups[got.query] == groups[got.item])
    want = candidates(items, items, 5, query_groups=groups, item_groups=groups, per_group=False, method="exact")
    assert got.pairs() == want.pairs()
