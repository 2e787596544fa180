"""The supervised adapter: its gradient, its fit, its feature, and that folds never see held-out labels."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crossref.adapter import Adapter, AdapterBlock, adapter_channels, fit_adapter, nce_loss, stack_channels
from crossref.calibration import AdapterData, LabelledBlock, _fold_model, cross_fitted
from crossref.errors import ConfigError
from crossref.features import ADAPTER_FEATURE, adapted, adapter_similarity, feature_names


def _problem(seed: int, n_a: int = 5, n_b: int = 6, d: int = 7, r: int = 3, scale: float = 0.2):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_a + n_b + 2, d))   # two competences outside the block
    a, b = scale * rng.standard_normal((d, r)), scale * rng.standard_normal((r, d))
    y = (rng.random((n_a, n_b)) < 0.25).astype(int)
    y[0, 0] = 1
    return x, a, b, AdapterBlock(np.arange(n_a), np.arange(n_a, n_a + n_b), y)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.05, 1.0))
def test_gradient_matches_finite_differences(seed, temperature):
    x, a, b, blk = _problem(seed)
    _, ga, gb = nce_loss(x, a, b, [blk], temperature)
    eps = 1e-6
    for param, grad, k in ((a, ga, 0), (b, gb, 1)):
        for idx in list(np.ndindex(param.shape))[::3]:
            plus, minus = param.copy(), param.copy()
            plus[idx] += eps
            minus[idx] -= eps
            args_p = (x, plus, b) if k == 0 else (x, a, plus)
            args_m = (x, minus, b) if k == 0 else (x, a, minus)
            numeric = (nce_loss(*args_p, [blk], temperature)[0] - nce_loss(*args_m, [blk], temperature)[0]) / (2 * eps)
            assert abs(numeric - grad[idx]) <= 1e-5 * max(1.0, abs(numeric))


def test_fit_starts_from_the_encoder_and_lowers_the_loss():
    x, _, _, blk = _problem(3, d=12)
    a0, b0 = fit_adapter(x, [blk], rank=4, steps=0)
    np.testing.assert_array_equal(a0, 0.0)
    np.testing.assert_allclose(adapted(x, a0, b0), x / np.linalg.norm(x, axis=1, keepdims=True))
    a1, b1 = fit_adapter(x, [blk], rank=4, steps=80, learning_rate=1e-2)
    assert nce_loss(x, a1, b1, [blk], 0.05)[0] < nce_loss(x, a0, b0, [blk], 0.05)[0]
    # Deterministic: the same data gives the same map.
    a2, b2 = fit_adapter(x, [blk], rank=4, steps=80, learning_rate=1e-2)
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_array_equal(b1, b2)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_each_competence_is_mapped_on_its_own(seed):
    """Adding competences (a certification) never changes the others' adapted vectors or block scores."""
    rng = np.random.default_rng(seed)
    vectors = {"use-multilingual:text": rng.standard_normal((9, 5)), "e5-small:text": rng.standard_normal((9, 4))}
    vectors["e5-small:text"][2] = 0.0  # no text in a view: stays zero
    ad = Adapter(("e5-small:text", "use-multilingual:text"), 0.3 * rng.standard_normal((9, 2)),
                 0.3 * rng.standard_normal((2, 9)))
    full = ad.transform(vectors)
    part = ad.transform({c: v[:5] for c, v in vectors.items()})
    np.testing.assert_allclose(part, full[:5], atol=1e-12)
    assert np.allclose(np.linalg.norm(full, axis=1), 1.0)
    s = adapter_similarity(full[:3], full[3:7])
    np.testing.assert_allclose(s, adapter_similarity(part[:3], full[3:7]), atol=1e-12)
    assert abs(s.mean()) < 1e-9 and (s.std() < 1e-9 or abs(s.std() - 1.0) < 1e-9)
    np.testing.assert_allclose(adapter_similarity(full[3:7], full[:3]), s.T, atol=1e-12)
    with pytest.raises(ConfigError, match="recalibrez"):
        ad.transform({c: v[:, :3] for c, v in vectors.items()})  # another encoder's size


def test_adapter_round_trips_and_rejects_bad_matrices():
    rng = np.random.default_rng(0)
    ad = Adapter(("e5-small:text",), rng.standard_normal((4, 2)), rng.standard_normal((2, 4)))
    again = Adapter.from_dict(ad.to_dict())
    assert again.channels == ad.channels
    np.testing.assert_allclose(again.a, ad.a, rtol=1e-6)
    np.testing.assert_array_equal(Adapter.from_dict(again.to_dict()).b, again.b)  # exact once float32
    short = Adapter(ad.channels, ad.a, ad.b[:, :3]).to_dict()["b"]
    nan = Adapter(ad.channels, np.full((4, 2), np.nan), ad.b).to_dict()["a"]
    for bad in ({"b": short}, {"a": nan}, {"a": "not base64!"}, {"encoding": "json"}, {"rank": 3}):
        with pytest.raises(ValueError):
            Adapter.from_dict(ad.to_dict() | bad)


def test_adapter_reads_the_neural_statement_channels_and_comes_last():
    chans = {"use-multilingual:text": 1.0, "lexical:full": 1.0, "use-multilingual:core": 0.3, "e5-small:text": 1.0}
    assert adapter_channels(list(chans)) == ("e5-small:text", "use-multilingual:text")
    assert adapter_channels(["lexical:text"]) == ()
    assert feature_names(list(chans), adapter=True)[-1] == ADAPTER_FEATURE
    assert feature_names(list(chans))[-1] != ADAPTER_FEATURE
    x = stack_channels({"a": np.array([[3.0, 4.0], [0.0, 0.0]]), "b": np.array([[1.0], [2.0]])}, ["a", "b"])
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), [1.0, np.sqrt(0.5)])


def _labelled(rng, key, rows, cols, x_all):
    a, b = sorted(key)
    pairs = [(f"{a}:C{i}", f"{b}:C{j}") for i in rows for j in cols]
    sims = (x_all[rows] @ x_all[cols].T).ravel()
    feats = np.stack([sims, rng.normal(size=len(pairs))], axis=1)
    y = (sims + 0.3 * rng.normal(size=len(pairs)) > 0.8).astype(int)
    y[0] = 1
    ones = np.ones(len(pairs), dtype=bool)
    return LabelledBlock(frozenset(key), pairs, feats, y, np.zeros(len(pairs), dtype=int), ones, ones, feats[:, 0],
                         np.asarray(rows), np.asarray(cols))


def test_folds_with_the_adapter_never_see_the_held_out_labels():
    rng = np.random.default_rng(5)
    x_all = rng.standard_normal((24, 6))
    x_all /= np.linalg.norm(x_all, axis=1, keepdims=True)
    idx = np.arange(24).reshape(4, 6)
    blocks = [_labelled(rng, (f"A{k}", f"B{k}"), idx[k, :3], idx[k, 3:], x_all) for k in range(4)]
    data = AdapterData(("e5-small:text",), x_all)
    names = ("f0", "f1")
    test, train = blocks[0], blocks[1:]
    model, scored = _fold_model(train, test, names, 0.3, data)
    flipped = replace(test, y=1 - test.y)
    model2, scored2 = _fold_model(train, flipped, names, 0.3, data)
    assert model == model2 and model.names == names + (ADAPTER_FEATURE,)
    np.testing.assert_array_equal(model.predict(scored.x), model2.predict(scored2.x))
    # The pair model's adapter column is cross-fitted: a block's column ignores that block's labels.
    crossed = cross_fitted(train, data)
    again = cross_fitted([replace(train[0], y=1 - train[0].y)] + train[1:], data)
    np.testing.assert_array_equal(crossed[0].x[:, -1], again[0].x[:, -1])


def test_block_weights_scale_the_loss_and_its_gradient():
    x, a, b, blk = _problem(5)
    _, _, _, other = _problem(6)
    plain = nce_loss(x, a, b, [blk, other], 0.1)
    explicit = nce_loss(x, a, b, [blk, other], 0.1, weights=[0.5, 0.5])
    np.testing.assert_allclose(plain[0], explicit[0])
    np.testing.assert_allclose(plain[1], explicit[1])
    only_first = nce_loss(x, a, b, [blk, other], 0.1, weights=[1.0, 0.0])
    alone = nce_loss(x, a, b, [blk], 0.1)
    np.testing.assert_allclose(only_first[0], alone[0])
    np.testing.assert_allclose(only_first[2], alone[2])


def test_paraphrase_blocks_pair_each_competence_with_its_own_texts_only():
    from crossref.adapter import paraphrase_blocks

    certs = np.array(["A", "A", "A", "B", "B"])
    blocs = ["A1", "A1", "A2", "B1", "B2"]
    has = np.array([True, False, True, True, True])
    blocks, crit, titles = paraphrase_blocks(certs, blocs, has, offset=5)
    # Critères: A's competences 0 and 2, B's 3 and 4, each its own row, identity labels.
    assert crit.tolist() == [0, 2, 3, 4]
    assert blocks[0].rows.tolist() == [0, 2] and blocks[0].cols.tolist() == [5, 6]
    np.testing.assert_array_equal(blocks[0].labels, np.eye(2))
    # Titles: one row per bloc, a competence labelled with its own bloc only, never across certifications.
    assert titles.tolist() == [0, 2, 3, 4]
    title_a = blocks[2]
    assert title_a.rows.tolist() == [0, 1, 2] and title_a.cols.tolist() == [9, 10]
    np.testing.assert_array_equal(title_a.labels, [[1, 0], [1, 0], [0, 1]])
    assert all(set(certs[b.rows]) == {c} for b, c in zip(blocks, "ABAB", strict=True))
