"""Measure the pairs table against a reference alignment and calibrate the matcher.

``evaluate_pairs`` is what ``crossref evaluate`` prints. ``fit_calibration``
chooses the logistic centre/scale and the relation thresholds from reference
pairs; ``benchmarks/calibrate.py`` runs it with cross-validation (fit on one
certification pair, test on another) so reported figures are out-of-sample.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable

import numpy as np
import pandas as pd

from crossref.config import Config, MatchingConfig
from crossref.evaluation import GoldPair, Metrics, evaluate
from crossref.model import Corpus


def evaluate_pairs(pairs: pd.DataFrame, corpus: Corpus, gold: Iterable[GoldPair]) -> Metrics:
    """Hits@1/3 and MRR from pair scores; P/R/F1 of the pairs whose relation is not "none"."""
    gold = list(gold)
    known = {c.id for cert in corpus for c in cert.competences}
    unknown = sorted({i for g in gold for i in (g.source, g.target)} - known)
    if unknown:
        from crossref.errors import CrossrefError

        raise CrossrefError(f"reference alignment names unknown competences: {', '.join(unknown[:5])}")
    scores = dict(zip(zip(pairs["source"], pairs["target"]), pairs["score"].astype(float)))
    candidates = {cert.id: [c.id for c in cert.competences] for cert in corpus}
    proposed = pairs[pairs["relation"] != "none"]
    return evaluate(scores, candidates, list(zip(proposed["source"], proposed["target"])), gold)


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


def standardised_scores(pairs: pd.DataFrame, cfg: MatchingConfig) -> np.ndarray:
    """Invert the logistic: the hubness-corrected standardised score behind each pair score."""
    return cfg.calibration_center + cfg.calibration_scale * logit(pairs["score"].to_numpy())


def relabel(pairs: pd.DataFrame, cfg_old: MatchingConfig, cfg_new: MatchingConfig) -> pd.DataFrame:
    """Pairs re-scored and re-related under new calibration/thresholds (same embeddings)."""
    from crossref.matching import calibrate, relations

    h = standardised_scores(pairs, cfg_old)
    out = pairs.copy()
    out["score"] = calibrate(h, cfg_new.calibration_center, cfg_new.calibration_scale)
    # Ranks are unchanged by a monotone map; relations follow the new thresholds,
    # by the same rule as the matcher (the reverse orientation's rank is the column rank).
    out["relation"] = relations(out["score"].to_numpy(), out["rank"].to_numpy(), _reverse_ranks(out),
                                out["direction"].to_numpy(), cfg_new)
    out["model_relation"] = out["relation"]
    return out


def _reverse_ranks(pairs: pd.DataFrame) -> np.ndarray:
    """Rank of each pair's reverse orientation (inf where the table lacks it)."""
    reverse = pairs.set_index(["source", "target"])["rank"]
    back = reverse.reindex(list(zip(pairs["target"], pairs["source"]))).to_numpy(dtype=float)
    return np.where(np.isnan(back), np.inf, back)


@dataclass(frozen=True)
class Calibration:
    center: float
    scale: float
    partial_threshold: float
    equivalent_threshold: float


def fit_calibration(pairs: pd.DataFrame, corpus: Corpus, gold: list[GoldPair], cfg: MatchingConfig,
                    grid: int = 41) -> Calibration:
    """Logistic fit of gold membership on the standardised score, then F1-optimal thresholds.

    Only the certification pairs the gold covers are used; pairs are unordered
    (one orientation each), so the fit does not count every pair twice.
    """
    from sklearn.linear_model import LogisticRegression

    from crossref.evaluation import pair_prf

    scope = {frozenset((g.source.split(":")[0], g.target.split(":")[0])) for g in gold}
    gold_set = {frozenset((g.source, g.target)) for g in gold}
    equivalent_set = {frozenset((g.source, g.target)) for g in gold if g.relation == "equivalent"}
    sub = pairs[[frozenset((a, b)) in scope for a, b in zip(pairs["source_cert"], pairs["target_cert"])]]
    sub = sub[sub["source"] < sub["target"]]
    h = standardised_scores(sub, cfg)
    y = np.array([frozenset((a, b)) in gold_set for a, b in zip(sub["source"], sub["target"])])
    model = LogisticRegression(C=1.0).fit(h.reshape(-1, 1), y)
    scale = 1.0 / float(model.coef_[0, 0])
    center = -float(model.intercept_[0]) * scale
    base = replace(cfg, calibration_center=center, calibration_scale=scale)
    best = (-1.0, 0.5)
    for t in np.linspace(0.05, 0.95, grid):
        trial = relabel(pairs, cfg, replace(base, partial_threshold=float(t), equivalent_threshold=1.1))
        prop = trial[trial["relation"] != "none"]
        f1 = pair_prf(zip(prop["source"], prop["target"]), gold)[2]
        if f1 > best[0] + 1e-9:
            best = (f1, float(t))
    partial_t = best[1]
    # Equivalent threshold: best balanced accuracy of equivalent vs partial among proposed gold pairs.
    trial = relabel(pairs, cfg, replace(base, partial_threshold=partial_t, equivalent_threshold=partial_t))
    prop = trial[(trial["relation"] != "none") & (trial["source"] < trial["target"])]
    in_gold = prop[[frozenset((a, b)) in gold_set for a, b in zip(prop["source"], prop["target"])]]
    eq_t, best_acc = 1.0, -1.0
    for t in np.linspace(partial_t, 0.99, grid):
        pred_eq = (in_gold["relation"] == "equivalent") & (in_gold["score"] >= t)
        truth = np.array([frozenset((a, b)) in equivalent_set for a, b in zip(in_gold["source"], in_gold["target"])])
        pred_eq = pred_eq.to_numpy()
        # Balanced accuracy: equivalents are rare, plain accuracy would never predict one.
        recalls = [float(np.mean(pred_eq[truth == k] == k)) for k in (True, False) if np.any(truth == k)]
        acc = float(np.mean(recalls)) if recalls else 0.0
        if acc > best_acc + 1e-9:
            best_acc, eq_t = acc, float(t)
    return Calibration(center, scale, partial_t, eq_t)


def apply_calibration(config: Config, cal: Calibration) -> Config:
    m = replace(config.matching, calibration_center=round(cal.center, 3), calibration_scale=round(cal.scale, 3),
                partial_threshold=round(cal.partial_threshold, 3),
                equivalent_threshold=round(cal.equivalent_threshold, 3))
    return replace(config, matching=m)
