"""Pure matching functions on small hand-made arrays."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from crossref.matching import (ChannelStats, block_ranks, calibrate, clause_coverage, combine, core_clause,
                               directions, hubness_correct, relations, sample_pairs, split_clauses, channel_stats)


def test_split_clauses_french_statement():
    s = ("Produire une veille stratégique en identifiant les sources fiables, en sélectionnant les outils "
         "pour réaliser un diagnostic afin de déterminer les grandes tendances du marché")
    assert split_clauses(s) == [
        "Produire une veille stratégique",
        "en identifiant les sources fiables",
        "en sélectionnant les outils",
        "pour réaliser un diagnostic",
        "afin de déterminer les grandes tendances du marché",
    ]
    assert core_clause(s) == "Produire une veille stratégique"


def test_split_clauses_keeps_short_or_plain_statement_whole():
    assert split_clauses("Négocier un contrat") == ["Négocier un contrat"]
    assert split_clauses("") == [""]


def test_combine_standardises_each_channel_then_weights():
    sims = {"a": np.array([[0.9, 0.8]]), "b": np.array([[0.1, 0.3]])}
    stats = {"a": ChannelStats(0.8, 0.1), "b": ChannelStats(0.2, 0.1)}
    out = combine(sims, {"a": 3.0, "b": 1.0}, stats)
    # z_a = [1, 0], z_b = [-1, 1]; weights 3/4 and 1/4
    np.testing.assert_allclose(out, [[0.75 - 0.25, 0.0 + 0.25]])


def test_combine_refuses_zero_weights():
    with pytest.raises(ValueError):
        combine({"a": np.zeros((1, 1))}, {"a": 0.0}, {"a": ChannelStats(0, 1)})


def test_hubness_correction_demotes_a_hub():
    # Column 0 is close to every row (a hub); row 1 prefers column 1 only slightly less.
    z = np.array([[3.0, 0.0, 0.0], [2.9, 2.8, 0.0], [2.5, 0.0, 0.0]])
    assert np.argmax(z[1]) == 0
    corrected = hubness_correct(z, k=2, strength=1.0)
    assert np.argmax(corrected[1]) == 1
    np.testing.assert_array_equal(hubness_correct(z, k=2, strength=0.0), z)


def test_hubness_matches_csls_formula():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(5, 4))
    k = 2
    ra = np.array([np.sort(r)[-k:].mean() for r in z])
    rb = np.array([np.sort(c)[-k:].mean() for c in z.T])
    expected = z - 0.5 * ((ra - ra.mean())[:, None] + (rb - rb.mean())[None, :])
    np.testing.assert_allclose(hubness_correct(z, k, 1.0), expected)


def test_calibrate_is_monotone_logistic():
    h = np.array([-1.0, 2.0, 5.0])
    out = calibrate(h, center=2.0, scale=1.0)
    assert out[1] == pytest.approx(0.5)
    assert np.all(np.diff(out) > 0) and np.all((out > 0) & (out < 1))


def test_block_ranks_rows_and_columns():
    s = np.array([[0.9, 0.1, 0.5], [0.2, 0.8, 0.7]])
    row, col = block_ranks(s)
    np.testing.assert_array_equal(row, [[1, 3, 2], [3, 1, 2]])
    np.testing.assert_array_equal(col, [[1, 2, 2], [2, 1, 1]])


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 10_000))
def test_block_ranks_oracle(n, m, seed):
    s = np.random.default_rng(seed).random((n, m))
    row, col = block_ranks(s)
    for i in range(n):
        for j in range(m):
            assert row[i, j] == 1 + np.sum(s[i] > s[i, j])
            assert col[i, j] == 1 + np.sum(s[:, j] > s[i, j])


def test_clause_coverage_and_direction():
    # A0 has two clauses, A1 one; B0 one clause, B1 two.
    # clause_sims rows: A0c0, A0c1, A1c0; columns: B0c0, B1c0, B1c1
    c = np.array([[1.0, 0.2, 0.0],
                  [0.0, 0.9, 0.1],
                  [0.3, 0.5, 0.5]])
    a_cov_b, b_cov_a = clause_coverage(c, np.array([2, 1]), np.array([1, 2]))
    np.testing.assert_allclose(a_cov_b, [[1.0, (0.9 + 0.1) / 2], [0.3, 0.5]])
    np.testing.assert_allclose(b_cov_a, [[(1.0 + 0.0) / 2, (0.2 + 0.9) / 2], [0.3, 0.5]])
    d = directions(a_cov_b, b_cov_a, margin=0.04)
    assert d.tolist() == [["broader", "narrower"], ["same", "same"]]


def test_relations_rules():
    score = np.array([[0.9, 0.6], [0.85, 0.4]])
    row, col = block_ranks(score)
    d = np.array([["same", "same"], ["same", "same"]], dtype=object)
    rel = relations(score, row, col, d, 0.5, 0.8)
    # (0,0): mutual best, high -> equivalent; (1,0): row best but not column best -> partial;
    # (0,1): second in its row but best of its column -> partial; (1,1): below threshold -> none
    assert rel.tolist() == [["equivalent", "partial"], ["partial", "none"]]
    score2 = np.array([[0.9, 0.6], [0.85, 0.7]])
    r2, c2 = block_ranks(score2)
    # Many-to-many: second both ways but above the threshold is still proposed (partial).
    assert relations(score2, r2, c2, d, 0.5, 0.8)[0, 1] == "partial"
    assert relations(score2, r2, c2, d, 0.65, 0.8)[0, 1] == "none"
    d[0, 0] = "broader"
    assert relations(score, row, col, d, 0.5, 0.8)[0, 0] == "partial"  # different scopes are never equivalent


def test_sample_pairs_exact_when_small_and_cross_group_only():
    groups = np.array(["A", "A", "B", "C"])
    i, j = sample_pairs(groups, max_pairs=100)
    assert len(i) == 16 - (4 + 1 + 1)
    assert np.all(groups[i] != groups[j])
    i, j = sample_pairs(np.repeat(np.array(["A", "B"]), 500), max_pairs=1000, seed=3)
    assert len(i) == 1000 and np.all(i // 500 != j // 500)


def test_channel_stats_dense_and_sparse_agree():
    import scipy.sparse as sp

    x = np.eye(3, dtype=np.float32)
    x[2] = [0.6, 0.8, 0]
    i, j = np.array([0, 1, 2]), np.array([2, 2, 0])
    dense = channel_stats(x, i, j)
    sparse = channel_stats(sp.csr_matrix(x), i, j)
    assert dense.mean == pytest.approx(np.mean([0.6, 0.8, 0.6]))
    assert sparse.mean == pytest.approx(dense.mean) and sparse.std == pytest.approx(dense.std)


def test_combine_leaves_out_a_channel_where_a_side_has_no_text():
    sims = {"text": np.array([[0.9, 0.9]]), "criteria": np.array([[0.0, 0.8]])}
    stats = {"text": ChannelStats(0.5, 0.2), "criteria": ChannelStats(0.4, 0.2)}
    masks = {"criteria": np.array([[False, True]])}
    out = combine(sims, {"text": 1.0, "criteria": 1.0}, stats, masks)
    # pair 0: criteria missing -> text alone (z = 2); pair 1: mean of z = 2 and z = 2
    np.testing.assert_allclose(out, [[2.0, 2.0]])
    # without the mask the missing critères would have pulled pair 0 down
    assert combine(sims, {"text": 1.0, "criteria": 1.0}, stats)[0, 0] < 2.0


def test_best_clause_pairs_matches_brute_force():
    from crossref.matching import best_clause_pairs

    c = np.array([[1.0, 0.2, 0.0],
                  [0.0, 0.9, 0.1],
                  [0.3, 0.5, 0.6]])
    ci, cj = best_clause_pairs(c, np.array([2, 1]), np.array([1, 2]))
    # A0 (rows 0-1) vs B0 (col 0): row 0; A0 vs B1 (cols 1-2): row 1, col 1 (0.9)
    # A1 (row 2) vs B0: only clause; A1 vs B1: col 2 (0.6)
    np.testing.assert_array_equal(ci, [[0, 1], [0, 0]])
    np.testing.assert_array_equal(cj, [[0, 0], [0, 1]])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=1, max_size=4), st.lists(st.integers(1, 3), min_size=1, max_size=4),
       st.integers(0, 10_000))
def test_best_clause_pairs_oracle(len_a, len_b, seed):
    from crossref.matching import best_clause_pairs, segment_starts

    c = np.random.default_rng(seed).random((sum(len_a), sum(len_b)))
    ci, cj = best_clause_pairs(c, np.array(len_a), np.array(len_b))
    sa, sb = segment_starts(len_a), segment_starts(len_b)
    for x, (s0, n) in enumerate(zip(sa, len_a)):
        for y, (t0, m) in enumerate(zip(sb, len_b)):
            sub = c[s0:s0 + n, t0:t0 + m]
            assert (ci[x, y], cj[x, y]) == np.unravel_index(np.argmax(sub), sub.shape)


def test_a_heading_repeated_in_a_bloc_is_not_evidence():
    from crossref.matching import strip_shared_prefixes

    heading = "Culture générale et expression — Appréhender et réaliser un message écrit :"
    out = strip_shared_prefixes([f"{heading} Respecter les contraintes de la langue écrite",
                                 f"{heading} Synthétiser des informations", "Négocier un contrat cadre annuel"])
    assert out == ["Respecter les contraintes de la langue écrite", "Synthétiser des informations",
                   "Négocier un contrat cadre annuel"]
    # A shared opening verb is not a heading: nothing is cut.
    same_verb = ["Mettre en œuvre une démarche d'études de marché", "Mettre en œuvre le plan d'actions commerciales"]
    assert strip_shared_prefixes(same_verb) == same_verb


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=5), st.lists(st.integers(1, 4), min_size=1, max_size=5),
       st.integers(0, 10_000))
def test_best_clause_pairs_at_equals_the_full_alignment(len_a, len_b, seed):
    from crossref.matching import best_clause_pairs, best_clause_pairs_at

    rng = np.random.default_rng(seed)
    c = rng.integers(0, 4, (sum(len_a), sum(len_b))).astype(float)  # ties: the first clause wins in both
    ci, cj = best_clause_pairs(c, np.array(len_a), np.array(len_b))
    x, y = np.nonzero(rng.random((len(len_a), len(len_b))) < 0.6)
    got_i, got_j = best_clause_pairs_at(c, np.array(len_a), np.array(len_b), x, y)
    np.testing.assert_array_equal(got_i, ci[x, y])
    np.testing.assert_array_equal(got_j, cj[x, y])
