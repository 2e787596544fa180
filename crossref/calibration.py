"""Fitted values as an artifact, fitted and measured honestly.

``fit_artifact`` learns everything the matcher fits (channel standardisation
statistics on the built-in référentiels, the pair model, its thresholds, the
logistic used for free-text sentences) from reference alignments, and
``save_artifact`` writes it under ``models/`` with its provenance. ``loco``
measures the same procedure leave-one-certification-pair-out: every fold is
fitted without the certification pair it is measured on, and the figures
come with bootstrap 95 % intervals. ``crossref calibrate`` and
``crossref evaluate --loco`` call them; ``benchmarks/calibrate.py`` prints
variants.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

from crossref.adapter import Adapter, AdapterBlock, AdapterSettings, fit_adapter
from crossref.errors import ConfigError
from crossref.evaluation import GoldPair, Metrics, evaluate, pair_prf
from crossref.features import ADAPTER_FEATURE, adapted, adapter_similarity
from crossref.matching import ChannelStats
from crossref.model import split_id
from crossref.pair_model import PairModel, fit_pair_model

if TYPE_CHECKING:
    import pandas as pd

    from crossref.blocks import Block
    from crossref.config import Config
    from crossref.model import Corpus

ARTIFACT_FORMAT = 1


@dataclass(frozen=True)
class Artifact:
    """Everything fitted: loaded by the configuration, recorded in exports."""

    channels: dict[str, ChannelStats]     # standardisation statistics per "backend:view"
    weights: dict[str, float]             # channel weights the hybrid feature was computed with
    hubness: float
    hubness_k: int
    model: PairModel
    sentence_center: float                # logistic of the hybrid, for free-text sentences (VAE)
    sentence_scale: float
    provenance: dict[str, Any] = field(default_factory=dict)
    adapter: Adapter | None = None        # supervised adapter (crossref.adapter), when fitted

    def to_dict(self) -> dict[str, Any]:
        out = {
            "format": ARTIFACT_FORMAT,
            "channels": {c: {"weight": self.weights[c], "mean": s.mean, "std": s.std}
                         for c, s in self.channels.items()},
            "hubness": self.hubness, "hubness_k": self.hubness_k,
            "pair_model": self.model.to_dict(),
            "sentence_logistic": {"center": self.sentence_center, "scale": self.sentence_scale},
            "provenance": self.provenance,
        }
        if self.adapter is not None:
            out["adapter"] = self.adapter.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "calibration") -> "Artifact":
        try:
            if data.get("format") != ARTIFACT_FORMAT:
                raise ValueError(f"format {data.get('format')!r} (attendu {ARTIFACT_FORMAT})")
            ch = data["channels"]
            stats = {c: ChannelStats(float(v["mean"]), float(v["std"])) for c, v in ch.items()}
            m = data["pair_model"]
            if not 0.0 <= float(m["partial_threshold"]) <= float(m["equivalent_threshold"]) <= 1.0:
                raise ValueError("il faut 0 ≤ partial_threshold ≤ equivalent_threshold ≤ 1")
            for c, s in stats.items():
                if not (np.isfinite(s.mean) and np.isfinite(s.std) and s.std > 0):
                    raise ValueError(f"statistiques invalides pour le canal {c}")
            _check_numbers(data)
            adapter = Adapter.from_dict(data["adapter"]) if data.get("adapter") is not None else None
            if adapter is not None and not set(adapter.channels) <= set(stats):
                raise ValueError(f"adapter : canaux {list(adapter.channels)} absents des canaux calibrés")
            return cls(stats, {c: float(v["weight"]) for c, v in ch.items()}, float(data["hubness"]),
                       int(data["hubness_k"]), PairModel.from_dict(data["pair_model"]),
                       float(data["sentence_logistic"]["center"]), float(data["sentence_logistic"]["scale"]),
                       dict(data.get("provenance", {})), adapter)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(f"{source} : artefact de calibration invalide ({exc}) ; "
                              "recréez-le avec `crossref calibrate`") from None

    def check(self, config: "Config") -> None:
        """The configuration must ask for what was fitted: never a silent re-measure."""
        m = config.matching
        if dict(m.channels) != self.weights:
            raise ConfigError(
                f"matching.channels {dict(m.channels)} ne correspond pas aux canaux calibrés {self.weights} "
                f"({m.calibration}) : recalibrez avec `crossref calibrate`")
        if (m.hubness, m.hubness_k) != (self.hubness, self.hubness_k):
            raise ConfigError(f"matching.hubness/hubness_k ({m.hubness}, {m.hubness_k}) diffèrent de la "
                              f"calibration ({self.hubness}, {self.hubness_k}) : recalibrez avec `crossref calibrate`")


def _check_numbers(data: dict[str, Any]) -> None:
    """The fitted numbers the pipeline divides by or multiplies with: finite, in range, consistent."""
    def finite(name: str, values: Any) -> list[float]:
        out = [float(v) for v in (values if isinstance(values, list) else [values])]
        if not all(np.isfinite(out)):
            raise ValueError(f"{name} : valeur non finie")
        return out

    m = data["pair_model"]
    n = len(m["names"])
    for key in ("mean", "std", "coef"):
        if len(finite(f"pair_model.{key}", m[key])) != n:
            raise ValueError(f"pair_model.{key} : {n} valeurs attendues (une par caractéristique)")
    if min(finite("pair_model.std", m["std"]), default=1.0) <= 0:
        raise ValueError("pair_model.std : écarts-types > 0 attendus")
    finite("pair_model.intercept", m["intercept"])
    if finite("sentence_logistic.scale", data["sentence_logistic"]["scale"])[0] <= 0:
        raise ValueError("sentence_logistic.scale : > 0 attendu")
    finite("sentence_logistic.center", data["sentence_logistic"]["center"])
    if not 0.0 <= finite("hubness", data["hubness"])[0] <= 1.0 or int(data["hubness_k"]) < 1:
        raise ValueError("hubness entre 0 et 1 et hubness_k ≥ 1 attendus")
    if any(w < 0 for c, v in data["channels"].items() for w in finite(f"channels[{c!r}].weight", v["weight"])):
        raise ValueError("poids de canal ≥ 0 attendus")


def load_artifact(path: str | Path) -> Artifact:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path} : artefact de calibration introuvable ; créez-le avec `crossref calibrate`") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ConfigError(f"{path} : artefact de calibration illisible ({type(exc).__name__}: {exc})") from None
    return Artifact.from_dict(data, str(path))


def save_artifact(artifact: Artifact, path: str | Path) -> None:
    from crossref.io import atomic_write_text

    atomic_write_text(path, json.dumps(artifact.to_dict(), ensure_ascii=False, indent=2, sort_keys=False) + "\n")


# ---------------------------------------------------------------- training data


def cert_pair(a: str, b: str) -> frozenset[str]:
    return frozenset((split_id(a)[0], split_id(b)[0]))


def cert_pair_name(key: frozenset[str]) -> str:
    """« A↔B », ids sorted: how reports and the artifact's provenance name a certification pair."""
    return "↔".join(sorted(key))


@dataclass(frozen=True)
class LabelledBlock:
    """One certification pair's feature rows (both orientations share one row) and labels."""

    key: frozenset[str]
    pairs: list[tuple[str, str]]     # (A's competence, B's competence), row-major
    x: np.ndarray                    # (n_pairs, n_features)
    y: np.ndarray                    # 1 = listed in the reference
    equivalent: np.ndarray           # 1 = listed as equivalent
    mutual_best: np.ndarray
    same_scope: np.ndarray
    hybrid: np.ndarray
    rows: np.ndarray | None = None   # corpus positions of A's kept competences (x is rows x cols, row-major)
    cols: np.ndarray | None = None


def labelled_blocks(blocks: Iterable["Block"], ids: list[str], directions: dict, gold: list[GoldPair],
                    savoirs: set[str]) -> list[LabelledBlock]:
    listed = {frozenset((g.source, g.target)) for g in gold}
    equiv = {frozenset((g.source, g.target)) for g in gold if g.relation == "equivalent"}
    out = []
    for b in blocks:
        f = b.features
        keep_a = np.array([ids[i] not in savoirs for i in b.ia], dtype=bool)
        keep_b = np.array([ids[j] not in savoirs for j in b.ib], dtype=bool)
        keep = keep_a[:, None] & keep_b[None, :]
        pairs = [(ids[i], ids[j]) for i in b.ia for j in b.ib]
        flat = keep.ravel()
        pairs = [p for p, k in zip(pairs, flat) if k]
        key = frozenset((b.cert_a, b.cert_b))
        out.append(LabelledBlock(
            key, pairs, f.values.reshape(-1, f.values.shape[-1])[flat],
            np.array([frozenset(p) in listed for p in pairs], dtype=int),
            np.array([frozenset(p) in equiv for p in pairs], dtype=int),
            ((f.row_rank == 1) & (f.col_rank == 1)).ravel()[flat],
            (directions[key] == "same").ravel()[flat], f.hybrid.ravel()[flat], b.ia[keep_a], b.ib[keep_b]))
    return out


def _best_threshold(p: np.ndarray, y: np.ndarray, lo: float = 0.05, hi: float = 0.95) -> float:
    best_f1, best_t = -1.0, 0.5
    for t in np.linspace(lo, hi, 91):
        pred = p >= t
        denom = pred.sum() + y.sum()
        f1 = 2 * float((pred & (y == 1)).sum()) / denom if denom else 0.0
        if f1 > best_f1 + 1e-12:
            best_f1, best_t = f1, float(t)
    return best_t


def stacked(blocks: list[LabelledBlock]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every block's feature rows and labels, and each row's block number (its group)."""
    return (np.concatenate([b.x for b in blocks]), np.concatenate([b.y for b in blocks]),
            np.concatenate([np.full(len(b.y), n) for n, b in enumerate(blocks)]))


def fit_model(train: list[LabelledBlock], names: tuple[str, ...], c: float = 0.3) -> PairModel:
    """Pair model, F1-optimal proposal threshold and equivalent threshold, on training blocks only."""
    from dataclasses import replace

    x, y, groups = stacked(train)
    model = fit_pair_model(x, y, names, c=c, groups=groups)
    p = model.predict(x)
    partial_t = _best_threshold(p, y)
    # Equivalent: proposed, each other's best, same scope, and above a threshold chosen for the F1
    # of the equivalent class, averaged over the certification pairs that have equivalents (one pair
    # of near-identical référentiels must not dictate it).
    eq = np.concatenate([b.equivalent for b in train]) == 1
    cand = (p >= partial_t) & np.concatenate([b.mutual_best & b.same_scope for b in train])
    with_eq = [g for g in np.unique(groups) if eq[groups == g].any()]
    eq_t, best = 1.0, 0.0
    for t in np.linspace(partial_t, 0.99, 76):
        pred = cand & (p >= t)
        f1s = []
        for g in with_eq:
            m = groups == g
            denom = pred[m].sum() + eq[m].sum()
            f1s.append(2 * float((pred[m] & eq[m]).sum()) / denom if denom else 0.0)
        f1 = float(np.mean(f1s)) if f1s else 0.0
        if f1 > best + 1e-12:
            best, eq_t = f1, float(t)
    return replace(model, partial_threshold=round(partial_t, 4), equivalent_threshold=round(eq_t, 4))


def fit_sentence_logistic(train: list[LabelledBlock]) -> tuple[float, float]:
    """Logistic of listed-ness on the hybrid score alone (the scale free-text sentences are scored on)."""
    from sklearn.linear_model import LogisticRegression

    h = np.concatenate([b.hybrid for b in train]).reshape(-1, 1)
    y = np.concatenate([b.y for b in train])
    lr = LogisticRegression(C=1.0).fit(h, y)
    scale = 1.0 / float(lr.coef_[0, 0])
    return -float(lr.intercept_[0]) * scale, scale


# ---------------------------------------------------------------- supervised adapter

ADAPTER_FOLDS = 3   # cross-fitting groups for the pair model's adapter column
DEFAULT_SETTINGS = AdapterSettings()


@dataclass(frozen=True)
class AdapterData:
    """What the adapter reads: the channels and their stacked vectors of every corpus competence."""

    channels: tuple[str, ...]
    x: np.ndarray       # (n_competences, d): crossref.adapter.stack_channels, corpus order
    # The référentiels' own paraphrase pairs (crossref.adapter.paraphrase_blocks): their extra rows
    # (critères, bloc titles, same channels) follow x; no reference label is involved.
    extra: np.ndarray | None = None
    paraphrases: tuple[AdapterBlock, ...] = ()


def fit_block_adapter(data: AdapterData, train: list[LabelledBlock],
                      settings: AdapterSettings = DEFAULT_SETTINGS) -> Adapter:
    """The adapter fitted on the reference pairs of ``train`` (blocks with their corpus positions)."""
    blocks = [AdapterBlock(b.rows, b.cols, b.y.reshape(len(b.rows), len(b.cols)))
              for b in train if b.rows is not None and b.cols is not None]
    weights = [1.0 / len(blocks)] * len(blocks)
    x = data.x
    if data.paraphrases and data.extra is not None and settings.paraphrase_weight > 0:
        x = np.concatenate([data.x, data.extra])
        weights += [settings.paraphrase_weight / len(data.paraphrases)] * len(data.paraphrases)
        blocks += list(data.paraphrases)
    a, b = fit_adapter(x, blocks, rank=settings.rank, steps=settings.steps, weight_decay=settings.weight_decay,
                       weights=weights)
    return Adapter(data.channels, a, b)


def with_adapter_column(block: LabelledBlock, adapter: Adapter, data: AdapterData) -> LabelledBlock:
    """``block`` with the adapter feature appended (the last column, as crossref.features puts it)."""
    from dataclasses import replace

    assert block.rows is not None and block.cols is not None
    f = adapted(data.x, adapter.a, adapter.b)
    col = adapter_similarity(f[block.rows], f[block.cols]).reshape(-1, 1)
    return replace(block, x=np.concatenate([block.x, col], axis=1))


def cross_fitted(train: list[LabelledBlock], data: AdapterData,
                 settings: AdapterSettings = DEFAULT_SETTINGS) -> list[LabelledBlock]:
    """Every block with the adapter column of an adapter fitted without it (ADAPTER_FOLDS groups of
    certification pairs): the pair model learns how far to trust the adapter from scores it did not fit."""
    groups = np.arange(len(train)) % ADAPTER_FOLDS
    out = list(train)
    for g in np.unique(groups):
        adapter = fit_block_adapter(data, [b for b, k in zip(train, groups) if k != g], settings)
        for n in np.nonzero(groups == g)[0]:
            out[n] = with_adapter_column(train[n], adapter, data)
    return out


def fit_with_adapter(train: list[LabelledBlock], names: tuple[str, ...], data: AdapterData,
                     c: float = 0.3, settings: AdapterSettings = DEFAULT_SETTINGS) -> tuple[PairModel, Adapter]:
    """The adapter on every training block, the pair model on cross-fitted adapter columns."""
    return (fit_model(cross_fitted(train, data, settings), names + (ADAPTER_FEATURE,), c),
            fit_block_adapter(data, train, settings))


# ---------------------------------------------------------------- out-of-sample measurement


@dataclass(frozen=True)
class Interval:
    value: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float | list[float]]:
        return {"value": round(self.value, 4), "ci95": [round(self.low, 4), round(self.high, 4)]}


@dataclass(frozen=True)
class LocoReport:
    """Leave-one-certification-pair-out figures, pooled over folds, with bootstrap intervals."""

    metrics: dict[str, Interval]
    per_fold: dict[str, Metrics]
    folds: int
    reference_pairs: int

    def to_dict(self) -> dict[str, Any]:
        return {"method": "leave-one-certification-pair-out, pooled; bootstrap 95 % (2,000 resamples of "
                          "competences)", "folds": self.folds, "reference_pairs": self.reference_pairs,
                "metrics": {k: v.to_dict() for k, v in self.metrics.items()},
                "per_fold": {k: {kk: round(vv, 4) if isinstance(vv, float) else vv for kk, vv in m.to_dict().items()}
                             for k, m in self.per_fold.items()}}


def query_ranks(scores, candidates, gold: list[GoldPair]) -> np.ndarray:
    """Rank of the best gold match of every ranking query (as :func:`ranking_metrics` counts it)."""
    from crossref.evaluation import gold_links

    ranks = []
    for (a, cert_b), matches in sorted(gold_links(gold).items()):
        best = max(scores.get((a, b), float("-inf")) for b in matches)
        ranks.append(1 + sum(1 for b in candidates[cert_b]
                             if b not in matches and scores.get((a, b), float("-inf")) >= best))
    return np.array(ranks, dtype=float)


def _bootstrap(scores, candidates, predicted, gold, n: int = 2000, seed: int = 0) -> dict[str, Interval]:
    """Point figures with 95 % intervals: ranking queries resampled for Hits/MRR, competences
    (with their reference and predicted pairs) for precision/recall/F1."""
    from collections import defaultdict

    gold = list(gold)
    ranks = query_ranks(scores, candidates, gold)
    p, r, f1, *_ = pair_prf(predicted, gold)
    gold_set = {frozenset((g.source, g.target)) for g in gold}
    scope = {cert_pair(g.source, g.target) for g in gold}
    unit_gold: dict[str, int] = defaultdict(int)
    for g in gold_set:
        unit_gold[min(g)] += 1
    unit_pred: dict[str, set] = defaultdict(set)
    for a, b in predicted:
        if cert_pair(a, b) in scope and a != b:
            unit_pred[min(a, b)].add(frozenset((a, b)))
    units = sorted(set(unit_gold) | set(unit_pred))
    counts = np.array([[len(unit_pred[u] & gold_set), len(unit_pred[u]), unit_gold[u]] for u in units], dtype=float)
    rng = np.random.default_rng(seed)
    samples: dict[str, list[float]] = {k: [] for k in ("hits_at_1", "hits_at_3", "mrr", "precision", "recall", "f1")}
    for _ in range(n):
        rk = ranks[rng.integers(0, len(ranks), len(ranks))] if len(ranks) else np.array([np.inf])
        samples["hits_at_1"].append(float(np.mean(rk <= 1)))
        samples["hits_at_3"].append(float(np.mean(rk <= 3)))
        samples["mrr"].append(float(np.mean(1.0 / rk)))
        c = counts[rng.integers(0, len(units), len(units))].sum(axis=0) if units else np.zeros(3)
        prec = c[0] / c[1] if c[1] else 0.0
        rec = c[0] / c[2] if c[2] else 0.0
        samples["precision"].append(prec)
        samples["recall"].append(rec)
        samples["f1"].append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    values = {"hits_at_1": float(np.mean(ranks <= 1)) if len(ranks) else 0.0,
              "hits_at_3": float(np.mean(ranks <= 3)) if len(ranks) else 0.0,
              "mrr": float(np.mean(1.0 / ranks)) if len(ranks) else 0.0, "precision": p, "recall": r, "f1": f1}
    return {k: Interval(values[k], float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5)))
            for k, v in samples.items()}


def _fold_model(train: list[LabelledBlock], test: LabelledBlock, names: tuple[str, ...], c: float,
                adapter_data: AdapterData | None) -> tuple[PairModel, LabelledBlock]:
    """The pair model fitted on ``train`` and ``test`` with the features it reads."""
    if adapter_data is None:
        return fit_model(train, names, c), test
    model, adapter = fit_with_adapter(train, names, adapter_data, c)
    return model, with_adapter_column(test, adapter, adapter_data)


def held_out_predictions(block: LabelledBlock, p: np.ndarray,
                         proposed: np.ndarray) -> tuple[dict[tuple[str, str], float], list[tuple[str, str]]]:
    """A held-out block's scores ``p`` in both orientations (ranking queries read both) and its
    pairs where ``proposed`` holds."""
    scores: dict[tuple[str, str], float] = {}
    for (a, b), s in zip(block.pairs, p):
        scores[(a, b)] = scores[(b, a)] = float(s)
    return scores, [pq for pq, k in zip(block.pairs, proposed) if k]


def loco(data: list[LabelledBlock], gold: list[GoldPair], candidates: dict[str, list[str]],
         names: tuple[str, ...], c: float = 0.3, adapter_data: AdapterData | None = None) -> LocoReport:
    """Fit on every certification pair but one, score the held-out one; pool the predictions.
    With ``adapter_data``, the adapter too is fitted inside each fold (never on the held-out pair)."""
    folds = [b for b in data if b.y.any()]
    scores: dict[tuple[str, str], float] = {}
    predicted: list[tuple[str, str]] = []
    per_fold = {}
    for test in folds:
        train = [b for b in folds if b.key != test.key]
        if not train:
            continue
        model, scored = _fold_model(train, test, names, c, adapter_data)
        p = model.predict(scored.x)
        fold_scores, fold_pred = held_out_predictions(test, p, p >= model.partial_threshold)
        scores.update(fold_scores)
        predicted += fold_pred
        fold_gold = [g for g in gold if cert_pair(g.source, g.target) == test.key]
        per_fold[cert_pair_name(test.key)] = evaluate(fold_scores, candidates, fold_pred, fold_gold)
    tested = {b.key for b in folds}
    gold_in = [g for g in gold if cert_pair(g.source, g.target) in tested]
    return LocoReport(_bootstrap(scores, candidates, predicted, gold_in), per_fold, len(per_fold), len(gold_in))


def reference_provenance(paths: Iterable[str | Path]) -> dict[str, str]:
    out = {}
    for p in paths:
        p = Path(p)
        out[p.name] = hashlib.sha256(p.read_bytes()).hexdigest()[:16]
    return out


def fitted_on(gold: Iterable[GoldPair], artifact: Artifact) -> tuple[int, list[str]]:
    """How many of ``gold``'s pairs lie in certification pairs the artifact was fitted on, and which
    (« A↔B »): figures on those are in sample, however the file is named."""
    fitted = set(artifact.provenance.get("certification_pairs", []))
    hit: dict[str, int] = {}
    for g in gold:
        key = cert_pair_name(cert_pair(g.source, g.target))
        if key in fitted:
            hit[key] = hit.get(key, 0) + 1
    return sum(hit.values()), sorted(hit)


def evaluate_pairs(pairs: "pd.DataFrame", corpus: "Corpus", gold: Iterable[GoldPair]) -> Metrics:
    """Hits@1/3 and MRR from pair scores; P/R/F1 of the pairs whose relation is not "none" (in sample
    when the gold was used to fit the artifact: see :func:`loco` for honest figures)."""
    from crossref.evaluation import check_known

    gold = list(gold)
    check_known(gold, {c.id for cert in corpus for c in cert.competences}, " (manque-t-il --data ?)")
    scores = dict(zip(zip(pairs["source"], pairs["target"]), pairs["score"].astype(float)))
    candidates = {cert.id: [c.id for c in cert.competences] for cert in corpus}
    proposed = pairs[pairs["relation"] != "none"]
    return evaluate(scores, candidates, list(zip(proposed["source"], proposed["target"])), gold)
