"""Blocked top-k search against a brute-force numpy oracle (hypothesis-generated inputs)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crossref.neighbours import l2_normalise, mean_topk_similarity, topk_search

GAP = 1e-5  # scores closer than this are treated as ties (float32 vs float64 rounding)


def brute_force(queries: np.ndarray, items: np.ndarray, k: int, exclude_self: bool) -> tuple[np.ndarray, np.ndarray]:
    """Full similarity matrix in float64, stable sort by (-score, index)."""
    sims = queries.astype(np.float64) @ items.astype(np.float64).T
    if exclude_self:
        np.fill_diagonal(sims, -np.inf)
    kk = max(0, min(k, len(items) - (1 if exclude_self else 0)))
    order = np.argsort(-sims, axis=1, kind="stable")[:, :kk]
    return np.take_along_axis(sims, order, axis=1), order


def _data(seed: int, n: int, dim: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return l2_normalise(rng.standard_normal((n, dim)))


def _no_near_ties(sims: np.ndarray, kk: int) -> bool:
    """True when the first kk+1 sorted scores of every row are separated by more than GAP."""
    if kk == 0 or sims.shape[1] < 2:
        return True
    top = -np.sort(-sims, axis=1)[:, : kk + 1]
    top = top[:, np.isfinite(top).all(axis=0)]
    return top.shape[1] < 2 or bool((np.diff(-top, axis=1) > GAP).all())


shapes = st.fixed_dictionaries({
    "seed": st.integers(0, 2**32 - 1),
    "n_q": st.integers(0, 40),
    "n_i": st.integers(1, 60),
    "dim": st.integers(2, 16),
    "k": st.integers(0, 70),  # often larger than n_i
    "block": st.integers(1, 50),
})


@settings(max_examples=150, deadline=None)
@given(shapes)
def test_topk_search_matches_brute_force(p: dict) -> None:
    queries = _data(p["seed"], p["n_q"], p["dim"])
    items = _data(p["seed"] + 1, p["n_i"], p["dim"])
    want_s, want_i = brute_force(queries, items, p["k"], exclude_self=False)
    full = queries.astype(np.float64) @ items.astype(np.float64).T
    assume(_no_near_ties(full, want_i.shape[1]))
    got_s, got_i = topk_search(queries, items, p["k"], block=p["block"])
    assert got_s.shape == got_i.shape == (p["n_q"], min(p["k"], p["n_i"]))
    assert got_i.dtype == np.int64 and got_s.dtype == np.float32
    np.testing.assert_array_equal(got_i, want_i)
    np.testing.assert_allclose(got_s, want_s, atol=1e-6)


@settings(max_examples=150, deadline=None)
@given(shapes)
def test_topk_search_exclude_self_matches_brute_force(p: dict) -> None:
    x = _data(p["seed"], p["n_i"], p["dim"])
    want_s, want_i = brute_force(x, x, p["k"], exclude_self=True)
    full = x.astype(np.float64) @ x.astype(np.float64).T
    np.fill_diagonal(full, -np.inf)
    assume(_no_near_ties(full, want_i.shape[1]))
    got_s, got_i = topk_search(x, x, p["k"], block=p["block"], exclude_self=True)
    assert got_i.shape == (p["n_i"], max(0, min(p["k"], p["n_i"] - 1)))
    np.testing.assert_array_equal(got_i, want_i)
    np.testing.assert_allclose(got_s, want_s, atol=1e-6)
    assert not (got_i == np.arange(p["n_i"])[:, None]).any()  # never itself


@settings(max_examples=100, deadline=None)
@given(shapes)
def test_mean_topk_similarity_matches_brute_force(p: dict) -> None:
    queries = _data(p["seed"], p["n_q"], p["dim"])
    items = _data(p["seed"] + 1, p["n_i"], p["dim"])
    got = mean_topk_similarity(queries, items, p["k"], block=p["block"])
    assert got.shape == (p["n_q"],)
    full = queries.astype(np.float64) @ items.astype(np.float64).T
    kk = min(p["k"], p["n_i"])
    if kk == 0:
        np.testing.assert_array_equal(got, np.zeros(p["n_q"]))
    else:
        want = -np.sort(-full, axis=1)[:, :kk].mean(axis=1) if p["n_q"] else np.zeros(0)
        np.testing.assert_allclose(got, want, atol=1e-6)


def test_ties_break_by_increasing_index() -> None:
    items = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], np.float32)
    queries = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    for block in (1, 2, 1024):
        scores, idx = topk_search(queries, items, 4, block=block)
        assert idx.tolist() == [[0, 2, 3, 1], [1, 4, 0, 2]]
        assert scores.tolist() == [[1, 1, 1, 0], [1, 1, 0, 0]]


def test_degenerate_sizes() -> None:
    x = _data(0, 3, 4)
    s, i = topk_search(x, x, 0)
    assert s.shape == i.shape == (3, 0)
    s, i = topk_search(x[:0], x, 2)
    assert s.shape == i.shape == (0, 2)
    s, i = topk_search(x[:1], x[:1], 5, exclude_self=True)  # the only item is itself
    assert s.shape == (1, 0)
    assert mean_topk_similarity(x, x, 0).tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="exclude_self"):
        topk_search(x, x[:2], 1, exclude_self=True)


def test_exclude_self_with_a_prefix_of_the_items_as_queries() -> None:
    x = _data(5, 30, 6)
    s_all, i_all = topk_search(x, x, 4, exclude_self=True, block=7)
    s_pre, i_pre = topk_search(x[:12], x, 4, exclude_self=True, block=5)
    np.testing.assert_array_equal(i_pre, i_all[:12])
    np.testing.assert_allclose(s_pre, s_all[:12], atol=1e-6)


def test_l2_normalise() -> None:
    x = np.array([[3.0, 4.0], [0.0, 0.0], [-2.0, 0.0]])
    out = l2_normalise(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0], [-1.0, 0.0]], atol=1e-7)  # zero row stays zero
    rng = np.random.default_rng(1)
    np.testing.assert_allclose(np.linalg.norm(l2_normalise(rng.standard_normal((50, 7))), axis=1), 1.0, atol=1e-6)


@pytest.mark.parametrize("block", [1, 7, 64])
def test_block_size_does_not_change_results(block: int) -> None:
    x = _data(3, 200, 12)
    ref = topk_search(x, x, 10, block=10_000, exclude_self=True)
    got = topk_search(x, x, 10, block=block, exclude_self=True)
    np.testing.assert_array_equal(got[1], ref[1])
    np.testing.assert_allclose(got[0], ref[0], atol=1e-6)
