"""Pair scoring as pure functions on arrays: no model, no I/O.

A competence is seen through several *views* (title + statement, the same with
its own critères, the core clause of its statement); each (backend, view)
*channel* gives a cosine similarity matrix. Channels are standardised with
corpus-wide statistics (the backends' cosine scales differ a lot: e5 bunches in
0.8–0.9, TF-IDF in 0–0.3), averaged with the config's weights, corrected for
hubness (CSLS local scaling), and mapped to a [0, 1] score by a calibrated
logistic. Relations follow from the score and the mutual ranks; direction from
clause-level coverage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

# ---------------------------------------------------------------- clauses

# French statements read "verbe + objet, en + gérondif…, afin de + finalité":
# cut before gerunds, purpose and framing clauses, and at sentence marks.
_CLAUSE_SPLIT = re.compile(
    r"(?:[,;:])?\s+(?=(?:en|tout\s+en)\s+[a-zà-ÿœ’']+ant\b)"
    r"|(?:,\s*|\s+)(?=(?:afin\s+d|pour\s+|permettant\s+d|dans\s+le\s+(?:respect|cadre)\b"
    r"|de\s+mani[eè]re\s+[àa]|de\s+fa[cç]on\s+[àa]|en\s+vue\s+d))"
    r"|;\s*|\.\s+|\n+",
    re.IGNORECASE,
)
MIN_CLAUSE_CHARS = 12


def split_clauses(statement: str) -> list[str]:
    """The statement's clauses in order (the whole statement if it has none)."""
    parts = [p.strip(" ,.;:\t") for p in _CLAUSE_SPLIT.split(statement or "")]
    parts = [p for p in parts if len(p) >= MIN_CLAUSE_CHARS]
    return parts or [(statement or "").strip()]


def strip_shared_prefixes(statements: list[str], min_words: int = 3) -> list[str]:
    """Each statement without the heading it shares word for word with a sibling of its bloc.

    Some référentiels repeat a heading in every statement of a bloc (« Culture
    générale et expression — Appréhender et réaliser un message écrit : … »):
    like critères shared by a whole bloc, it makes all its competences look
    alike. A heading is the longest word prefix shared with a sibling (at least
    ``min_words`` words) up to its last separator (« : » or « — »); a common
    opening verb (« Mettre en œuvre… ») is not a heading and is kept.
    """
    words = [(st or "").split() for st in statements]
    out = []
    for n, w in enumerate(words):
        shared = 0
        for m, other in enumerate(words):
            if m != n:
                k = 0
                while k < min(len(w), len(other)) and w[k] == other[k]:
                    k += 1
                shared = max(shared, k)
        cut = max((k + 1 for k in range(shared) if w[k] in (":", "—", "–") or w[k].endswith(":")), default=0)
        rest = " ".join(w[cut:]).lstrip(" :—–-,;.")
        out.append(rest if cut >= min_words and len(rest) >= MIN_CLAUSE_CHARS else statements[n])
    return out


def core_clause(statement: str) -> str:
    """The core action ("verbe + objet"): the first clause."""
    return split_clauses(statement)[0]


# ---------------------------------------------------------------- channels


def parse_channel(channel: str) -> tuple[str, str]:
    """"backend:view" -> (backend, view)."""
    backend, _, view = channel.partition(":")
    return backend, view or "text"


@dataclass(frozen=True)
class ChannelStats:
    """Mean and standard deviation of a channel's cross-certification cosines."""

    mean: float
    std: float

    def z(self, sims: np.ndarray) -> np.ndarray:
        return (sims - self.mean) / max(self.std, 1e-6)


def sample_pairs(groups: np.ndarray, max_pairs: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices (i, j) of pairs from different groups: all of them if few, else a seeded sample."""
    n = len(groups)
    total = n * n - int(np.sum(np.unique(groups, return_counts=True)[1].astype(np.int64) ** 2))
    if total <= max_pairs:
        i, j = np.nonzero(groups[:, None] != groups[None, :])
        return i, j
    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, size=max_pairs * 2)
    j = rng.integers(0, n, size=max_pairs * 2)
    keep = groups[i] != groups[j]
    return i[keep][:max_pairs], j[keep][:max_pairs]


def channel_stats(x: np.ndarray, i: np.ndarray, j: np.ndarray) -> ChannelStats:
    """Statistics of row-wise dot products x[i]·x[j] (x L2-normalised; dense or CSR)."""
    if hasattr(x, "multiply"):  # scipy sparse
        sims = np.asarray(x[i].multiply(x[j]).sum(axis=1)).ravel()
    else:
        sims = np.einsum("ij,ij->i", x[i], x[j])
    if len(sims) == 0:
        return ChannelStats(0.0, 1.0)
    return ChannelStats(float(np.mean(sims)), float(np.std(sims)) or 1.0)


def dot_block(a, b) -> np.ndarray:
    """Dense cosine block a @ b.T for dense or sparse unit rows, as float32.

    Dense products are summed in float64: BLAS sums float32 in an order that depends on the
    matrices' shapes (a row vector, a small block, a large one), and the blocks of one
    certification pair are computed against one or several partners at once; rounded from
    float64, a cell's value does not depend on what it was computed with."""
    if hasattr(a, "tocsr"):  # sparse: each cell sums its shared terms in one fixed order
        s = a @ b.T
        return np.asarray(s.todense() if hasattr(s, "todense") else s, dtype=np.float32)
    return (np.asarray(a, dtype=np.float64) @ np.asarray(b, dtype=np.float64).T).astype(np.float32)


def combine(sims: dict[str, np.ndarray], weights: dict[str, float],
            stats: dict[str, ChannelStats], masks: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Weighted mean of standardised channel similarities.

    ``masks[c]`` (optional, boolean like the block) says where channel c has
    text on both sides; elsewhere it is left out and the other channels'
    weights are renormalised, so a competence without own critères is neither
    rewarded nor penalised by the critères channel.
    """
    total = sum(weights[c] for c in sims)
    if total <= 0:
        raise ValueError("channel weights must sum to a positive number")
    masks = masks or {}
    num: np.ndarray | None = None
    den: np.ndarray | None = None
    for c, s in sims.items():
        w = np.full(s.shape, weights[c], dtype=np.float64)
        if c in masks:
            w = w * masks[c]
        part = stats[c].z(s) * w
        num = part if num is None else num + part
        den = w if den is None else den + w
    assert num is not None and den is not None  # sims is not empty: its weights sum to more than 0
    if np.any(den <= 0):
        raise ValueError("no channel with text on both sides for some pair")
    return num / den


def hubness_correct(z: np.ndarray, k: int, strength: float) -> np.ndarray:
    """CSLS local scaling on one certification-pair block.

    A competence that is close to everything (a "hub": "suivre les actions")
    has a high mean similarity to its k nearest neighbours on the other side;
    subtracting half of both sides' neighbourhood densities demotes hubs.
    ``strength`` 0 leaves scores unchanged, 1 is plain CSLS.
    """
    if strength == 0 or z.size == 0:
        return z
    ka = min(k, z.shape[1])
    kb = min(k, z.shape[0])
    ra = np.sort(z, axis=1)[:, -ka:].mean(axis=1)
    rb = np.sort(z, axis=0)[-kb:, :].mean(axis=0)
    # Centre the densities so the correction reshapes scores without shifting their level.
    ra = ra - ra.mean()
    rb = rb - rb.mean()
    return z - strength * 0.5 * (ra[:, None] + rb[None, :])


def calibrate(h: np.ndarray, center: float, scale: float) -> np.ndarray:
    """Logistic map of a standardised score to [0, 1] (center/scale fitted on the dev alignment)."""
    return 1.0 / (1.0 + np.exp(-(h - center) / max(scale, 1e-6)))


def block_ranks(score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rank (1 = best) of each column within its row, and of each row within its column.

    Ties are broken by position, so ranks are a permutation per row / column.
    """
    row = np.empty(score.shape, dtype=np.int64)
    col = np.empty(score.shape, dtype=np.int64)
    if score.size:
        row_order = np.argsort(-score, axis=1, kind="stable")
        np.put_along_axis(row, row_order, np.arange(1, score.shape[1] + 1)[None, :].repeat(score.shape[0], 0), 1)
        col_order = np.argsort(-score, axis=0, kind="stable")
        np.put_along_axis(col, col_order, np.arange(1, score.shape[0] + 1)[:, None].repeat(score.shape[1], 1), 0)
    return row, col


# ---------------------------------------------------------------- clause alignment


def segment_starts(lengths: list[int] | np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)


def clause_coverage(clause_sims: np.ndarray, len_a: np.ndarray, len_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How much of each side is covered by the other, from clause-to-clause similarities.

    ``clause_sims`` is (clauses of A) × (clauses of B), rows grouped by
    competence of A (``len_a`` clauses each), columns by competence of B.
    Returns ``(a_covers_b, b_covers_a)``, each (n_a, n_b): the mean over one
    side's clauses of their best match on the other side.
    """
    sa, sb = segment_starts(len_a), segment_starts(len_b)
    len_a = np.asarray(len_a, dtype=np.float32)
    len_b = np.asarray(len_b, dtype=np.float32)
    best_in_a = np.maximum.reduceat(clause_sims, sa, axis=0)  # (n_a, clauses of B)
    a_covers_b = np.add.reduceat(best_in_a, sb, axis=1) / len_b[None, :]
    best_in_b = np.maximum.reduceat(clause_sims, sb, axis=1)  # (clauses of A, n_b)
    b_covers_a = np.add.reduceat(best_in_b, sa, axis=0) / len_a[:, None]
    return a_covers_b, b_covers_a


def directions(a_covers_b: np.ndarray, b_covers_a: np.ndarray, margin: float) -> np.ndarray:
    """Scope of A's competence relative to B's: "broader", "narrower" or "same"."""
    diff = a_covers_b - b_covers_a
    out = np.full(diff.shape, "same", dtype=object)
    out[diff > margin] = "broader"
    out[diff < -margin] = "narrower"
    return out


def best_clause_pairs(clause_sims: np.ndarray, len_a: np.ndarray, len_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Offsets (within each competence) of the best-aligned clause pair of every competence pair.

    Same layout as :func:`clause_coverage`; returns ``(ci, cj)``, each (n_a, n_b):
    clause ``ci[x, y]`` of A's competence x and clause ``cj[x, y]`` of B's competence y.
    """
    sa, sb = segment_starts(len_a), segment_starts(len_b)
    # Per A-clause, its best similarity inside each B competence; then the best A-clause.
    best_in_b = np.maximum.reduceat(clause_sims, sb, axis=1)  # (clauses of A, n_b)
    ci = np.empty((len(sa), len(sb)), dtype=np.int64)
    cj = np.empty((len(sa), len(sb)), dtype=np.int64)
    for x, (start, n) in enumerate(zip(sa, len_a)):
        ci[x] = np.argmax(best_in_b[start:start + n], axis=0)
        rows = clause_sims[start + ci[x]]  # the chosen A-clause's row, one per B competence
        for y, (bstart, m) in enumerate(zip(sb, len_b)):
            cj[x, y] = np.argmax(rows[y, bstart:bstart + m])
    return ci, cj


def best_clause_pairs_at(clause_sims: np.ndarray, len_a: np.ndarray, len_b: np.ndarray,
                         x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`best_clause_pairs` for the competence pairs ``(x[n], y[n])`` only, in array operations
    (the same offsets, ties to the first clause): a block's kept pairs, not all of them."""
    x, y = np.asarray(x, dtype=np.int64), np.asarray(y, dtype=np.int64)
    len_a, len_b = np.asarray(len_a, dtype=np.int64), np.asarray(len_b, dtype=np.int64)
    if not len(x):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    sa, sb = segment_starts(len_a), segment_starts(len_b)
    best_in_b = np.maximum.reduceat(clause_sims, sb, axis=1)  # (clauses of A, n_b)
    ka = np.arange(int(len_a[x].max()))
    rows = sa[x][:, None] + ka[None, :]
    valid = ka[None, :] < len_a[x][:, None]
    vals = np.where(valid, best_in_b[np.where(valid, rows, 0), y[:, None]], -np.inf)
    ci = np.argmax(vals, axis=1)
    kb = np.arange(int(len_b[y].max()))
    cols = sb[y][:, None] + kb[None, :]
    valid = kb[None, :] < len_b[y][:, None]
    vals = np.where(valid, clause_sims[(sa[x] + ci)[:, None], np.where(valid, cols, 0)], -np.inf)
    return ci, np.argmax(vals, axis=1)


# ---------------------------------------------------------------- relations


def relations(score: np.ndarray, row_rank: np.ndarray, col_rank: np.ndarray, direction: np.ndarray,
              partial_threshold: float, equivalent_threshold: float) -> np.ndarray:
    """"equivalent", "partial" or "none" for every pair of a block.

    Every pair whose score clears the partial threshold is proposed, however
    many a competence has (one broad competence often overlaps 2-4 narrow
    ones: the pair model already weighs how close each is to the best); it is
    equivalent when it also clears the equivalent threshold, each is the
    other's best match and the scopes are the same.
    """
    out = np.full(score.shape, "none", dtype=object)
    proposed = score >= partial_threshold
    out[proposed] = "partial"
    equivalent = (proposed & (score >= equivalent_threshold) & (row_rank == 1) & (col_rank == 1)
                  & (direction == "same"))
    out[equivalent] = "equivalent"
    return out
