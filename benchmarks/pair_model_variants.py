"""Is the linear pair model the bottleneck? Other models and features, measured out of sample.

    .venv/bin/python benchmarks/pair_model_variants.py [--only lr,gbm2,...]

Every variant is fitted leave-one-certification-pair-out on the same folds as ``crossref
evaluate --loco`` (adapter fitted inside each fold, its pair-model column cross-fitted), with its
proposal threshold chosen on the training folds for pooled F1, and the held-out predictions are
pooled over every reference pair of :mod:`benchmarks.reference_sets`. ``lr`` is the shipped
procedure; the others change one thing: the classifier (gradient boosting, additive splines,
pairwise interactions, a second stage on the first model's probabilities within the block), its
regularisation or weighting, the proposal rule or how its threshold is chosen, or add a feature
(critères and activité-title cosines, channels standardised within the block, row/column z of the hybrid, the
mutual-best product, the block's size). Prints Hits@1, MRR, precision, recall and F1 (with a
bootstrap 95 % interval) per variant.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.reference_sets import data_paths, gold_paths  # noqa: E402
from crossref.calibration import stacked  # noqa: E402
from crossref.pair_model import group_weights  # noqa: E402

Fitter = Callable[[list], tuple[Callable[[np.ndarray], np.ndarray], Any]]


def shipped(names: tuple[str, ...], c: float = 0.3) -> Fitter:
    from crossref.calibration import fit_model

    def fit(train: list) -> tuple:
        m = fit_model(train, names, c)
        return m.predict, m.partial_threshold
    return fit


def unweighted(names: tuple[str, ...]) -> Fitter:
    from crossref.calibration import _best_threshold
    from crossref.pair_model import fit_pair_model

    def fit(train: list) -> tuple:
        x, y, _ = stacked(train)
        m = fit_pair_model(x, y, names, c=0.3)
        return m.predict, _best_threshold(m.predict(x), y)
    return fit


def sklearn_model(make: Callable[[], Any], step: str | None) -> Fitter:
    """Any scikit-learn classifier (``step``: the pipeline step that takes the sample weights)."""
    from crossref.calibration import _best_threshold

    def fit(train: list) -> tuple:
        x, y, g = stacked(train)
        clf = make()
        key = f"{step}__sample_weight" if step else "sample_weight"
        clf.fit(x, y, **{key: group_weights(g)})

        def predict(z: np.ndarray) -> np.ndarray:
            return clf.predict_proba(z)[:, 1]
        return predict, _best_threshold(predict(x), y, 0.01, 0.95)
    return fit


def gbm(depth: int) -> Fitter:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return sklearn_model(lambda: HistGradientBoostingClassifier(
        max_depth=depth, learning_rate=0.05, max_iter=200 if depth == 2 else 300, l2_regularization=1.0,
        min_samples_leaf=20 if depth == 2 else 50, random_state=0), None)


def splines() -> Fitter:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import SplineTransformer, StandardScaler

    return sklearn_model(lambda: make_pipeline(StandardScaler(), SplineTransformer(n_knots=4, knots="quantile"),
                                               LogisticRegression(C=0.3, max_iter=3000)), "logisticregression")


def interactions() -> Fitter:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures, StandardScaler

    return sklearn_model(lambda: make_pipeline(StandardScaler(), PolynomialFeatures(2, include_bias=False),
                                               StandardScaler(), LogisticRegression(C=0.3, max_iter=5000)),
                         "logisticregression")


def nested_threshold(names: tuple[str, ...]) -> Fitter:
    """The shipped model, its threshold chosen on out-of-sample predictions of the training pairs
    (inner leave-one-certification-pair-out) instead of its in-sample ones."""
    from crossref.calibration import _best_threshold, fit_model
    from crossref.pair_model import fit_pair_model

    def fit(train: list) -> tuple:
        ps, ys = [], []
        for k, held in enumerate(train):
            x, y, g = stacked([b for j, b in enumerate(train) if j != k])
            ps.append(fit_pair_model(x, y, names, c=0.3, groups=g).predict(held.x))
            ys.append(held.y)
        return fit_model(train, names, 0.3).predict, _best_threshold(np.concatenate(ps), np.concatenate(ys))
    return fit


def two_thresholds(names: tuple[str, ...]) -> Fitter:
    """Propose above t1, or above a lower t2 when the pair is its row's or column's best."""
    from crossref.calibration import fit_model

    def fit(train: list) -> tuple:
        m = fit_model(train, names, 0.3)
        x, y, _ = stacked(train)
        p, best = m.predict(x), _best_of_line(x, names)
        chosen, top = (0.5, 0.5), -1.0
        for t1 in np.linspace(0.05, 0.95, 46):
            for t2 in np.linspace(0.02, t1, 30):
                pred = (p >= t1) | (best & (p >= t2))
                f1 = 2 * float((pred & (y == 1)).sum()) / (pred.sum() + y.sum())
                if f1 > top + 1e-12:
                    top, chosen = f1, (t1, t2)
        return m.predict, chosen
    return fit


def two_stage_columns(block: Any, logit: np.ndarray) -> np.ndarray:
    """What the first model says of a cell and its block: its logit, its margin to its row's and
    its column's best logit, and the mean of the block's three best logits."""
    z = logit.reshape(len(block.rows), len(block.cols))
    top = np.sort(z.ravel())[-min(3, z.size):].mean()
    return np.column_stack([z.ravel(), (z - z.max(1, keepdims=True)).ravel(), (z - z.max(0, keepdims=True)).ravel(),
                            np.full(z.size, top)])


def two_stage(folds: list, names: tuple[str, ...]) -> tuple[list, tuple[str, ...]]:
    """Collective evidence, stacked: a second logistic model on the shipped model's probabilities
    within the block. Its training columns come from inner leave-one-certification-pair-out
    predictions (never a model fitted on the block it describes)."""
    from crossref.calibration import fit_model

    out = []
    for train, test in folds:
        inner = [replace(held, x=two_stage_columns(held, fit_model([b for j, b in enumerate(train) if j != k],
                                                                   names, 0.3).logit(held.x)))
                 for k, held in enumerate(train)]
        outer = replace(test, x=two_stage_columns(test, fit_model(train, names, 0.3).logit(test.x)))
        out.append((inner, outer))
    return out, ("logit", "row_margin", "col_margin", "block_top3")


def _two_stage_variant(folds: list, names: tuple[str, ...]) -> tuple[list, Fitter, tuple[str, ...]]:
    data, stage_names = two_stage(folds, names)
    return data, shipped(stage_names), stage_names


def _best_of_line(x: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    return (x[:, names.index("row_rr")] >= 0.999) | (x[:, names.index("col_rr")] >= 0.999)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def extra_columns(block: Any, which: str, vectors: dict[str, np.ndarray], present: dict[str, np.ndarray],
                  names: tuple[str, ...]) -> list[np.ndarray]:
    from crossref.features import standardised

    r, c = block.rows, block.cols
    n_a, n_b = len(r), len(c)
    x = block.x
    if which.startswith(("criteria:", "activity:")):  # cosine of the critères' (the activité titles')
        v = _unit(vectors[which])                          # embeddings, standardised where both have some
        has = present[which.split(":")[0]]
        s, both = v[r] @ v[c].T, has[r][:, None] & has[c][None, :]
        out = np.zeros((n_a, n_b))
        if both.any():
            out[both] = standardised(s[both])
        return [out.ravel()]
    if which == "block-standardised":  # every dense channel's cosine standardised within the block
        return [standardised(_unit(vectors[k])[r] @ _unit(vectors[k])[c].T).ravel()
                for k in sorted(vectors) if not k.startswith(("criteria:", "activity:", "lexical:"))]
    if which == "row-column-z":
        h = block.hybrid.reshape(n_a, n_b)
        zr = (h - h.mean(1, keepdims=True)) / (h.std(1, keepdims=True) + 1e-6)
        zc = (h - h.mean(0, keepdims=True)) / (h.std(0, keepdims=True) + 1e-6)
        return [np.maximum(zr, zc).ravel(), np.minimum(zr, zc).ravel()]
    if which == "mutual-best":
        return [x[:, names.index("row_rr")] * x[:, names.index("col_rr")]]
    if which == "block-size":
        return [np.full(len(x), np.log(max(n_a * n_b, 1)))]
    raise ValueError(which)


FEATURES = ("criteria:e5-small", "criteria:use-multilingual", "activity:e5-small", "activity:use-multilingual",
            "block-standardised", "row-column-z", "mutual-best", "block-size")


def folds_and_vectors() -> tuple[list, dict, tuple[str, ...], list, dict[str, np.ndarray],
                             dict[str, np.ndarray]]:
    """(train, test) per held-out certification pair with the adapter column, as the shipped LOCO."""
    from crossref.calibration import ADAPTER_FEATURE, cross_fitted, fit_block_adapter, with_adapter_column
    from crossref.config import Config
    from crossref.fitting import read_references, reference_data

    config = Config()
    gold = read_references(gold_paths())
    _, data, candidates, names, corpus, builtin, adapter = reference_data(config, gold, data_paths())
    folds = [b for b in data if b.y.any()]
    out = []
    for test in folds:
        train = [b for b in folds if b.key != test.key]
        out.append((cross_fitted(train, adapter), with_adapter_column(test, fit_block_adapter(adapter, train), adapter)))
    vectors, has = _vectors(config, corpus, builtin)
    return out, candidates, tuple(names) + (ADAPTER_FEATURE,), gold, vectors, has


def _vectors(config: Any, corpus: Any, builtin: Any) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The dense channels, and the critères and activité titles of every competence embedded by
    both sentence backends, with where each text exists."""
    from crossref.corpus_views import competence_views, lexical_texts
    from crossref.embeddings import embed_views

    info = competence_views(corpus)
    emb = embed_views(config, info, lexical_texts(competence_views(builtin)))
    activity = []
    for i in info.ids:
        comp = corpus.competence(i)
        act = corpus.certification(comp.certification).activity(comp.activity_id) if comp.activity_id else None
        activity.append(act.title if act else "")
    texts = {"criteria": [t.strip() for t in info.views["criteria"]], "activity": activity}
    vectors = {k: np.asarray(v) for k, v in emb.vectors.items() if isinstance(v, np.ndarray)}
    for kind, values in texts.items():
        for backend in ("e5-small", "use-multilingual"):
            vectors[f"{kind}:{backend}"] = emb.embed(backend, [t or "-" for t in values])
    return vectors, {kind: np.array([bool(t) for t in values], dtype=bool) for kind, values in texts.items()}


def measure(folds: list, fitter: Fitter, candidates: dict, gold: list, names: tuple[str, ...]) -> dict:
    from crossref.calibration import _bootstrap, cert_pair, held_out_predictions

    scores: dict = {}
    predicted: list = []
    for train, test in folds:
        predict, threshold = fitter(train)
        p = predict(test.x)
        if isinstance(threshold, tuple):  # the two-threshold rule
            keep = (p >= threshold[0]) | (_best_of_line(test.x, names) & (p >= threshold[1]))
        else:
            keep = p >= threshold
        fold_scores, fold_pred = held_out_predictions(test, p, keep)
        scores.update(fold_scores)
        predicted += fold_pred
    keys = {t.key for _, t in folds}
    return _bootstrap(scores, candidates, predicted, [g for g in gold if cert_pair(g.source, g.target) in keys],
                      n=1000)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", help="comma-separated variants (default: all)")
    args = ap.parse_args()
    t0 = time.time()
    folds, candidates, names, gold, vectors, has = folds_and_vectors()
    print(f"{len(folds)} folds, {len(gold)} reference pairs ({time.time() - t0:.0f} s)", flush=True)
    variants: dict[str, Callable[[], tuple[list, Fitter, tuple[str, ...]]]] = {
        "lr (shipped)": lambda: (folds, shipped(names), names),
        "lr C=0.03": lambda: (folds, shipped(names, 0.03), names),
        "lr C=3": lambda: (folds, shipped(names, 3.0), names),
        "lr unweighted": lambda: (folds, unweighted(names), names),
        "two thresholds": lambda: (folds, two_thresholds(names), names),
        "nested threshold": lambda: (folds, nested_threshold(names), names),
        "gbm depth 2": lambda: (folds, gbm(2), names),
        "gbm depth 3": lambda: (folds, gbm(3), names),
        "splines": lambda: (folds, splines(), names),
        "interactions": lambda: (folds, interactions(), names),
        "two-stage": lambda: _two_stage_variant(folds, names),
    }
    for feature in FEATURES:
        def with_feature(feature: str = feature) -> tuple[list, Fitter, tuple[str, ...]]:
            def add(b: Any) -> Any:
                cols = extra_columns(b, feature, vectors, has, names)
                return replace(b, x=np.column_stack([b.x, *cols]))
            extended = [([add(b) for b in train], add(test)) for train, test in folds]
            width = extended[0][1].x.shape[1] - len(names)
            wider = names + tuple(f"{feature}:{n}" for n in range(width))
            return extended, shipped(wider), wider
        variants[f"+ {feature}"] = with_feature
    only = args.only.split(",") if args.only else list(variants)
    print(f"{'variant':28s} Hits@1   MRR      P      R     F1  [95 %]")
    for name in only:
        t = time.time()
        data, fitter, nm = variants[name]()
        m = measure(data, fitter, candidates, gold, nm)
        print(f"{name:28s} {m['hits_at_1'].value:.3f}  {m['mrr'].value:.3f}  {m['precision'].value:.3f}  "
              f"{m['recall'].value:.3f}  {m['f1'].value:.3f}  [{m['f1'].low:.3f}–{m['f1'].high:.3f}]  "
              f"({time.time() - t:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
