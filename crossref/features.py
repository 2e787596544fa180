"""Pair features of one certification-pair block, as pure functions on arrays.

A block is every pair (competence x of A, competence y of B) of two
certifications. Each pair is described by a few numbers that a learned,
linear pair model (:mod:`crossref.pair_model`) turns into a probability that
an officer would list the pair as équivalente or partielle:

- the standardised channel similarities (one feature per channel) and their
  weighted, hubness-corrected combination;
- where the pair stands against each side's best (relative margins, ranks):
  one broad competence is often close to 2-4 narrow ones, so "close to the
  best" matters more than "is the best";
- clause coverage both ways (how much of each statement the other covers);
- structural evidence, as ontology matchers use: how strongly the two blocs
  match as a whole, and how similar their titles are.

Nothing here depends on certifications outside the block, so adding a
certification never changes the features (hence the scores) of the others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crossref.matching import ChannelStats, block_ranks, combine, hubness_correct

# Order matters: it is the column order of the learned model's coefficients.
BASE_FEATURES = (
    "hybrid",        # CSLS-corrected weighted mean of standardised channels
    "row_margin",    # hybrid - best hybrid of the source's row (<= 0)
    "col_margin",    # hybrid - best hybrid of the target's column (<= 0)
    "row_rr",        # 1 / rank of the target among the source's candidates
    "col_rr",        # 1 / rank of the source among the target's candidates
    "cov_max",       # max of the two clause coverages
    "cov_min",       # min of the two clause coverages
    "clause_max",    # best clause-to-clause cosine: one shared activity is a partial overlap
    "bloc_match",    # mean best-match hybrid between the two blocs (symmetrised), minus the block's mean
    "bloc_title",    # cosine of the two bloc titles
)
# Optional, after the channels' z: present when the calibration artifact holds a supervised
# adapter (crossref.adapter): the cosine of the adapted vectors, standardised within the block.
ADAPTER_FEATURE = "adapter"


def feature_names(channels: list[str] | tuple[str, ...], adapter: bool = False) -> tuple[str, ...]:
    # Sorted: a configuration read from JSON or TOML may list channels in another order.
    return BASE_FEATURES + tuple(f"z:{c}" for c in sorted(channels)) + ((ADAPTER_FEATURE,) if adapter else ())


@dataclass(frozen=True)
class BlockFeatures:
    """Features of every pair of a block (rows: A's competences, columns: B's)."""

    names: tuple[str, ...]
    values: np.ndarray        # (n_a, n_b, n_features), float64
    hybrid: np.ndarray        # (n_a, n_b)
    row_rank: np.ndarray
    col_rank: np.ndarray
    a_covers_b: np.ndarray
    b_covers_a: np.ndarray


def bloc_match(h: np.ndarray, bloc_a: np.ndarray, bloc_b: np.ndarray) -> np.ndarray:
    """(n_a, n_b): how well the bloc of x and the bloc of y match as wholes.

    For blocs P (of A) and Q (of B): the mean over P's competences of their
    best hybrid in Q, and the reverse, averaged; centred on the block's mean
    so that the feature says "these two blocs go together" whatever the level.
    """
    ua, inv_a = np.unique(bloc_a, return_inverse=True)
    ub, inv_b = np.unique(bloc_b, return_inverse=True)
    # Group rows and columns by bloc, then reduce each segment: no Python loop over bloc pairs
    # (it was a third of a block's time at registry sizes).
    oa, ob = np.argsort(inv_a, kind="stable"), np.argsort(inv_b, kind="stable")
    na, nb = np.bincount(inv_a, minlength=len(ua)), np.bincount(inv_b, minlength=len(ub))
    sa, sb = np.concatenate(([0], np.cumsum(na)[:-1])), np.concatenate(([0], np.cumsum(nb)[:-1]))
    g = h[oa][:, ob]
    row_best = np.maximum.reduceat(g, sb, axis=1)              # (n_a, blocs of B): x's best in Q
    col_best = np.maximum.reduceat(g, sa, axis=0)              # (blocs of A, n_b): y's best in P
    m = 0.5 * (np.add.reduceat(row_best, sa, axis=0) / na[:, None]
               + np.add.reduceat(col_best, sb, axis=1) / nb[None, :])
    m = m - m.mean()
    return m[inv_a][:, inv_b]


def block_features(sims: dict[str, np.ndarray], weights: dict[str, float], stats: dict[str, ChannelStats],
                   masks: dict[str, np.ndarray], a_covers_b: np.ndarray, b_covers_a: np.ndarray,
                   clause_max: np.ndarray, bloc_a: np.ndarray, bloc_b: np.ndarray, bloc_title_sims: np.ndarray,
                   hubness: float, hubness_k: int, adapter_sims: np.ndarray | None = None) -> BlockFeatures:
    """Every feature of :data:`BASE_FEATURES`, one standardised similarity per channel, and the
    adapter's similarity (:func:`adapter_similarity`) when given."""
    channels = sorted(weights)
    h = hubness_correct(combine(sims, weights, stats, masks), hubness_k, hubness)
    n_a, n_b = h.shape
    row_rank, col_rank = block_ranks(h)
    if h.size:
        row_margin = h - h.max(axis=1, keepdims=True)
        col_margin = h - h.max(axis=0, keepdims=True)
    else:
        row_margin = col_margin = h
    cols = [
        h, row_margin, col_margin, 1.0 / row_rank, 1.0 / col_rank,
        np.maximum(a_covers_b, b_covers_a), np.minimum(a_covers_b, b_covers_a), clause_max,
        bloc_match(h, bloc_a, bloc_b) if h.size else h,
        np.asarray(bloc_title_sims, dtype=np.float64),
    ]
    for c in channels:
        z = stats[c].z(sims[c]).astype(np.float64)
        if c in masks:  # no text on one side: the channel says nothing, not "dissimilar"
            z = np.where(masks[c], z, 0.0)
        cols.append(z)
    if adapter_sims is not None:
        cols.append(adapter_sims)
    values = np.stack([np.asarray(v, dtype=np.float64).reshape(n_a, n_b) for v in cols], axis=-1)
    return BlockFeatures(feature_names(channels, adapter_sims is not None), values, h, row_rank, col_rank,
                         a_covers_b, b_covers_a)



def adapted(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rows of ``x + (x @ a) @ b``, L2-normalised (a zero row stays zero)."""
    x = np.asarray(x, dtype=np.float64)
    z = x + (x @ a) @ b
    n = np.linalg.norm(z, axis=1, keepdims=True)
    return np.divide(z, n, out=np.zeros_like(z), where=n > 1e-12)


def adapter_similarity(fa: np.ndarray, fb: np.ndarray) -> np.ndarray:
    """(n_a, n_b) cosine of adapted vectors, standardised within the block: what transfers between
    certification pairs is which pairs stand out, not the level (it differs with the domains' distance)."""
    return standardised(np.asarray(fa, dtype=np.float64) @ np.asarray(fb, dtype=np.float64).T)


def standardised(s: np.ndarray) -> np.ndarray:
    """``s`` centred and scaled on its own mean and standard deviation (a constant block: centred only)."""
    if s.size == 0:
        return s
    sd = s.std()
    return (s - s.mean()) / (sd if sd > 1e-9 else 1.0)
