"""Stage: one certification pair at a time, from embeddings to pair features.

``certification_blocks`` yields a :class:`Block` per unordered certification
pair: the channel similarities, clause alignment and features of every pair
of its competences. The pair model, relations and rows are computed from it
(:mod:`crossref.pipeline`), and so is the calibration (:mod:`crossref.calibration`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from itertools import groupby
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

from crossref.features import BlockFeatures, block_features, standardised
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


@dataclass(frozen=True)
class CertRows:
    """What a block reads of one certification's competences, sliced once per certification
    (a certification takes part in many blocks: slicing the lexical matrix, gathering clause
    rows and applying the adapter per block cost most of a block's time at registry sizes)."""

    members: np.ndarray               # corpus positions
    vectors: dict[str, Any]           # channel -> rows (dense, or CSR for the lexical channel)
    present: dict[str, np.ndarray]    # channels with texts missing somewhere in the corpus only
    clauses: np.ndarray               # clause vectors of its competences, competence after competence
    clause_lengths: np.ndarray
    bloc_index: np.ndarray
    bloc_titles: np.ndarray
    parts: dict[str, Any]
    adapted: np.ndarray | None        # the adapter's mapped vectors (None: no adapter)


def cert_rows(emb: Any, members: np.ndarray, clause_starts: np.ndarray,
              adapter: "Adapter | None" = None) -> CertRows:
    lengths = emb.clause_lengths[members]
    ca = (np.concatenate([np.arange(clause_starts[i], clause_starts[i] + emb.clause_lengths[i]) for i in members])
          if len(members) else np.zeros(0, dtype=np.int64))
    # The adapter maps each competence on its own, so mapping a certification's rows is exact.
    fa = adapter.transform({c: emb.vectors[c][members] for c in adapter.channels}) if adapter is not None else None
    return CertRows(members, {c: x[members] for c, x in emb.vectors.items()},
                    {c: p[members] for c, p in emb.present.items() if not p.all()},
                    emb.clause_vectors[ca], lengths, emb.bloc_index[members], emb.bloc_title_vectors[members],
                    {k: v[members] for k, v in emb.part_vectors.items()}, fa)


def make_block(emb: Any, stats: dict[str, ChannelStats], mcfg: "MatchingConfig",
               certs: np.ndarray, a: str, b: str, clause_starts: np.ndarray,
               adapter: "Adapter | None" = None,
               members: tuple[np.ndarray, np.ndarray] | None = None) -> Block:
    """The block of certifications a (rows) and b (columns). ``adapter``: the calibration
    artifact's, whose model reads the adapter feature (None: no such feature; the calibration
    adds it inside each fold). ``members``: the competences' positions of a and b when the
    caller has them (else found in ``certs``)."""
    ia, ib = members if members is not None else (np.nonzero(certs == a)[0], np.nonzero(certs == b)[0])
    rb = cert_rows(emb, ib, clause_starts, adapter)
    return next(blocks_against(cert_rows(emb, ia, clause_starts, adapter), [(b, rb)], a, emb.channels, stats, mcfg))


# Partners whose products are computed together: bounds the stacked columns' memory.
STACK_COLUMNS = 2048


def blocks_against(ra: CertRows, partners: list[tuple[str, CertRows]], a: str, weights: dict[str, float],
                   stats: dict[str, ChannelStats], mcfg: "MatchingConfig") -> Iterator[Block]:
    """The blocks of ``a`` against each partner (id, rows), in order. The similarity products are
    computed against the partners' stacked rows, one call per channel for several blocks: the
    fixed cost of a small (sparse) product was most of a block's time at registry sizes."""
    chunk: list[tuple[str, CertRows]] = []
    width = 0
    for n, (b, rb) in enumerate(partners):
        chunk.append((b, rb))
        width += len(rb.members)
        if width >= STACK_COLUMNS or n == len(partners) - 1:
            yield from _chunk_blocks(ra, chunk, a, weights, stats, mcfg)
            chunk, width = [], 0


def _stack(parts: list[Any]) -> Any:
    if len(parts) == 1:
        return parts[0]
    if hasattr(parts[0], "tocsr"):
        from scipy import sparse

        return sparse.vstack(parts, format="csr")
    return np.concatenate(parts)


def _chunk_blocks(ra: CertRows, chunk: list[tuple[str, CertRows]], a: str, weights: dict[str, float],
                  stats: dict[str, ChannelStats], mcfg: "MatchingConfig") -> Iterator[Block]:
    rbs = [rb for _, rb in chunk]
    sims = {c: dot_block(x, _stack([rb.vectors[c] for rb in rbs])) for c, x in ra.vectors.items()}
    parts = {k: np.clip(dot_block(v, _stack([rb.parts[k] for rb in rbs])), 0.0, 1.0) for k, v in ra.parts.items()}
    csims = dot_block(ra.clauses, _stack([rb.clauses for rb in rbs]))
    # float32 like the other products, so a cell's value does not depend on the stacked partners.
    raw_adapter = (dot_block(ra.adapted, _stack([rb.adapted for rb in rbs])).astype(np.float64)
                   if ra.adapted is not None else None)
    title_sims = dot_block(ra.bloc_titles, _stack([rb.bloc_titles for rb in rbs]))
    len_a, sa = ra.clause_lengths, segment_starts(ra.clause_lengths)
    col = cl = 0
    for b, rb in chunk:
        cols = slice(col, col + len(rb.members))
        n_clauses = int(rb.clause_lengths.sum())
        # Contiguous copies: numpy's sums (means, deviations) round by memory layout.
        block_csims = np.ascontiguousarray(csims[:, cl:cl + n_clauses])
        col, cl = cols.stop, cl + n_clauses
        len_b = rb.clause_lengths
        a_cov_b, b_cov_a = clause_coverage(block_csims, len_a, len_b)
        clause_max = np.maximum.reduceat(np.maximum.reduceat(block_csims, sa, axis=0), segment_starts(len_b), axis=1)
        masks = {c: p[:, None] & rb.present[c][None, :] for c, p in ra.present.items()}
        feats = block_features({c: _part(s, cols) for c, s in sims.items()}, weights, stats, masks, a_cov_b,
                               b_cov_a, clause_max, ra.bloc_index, rb.bloc_index, _part(title_sims, cols),
                               mcfg.hubness, mcfg.hubness_k,
                               standardised(_part(raw_adapter, cols)) if raw_adapter is not None else None)
        yield Block(a, b, ra.members, rb.members, feats, {k: _part(v, cols) for k, v in parts.items()},
                    block_csims, len_a, len_b)


def _part(x: np.ndarray, cols: slice) -> np.ndarray:
    """One block's columns of a stacked product, as a contiguous array."""
    return np.ascontiguousarray(x[:, cols])


def certification_blocks(emb: Any, stats: dict[str, ChannelStats], mcfg: "MatchingConfig",
                         certs: np.ndarray, only: set[frozenset[str]] | None = None,
                         adapter: "Adapter | None" = None,
                         pairs: list[tuple[str, str]] | None = None) -> Iterator[Block]:
    """Every certification pair's block, in corpus order (``only``: a subset of pairs; ``pairs``:
    exactly these (A, B) pairs, grouped by A). Each certification's rows are sliced once, and A's
    blocks are computed together (:func:`blocks_against`)."""
    clause_starts = segment_starts(emb.clause_lengths)
    rows: dict[str, CertRows] = {}

    def of(c: str) -> CertRows:
        if c not in rows:
            rows[c] = cert_rows(emb, np.nonzero(certs == c)[0], clause_starts, adapter)
        return rows[c]

    if pairs is None:
        pairs = [(a, b) for a, b in certification_pairs(certs) if only is None or frozenset((a, b)) in only]
    for a, group in groupby(pairs, key=lambda p: p[0]):
        yield from blocks_against(of(a), [(b, of(b)) for _, b in group], a, emb.channels, stats, mcfg)
