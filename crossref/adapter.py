"""A supervised adapter on frozen sentence vectors, learned from reference alignments.

The pretrained encoders (USE, e5) place two competences close when their
wording is close; an officer lists a pair when the activities overlap. A small
map learned from the reference pairs moves each competence's vectors towards
the competences officers pair it with:

    f(x) = normalise(x + (x @ A) @ B),   A: (d, r), B: (r, d), r small

where x is the concatenation of the L2-normalised vectors of a few channels.
It is fitted with a multi-positive InfoNCE loss inside each certification
pair's block (every competence that has a reference partner, against every
competence of the other certification: the same candidates the matcher ranks),
both ways, with AdamW from A = 0 (so f starts as the frozen encoder) and a few
hundred steps: few parameters relative to the data would not be needed if the
data were larger, and weight decay plus the short schedule keep it close to
the encoder. The cosine of f(x) and f(y), standardised within the block, is
one more feature of the pair model (:func:`crossref.features.adapter_similarity`);
its coefficient is fitted on out-of-fold adapter scores only
(:mod:`crossref.calibration`).

Only numpy: the gradient is written out (a test checks it against finite
differences). Each competence is mapped on its own with fixed, artifact-stored
matrices, so adding a certification never changes the others' scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from crossref.features import adapted


@dataclass(frozen=True)
class Adapter:
    """Fitted map over the concatenated channels ``channels`` (in this order)."""

    channels: tuple[str, ...]
    a: np.ndarray          # (d, r)
    b: np.ndarray          # (r, d)

    def transform(self, vectors: dict[str, np.ndarray]) -> np.ndarray:
        """(n, d) adapted, unit rows of every competence of ``vectors`` (channel -> (n, d_c))."""
        x = stack_channels(vectors, self.channels)
        if x.shape[1] != self.a.shape[0]:
            from crossref.errors import ConfigError

            raise ConfigError(f"l'adaptateur de la calibration attend des vecteurs de dimension {self.a.shape[0]} "
                              f"({' + '.join(self.channels)}), pas {x.shape[1]} : recalibrez (crossref calibrate)")
        return adapted(x, self.a, self.b)

    def to_dict(self) -> dict:
        """JSON-safe: the matrices as little-endian float32, base64 (one line each, not 28,000 numbers)."""
        return {"channels": list(self.channels), "dim": int(self.a.shape[0]), "rank": int(self.a.shape[1]),
                "encoding": MATRIX_ENCODING, "a": _encode(self.a), "b": _encode(self.b)}

    @classmethod
    def from_dict(cls, data: dict) -> "Adapter":
        if data.get("encoding") != MATRIX_ENCODING:
            raise ValueError(f"adapter : encodage {data.get('encoding')!r} (attendu {MATRIX_ENCODING})")
        d, r = int(data["dim"]), int(data["rank"])
        a, b = _decode(data["a"], (d, r)), _decode(data["b"], (r, d))
        if not (np.isfinite(a).all() and np.isfinite(b).all()):
            raise ValueError("adapter : valeur non finie")
        return cls(tuple(str(c) for c in data["channels"]), a, b)


MATRIX_ENCODING = "float32-le-base64"


def _encode(m: np.ndarray) -> str:
    import base64

    return base64.b64encode(np.ascontiguousarray(m, dtype="<f4").tobytes()).decode("ascii")


def _decode(text: str, shape: tuple[int, int]) -> np.ndarray:
    import base64
    import binascii

    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, AttributeError):
        raise ValueError("adapter : matrice illisible (base64 attendu)") from None
    if len(raw) != 4 * shape[0] * shape[1]:
        raise ValueError(f"adapter : matrice de {len(raw) // 4} valeurs, {shape[0]} × {shape[1]} attendues")
    return np.frombuffer(raw, dtype="<f4").reshape(shape).astype(np.float64)


def adapter_channels(channels: Sequence[str]) -> tuple[str, ...]:
    """The channels the adapter reads: the neural encoders on the statement ("text" view), sorted."""
    from crossref.matching import parse_channel

    return tuple(sorted(c for c in channels if parse_channel(c)[0] != "lexical" and parse_channel(c)[1] == "text"))


def stack_channels(vectors: dict[str, np.ndarray], channels: Sequence[str]) -> np.ndarray:
    """Concatenation of each channel's L2-normalised vectors, scaled so that the rows have unit norm
    (a zero vector stays zero: a competence without text in a view)."""
    parts = []
    for c in channels:
        x = np.asarray(vectors[c], dtype=np.float64)
        n = np.linalg.norm(x, axis=1, keepdims=True)
        parts.append(np.divide(x, n, out=np.zeros_like(x), where=n > 0))
    return np.concatenate(parts, axis=1) / np.sqrt(len(parts))


@dataclass(frozen=True)
class AdapterSettings:
    """The adapter's fitting choices. The defaults were first picked on a few leave-one-pair-out
    runs; ``benchmarks/adapter_selection.py`` measures how little the figures depend on them
    (a 3 x 3 x 3 grid) and what a nested choice (inner cross-validation inside each fold) gives."""

    rank: int = 16
    steps: int = 60
    weight_decay: float = 0.1
    # Weight of the référentiels' own paraphrase pairs (:func:`paraphrase_blocks`) against the
    # reference pairs' blocks (total weight 1); 0 leaves them out.
    paraphrase_weight: float = 0.2


@dataclass(frozen=True)
class AdapterBlock:
    """One certification pair's training data: corpus rows of each side and who is paired with whom."""

    rows: np.ndarray       # (n_a,) positions in the stacked vectors
    cols: np.ndarray       # (n_b,)
    labels: np.ndarray     # (n_a, n_b), 1 = listed in the reference


def _softmax_rows(s: np.ndarray) -> np.ndarray:
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _nce_rows(s: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Multi-positive InfoNCE over the rows of ``s`` that have a positive: loss and d loss / d s."""
    grad = np.zeros_like(s)
    keep = y.sum(axis=1) > 0
    if not keep.any():
        return 0.0, grad
    ss, yy = s[keep], y[keep]
    target = yy / yy.sum(axis=1, keepdims=True)
    logp = ss - ss.max(axis=1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(axis=1, keepdims=True))
    n = int(keep.sum())
    grad[keep] = (_softmax_rows(ss) - target) / n
    return float(-(logp * target).sum() / n), grad


def nce_loss(x: np.ndarray, a: np.ndarray, b: np.ndarray, blocks: Sequence[AdapterBlock],
             temperature: float, weights: Sequence[float] | None = None) -> tuple[float, np.ndarray, np.ndarray]:
    """Weighted sum over blocks (default: the mean) of the InfoNCE loss both ways, and its gradient
    in ``a`` and ``b``."""
    w = [1.0 / len(blocks)] * len(blocks) if weights is None else list(weights)
    z = x + (x @ a) @ b
    norm = np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
    u = z / norm
    du = np.zeros_like(u)
    loss = 0.0
    for blk, wk in zip(blocks, w, strict=True):
        ua, ub = u[blk.rows], u[blk.cols]
        s = ua @ ub.T / temperature
        y = blk.labels.astype(np.float64)
        l_row, g_row = _nce_rows(s, y)
        l_col, g_col = _nce_rows(s.T, y.T)
        g = wk * (g_row + g_col.T) / temperature
        loss += wk * (l_row + l_col)
        du[blk.rows] += g @ ub      # a competence appears once per block: no repeated index
        du[blk.cols] += g.T @ ua
    dz = (du - u * (u * du).sum(axis=1, keepdims=True)) / norm
    return loss, x.T @ (dz @ b.T), (x @ a).T @ dz


def fit_adapter(x: np.ndarray, blocks: Sequence[AdapterBlock], rank: int = 16, steps: int = 60,
                learning_rate: float = 3e-3, weight_decay: float = 0.1, temperature: float = 0.05,
                seed: int = 0, weights: Sequence[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """AdamW from A = 0, B small and random (seeded: the fit is deterministic): (A, B)."""
    from crossref.neighbours import one_blas_thread

    with one_blas_thread():
        return _fit(x, blocks, rank, steps, learning_rate, weight_decay, temperature, seed, weights)


def _fit(x, blocks, rank, steps, learning_rate, weight_decay, temperature, seed, weights):
    rng = np.random.default_rng(seed)
    d = x.shape[1]
    params = [np.zeros((d, rank)), 0.01 * rng.standard_normal((rank, d))]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for t in range(1, steps + 1):
        _, ga, gb = nce_loss(x, params[0], params[1], blocks, temperature, weights)
        for k, g in enumerate((ga, gb)):
            params[k] *= 1.0 - learning_rate * weight_decay
            m[k] = beta1 * m[k] + (1 - beta1) * g
            v[k] = beta2 * v[k] + (1 - beta2) * g * g
            step = learning_rate * (m[k] / (1 - beta1 ** t)) / (np.sqrt(v[k] / (1 - beta2 ** t)) + eps)
            params[k] -= step
    return params[0], params[1]


def paraphrase_blocks(certs: np.ndarray, blocs: Sequence[str], has_criteria: np.ndarray,
                      offset: int) -> tuple[list[AdapterBlock], np.ndarray, np.ndarray]:
    """Free, label-less training pairs inside each certification: a competence and its own critères,
    a competence and its bloc's title (each against the certification's other critères / titles).

    The critères and titles are extra rows placed after the ``offset`` competences: returns the
    blocks, the competence positions whose critères rows come next (in order), then one competence
    position per bloc whose title row follows (the title is embedded per competence)."""
    blocks: list[AdapterBlock] = []
    crit_rows: list[int] = []
    title_rows: list[int] = []
    blocs_arr = np.asarray(blocs, dtype=object)
    n = offset
    for cert in dict.fromkeys(certs.tolist()):
        idx = np.nonzero((certs == cert) & has_criteria)[0]
        if len(idx) >= 2:
            blocks.append(AdapterBlock(idx, np.arange(n, n + len(idx)), np.eye(len(idx))))
            crit_rows += idx.tolist()
            n += len(idx)
    for cert in dict.fromkeys(certs.tolist()):
        idx = np.nonzero(certs == cert)[0]
        titles = list(dict.fromkeys(blocs_arr[idx].tolist()))
        if len(titles) >= 2:
            labels = np.array([[blocs_arr[i] == t for t in titles] for i in idx], dtype=float)
            blocks.append(AdapterBlock(idx, np.arange(n, n + len(titles)), labels))
            title_rows += [int(idx[blocs_arr[idx].tolist().index(t)]) for t in titles]
            n += len(titles)
    return blocks, np.array(crit_rows, dtype=np.int64), np.array(title_rows, dtype=np.int64)
