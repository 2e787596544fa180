"""The learned pair model: a regularised logistic regression on pair features.

A handful of coefficients (one per feature of :mod:`crossref.features`) is
all that is fitted, so the model transfers to certification pairs it never
saw far better than hand-set channel weights and thresholds did; it is fitted
and measured leave-one-certification-pair-out (:mod:`crossref.calibration`),
and stored with its provenance in the calibration artifact.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class PairModel:
    """p(listed | features) = sigmoid(((x - mean) / std) @ coef + intercept)."""

    names: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    # A pair is proposed from partial_threshold; equivalent from equivalent_threshold
    # when both sides are each other's best and the scopes are the same.
    partial_threshold: float = 0.5
    equivalent_threshold: float = 0.8
    extra: dict = field(default_factory=dict, compare=False)

    def logit(self, values: np.ndarray) -> np.ndarray:
        """Linear score of feature rows (..., n_features), features in ``names`` order."""
        x = (np.asarray(values, dtype=np.float64) - np.asarray(self.mean)) / np.asarray(self.std)
        return x @ np.asarray(self.coef) + self.intercept

    def predict(self, values: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logit(values)))

    def check_names(self, names: tuple[str, ...]) -> None:
        if tuple(names) != tuple(self.names):
            from crossref.errors import ConfigError

            raise ConfigError(
                "le modèle de paires a été ajusté sur d'autres caractéristiques que celles du calcul "
                f"({', '.join(self.names)} ≠ {', '.join(names)}) : recalibrez (crossref calibrate)")

    def to_dict(self) -> dict:
        return {"names": list(self.names), "mean": list(self.mean), "std": list(self.std),
                "coef": list(self.coef), "intercept": self.intercept,
                "partial_threshold": self.partial_threshold, "equivalent_threshold": self.equivalent_threshold}

    @classmethod
    def from_dict(cls, data: dict) -> "PairModel":
        return cls(tuple(data["names"]), tuple(float(v) for v in data["mean"]), tuple(float(v) for v in data["std"]),
                   tuple(float(v) for v in data["coef"]), float(data["intercept"]),
                   float(data["partial_threshold"]), float(data["equivalent_threshold"]))


def group_weights(groups: np.ndarray) -> np.ndarray:
    """Sample weights under which every group (certification pair) weighs the same in all."""
    _, inv, counts = np.unique(groups, return_inverse=True, return_counts=True)
    return (len(groups) / len(counts)) / counts[inv]


def fit_pair_model(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], c: float = 0.3,
                   groups: np.ndarray | None = None) -> PairModel:
    """Fit on feature rows ``x`` (n, f) and labels ``y`` (1 = listed in the reference).

    ``groups`` (one certification pair per row) weighs every certification
    pair equally, so a large one does not dictate the fit.
    """
    from sklearn.linear_model import LogisticRegression

    x = np.asarray(x, dtype=np.float64)
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std[std < 1e-9] = 1.0
    weights = None if groups is None else group_weights(groups)
    lr = LogisticRegression(C=c, max_iter=2000)
    lr.fit((x - mean) / std, np.asarray(y, dtype=int), sample_weight=weights)
    return PairModel(tuple(names), tuple(mean.tolist()), tuple(std.tolist()), tuple(lr.coef_[0].tolist()),
                     float(lr.intercept_[0]))
