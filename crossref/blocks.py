"""Stage: one certification pair at a time, from embeddings to pair features.

``certification_blocks`` yields a :class:`Block` per unordered certification
pair: the channel similarities, clause alignment and features of every pair
of its competences. The pair model, relations and rows are computed from it
(:mod:`crossref.pipeline`), and so is the calibration (:mod:`crossref.calibration`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

from crossref.features import BlockFeatures, adapter_similarity, block_features
from crossref.matching import (ChannelStats, best_clause_pairs, best_clause_pairs_at, clause_coverage, dot_block,
                               segment_starts)

if TYPE_CHECKING:
    from crossref.adapter import Adapter
    from crossref.config import MatchingConfig


@dataclass(frozen=True)
class Block:
    cert_a: str
    cert_b: str
    ia: np.ndarray            # corpus positions of A's competences (rows)
    ib: np.ndarray            # corpus positions of B's competences (columns)
    features: BlockFeatures
    parts: dict[str, np.ndarray]   # raw cosines shown to users: semantic, lexical, criteria
    clause_sims: np.ndarray   # (clauses of A) x (clauses of B), grouped by competence
    len_a: np.ndarray         # clauses per competence of A
    len_b: np.ndarray

    def best_clauses(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Best-aligned clause offsets (within each competence) of the pairs (x[n], y[n]) only."""
        return best_clause_pairs_at(self.clause_sims, self.len_a, self.len_b, x, y)

    @cached_property
    def _best_all(self) -> tuple[np.ndarray, np.ndarray]:
        return best_clause_pairs(self.clause_sims, self.len_a, self.len_b)

    @property
    def best_ci(self) -> np.ndarray:
        """Best-aligned clause of A's competence, per pair (every pair of the block)."""
        return self._best_all[0]

    @property
    def best_cj(self) -> np.ndarray:
        return self._best_all[1]


def certification_pairs(certs: np.ndarray) -> list[tuple[str, str]]:
    order = list(dict.fromkeys(certs.tolist()))
    return [(a, b) for n, a in enumerate(order) for b in order[n + 1:]]


def make_block(emb: Any, stats: dict[str, ChannelStats], mcfg: "MatchingConfig",
               certs: np.ndarray, a: str, b: str, clause_starts: np.ndarray,
               adapter: "Adapter | None" = None,
               members: tuple[np.ndarray, np.ndarray] | None = None) -> Block:
    """The block of certifications a (rows) and b (columns). ``adapter``: the calibration
    artifact's, whose model reads the adapter feature (None: no such feature; the calibration
    adds it inside each fold). ``members``: the competences' positions of a and b when the
    caller has them (else found in ``certs``)."""
    ia, ib = members if members is not None else (np.nonzero(certs == a)[0], np.nonzero(certs == b)[0])
    sims = {c: dot_block(x[ia], x[ib]) for c, x in emb.vectors.items()}
    masks = {c: p[ia][:, None] & p[ib][None, :] for c, p in emb.present.items() if not p.all()}
    ca = np.concatenate([np.arange(clause_starts[i], clause_starts[i] + emb.clause_lengths[i]) for i in ia])
    cb = np.concatenate([np.arange(clause_starts[j], clause_starts[j] + emb.clause_lengths[j]) for j in ib])
    csims = emb.clause_vectors[ca] @ emb.clause_vectors[cb].T
    len_a, len_b = emb.clause_lengths[ia], emb.clause_lengths[ib]
    a_cov_b, b_cov_a = clause_coverage(csims, len_a, len_b)
    sa, sb = segment_starts(len_a), segment_starts(len_b)
    clause_max = np.maximum.reduceat(np.maximum.reduceat(csims, sa, axis=0), sb, axis=1)
    titles = emb.bloc_title_vectors
    adapter_sims = None
    if adapter is not None:
        fa = adapter.transform({c: emb.vectors[c][ia] for c in adapter.channels})
        fb = adapter.transform({c: emb.vectors[c][ib] for c in adapter.channels})
        adapter_sims = adapter_similarity(fa, fb)
    feats = block_features(sims, emb.channels, stats, masks, a_cov_b, b_cov_a, clause_max,
                           emb.bloc_index[ia], emb.bloc_index[ib], titles[ia] @ titles[ib].T,
                           mcfg.hubness, mcfg.hubness_k, adapter_sims)
    parts = {k: np.clip(dot_block(v[ia], v[ib]), 0.0, 1.0) for k, v in emb.part_vectors.items()}
    return Block(a, b, ia, ib, feats, parts, csims, len_a, len_b)


def certification_blocks(emb: Any, stats: dict[str, ChannelStats], mcfg: "MatchingConfig",
                         certs: np.ndarray, only: set[frozenset[str]] | None = None,
                         adapter: "Adapter | None" = None) -> Iterator[Block]:
    """Every certification pair's block, in corpus order (``only``: a subset of pairs)."""
    clause_starts = segment_starts(emb.clause_lengths)
    for a, b in certification_pairs(certs):
        if only is None or frozenset((a, b)) in only:
            yield make_block(emb, stats, mcfg, certs, a, b, clause_starts, adapter)
