"""Stage 3: scored pairs, one certification pair (block) at a time.

For each block (:mod:`crossref.blocks`), the calibrated pair model gives a
score per pair, :func:`crossref.matching.relations` the relation, clause
coverage the direction. A small corpus (at most ``matching.max_block_pairs``
pairs of competences of different certifications) keeps every pair. Beyond,
the candidate stage (:mod:`crossref.pair_candidates`) gives every competence's
``top_k`` nearest competences of other certifications; every block is scored
while there are at most ``matching.max_scored_blocks`` of them, beyond only the
blocks that hold a candidate or a reviewed pair (densely: a pair's features
depend on its whole block), and rows are kept for the candidates, the
proposed pairs and the reviewed pairs: O(N·k) rows, each exactly as exhaustive
scoring gives it. Rows come in both orientations and are built with array
operations; the explanation sentence is derived from the row's columns when
shown or exported (:func:`fill_explanations`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import pandas as pd

from crossref.config import Config
from crossref.corpus_views import CompetenceViews
from crossref.embeddings import Embeddings

_DIRECTION_FLIP = {"same": "same", "broader": "narrower", "narrower": "broader"}
MAX_SHARED_TERMS = 8
_PART_NAMES = ("semantic", "lexical", "criteria")


def block_directions(block, margin: float) -> np.ndarray:
    from crossref.matching import directions

    return directions(block.features.a_covers_b, block.features.b_covers_a, margin)


@dataclass
class _Kept:
    """The kept cells of the scored blocks, one orientation (A = rows), as arrays per block."""

    i: list[np.ndarray] = field(default_factory=list)
    j: list[np.ndarray] = field(default_factory=list)
    score: list[np.ndarray] = field(default_factory=list)
    parts: dict[str, list[np.ndarray]] = field(default_factory=lambda: {k: [] for k in _PART_NAMES})
    row_rank: list[np.ndarray] = field(default_factory=list)
    col_rank: list[np.ndarray] = field(default_factory=list)
    relation: list[np.ndarray] = field(default_factory=list)
    direction: list[np.ndarray] = field(default_factory=list)
    clause_i: list[np.ndarray] = field(default_factory=list)  # global clause index of A's aligned passage
    clause_j: list[np.ndarray] = field(default_factory=list)

    def add(self, block, model, mcfg, wanted: np.ndarray | None, clause_starts: np.ndarray,
            keep_proposed: bool = True) -> None:
        """Score ``block`` and keep every cell (``wanted`` None), or the wanted cells and, with
        ``keep_proposed``, the proposed ones."""
        from crossref.matching import block_ranks, relations

        score = model.predict(block.features.values)
        row_rank, col_rank = block_ranks(score)
        direction = block_directions(block, mcfg.direction_margin)
        relation = relations(score, row_rank, col_rank, direction, model.partial_threshold,
                             model.equivalent_threshold)
        if wanted is None:
            kept = np.ones(score.shape, dtype=bool)
        else:
            kept = (wanted | (relation != "none")) if keep_proposed else wanted
        x, y = np.nonzero(kept)
        ci, cj = block.best_clauses(x, y)
        i, j = block.ia[x], block.ib[y]
        self.i.append(i)
        self.j.append(j)
        self.score.append(score[x, y].astype(np.float64))
        for k in _PART_NAMES:
            self.parts[k].append(block.parts[k][x, y].astype(np.float64))
        self.row_rank.append(row_rank[x, y])
        self.col_rank.append(col_rank[x, y])
        self.relation.append(relation[x, y])
        self.direction.append(direction[x, y])
        self.clause_i.append(clause_starts[i] + ci)
        self.clause_j.append(clause_starts[j] + cj)


def _cat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)


def _shared_terms(terms: list, src: np.ndarray, tgt: np.ndarray) -> list[str]:
    """« ; »-separated content words the source shares with the target (source order, at most 8)."""
    out = []
    for s, t in zip(src.tolist(), tgt.tolist()):
        keys_t = terms[t][1]
        out.append("; ".join([surf for key, surf in terms[s][0] if key in keys_t][:MAX_SHARED_TERMS]))
    return out


def _twice(a: np.ndarray, order: np.ndarray) -> np.ndarray:
    """A value that is the same in both orientations, in the frame's row order."""
    return np.concatenate([a, a])[order]


def _frame(info: CompetenceViews, emb: Embeddings, kept: _Kept) -> pd.DataFrame:
    """Both orientations of the kept cells, sorted by (source, target) corpus position."""
    from crossref.tables import PAIR_COLUMNS

    i, j = _cat(kept.i, np.int64), _cat(kept.j, np.int64)
    src, tgt = np.concatenate([i, j]), np.concatenate([j, i])
    order = np.lexsort((tgt, src))
    src, tgt = src[order], tgt[order]
    direction = _cat(kept.direction, object)
    flipped = pd.Series(direction, dtype=object).map(_DIRECTION_FLIP).to_numpy(dtype=object)
    clauses = np.array(info.all_clauses() or [""], dtype=object)
    ci, cj = _cat(kept.clause_i, np.int64), _cat(kept.clause_j, np.int64)
    ids = np.array(info.ids, dtype=object)
    certs = np.array([str(c) for c in info.certs], dtype=object)
    blocs = np.array(info.blocs, dtype=object)
    relation = _twice(_cat(kept.relation, object), order)
    n = len(src)
    empty = np.full(n, "", dtype=object)
    data = {
        "source": ids[src], "target": ids[tgt], "source_cert": certs[src], "target_cert": certs[tgt],
        "source_bloc": blocs[src], "target_bloc": blocs[tgt], "score": _twice(_cat(kept.score, np.float64), order),
        **{k: _twice(_cat(kept.parts[k], np.float64), order) for k in _PART_NAMES},
        "rank": np.concatenate([_cat(kept.row_rank, np.int64), _cat(kept.col_rank, np.int64)])[order],
        "relation": relation, "direction": np.concatenate([direction, flipped])[order],
        "model_relation": relation.copy(), "status": np.full(n, "suggested", dtype=object),
        "reviewer": empty, "decided_at": empty.copy(), "note": empty.copy(),
        "source_phrase": clauses[np.concatenate([ci, cj])[order]] if n else empty,
        "target_phrase": clauses[np.concatenate([cj, ci])[order]] if n else empty,
        "shared_terms": np.array(_shared_terms(emb.terms, src, tgt), dtype=object) if n else empty,
        "explanation": empty.copy(),
    }
    return pd.DataFrame(data, columns=PAIR_COLUMNS)


def cross_pair_count(certs: np.ndarray) -> int:
    """Unordered pairs of competences of different certifications."""
    sizes = np.unique(np.asarray(certs), return_counts=True)[1].astype(np.int64)
    return int((sizes.sum() ** 2 - (sizes ** 2).sum()) // 2)


def _wanted_by_block(certs: np.ndarray, i: np.ndarray, j: np.ndarray) -> dict[tuple[int, int], tuple]:
    """Candidate pairs grouped by certification pair: (code of A, code of B) -> (i in A, j in B),
    A before B in corpus order."""
    _, first, codes = np.unique(certs, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first))[codes]  # certification number in corpus order
    swap = rank[i] > rank[j]
    i, j = np.where(swap, j, i), np.where(swap, i, j)
    ra, rb = rank[i], rank[j]
    order = np.lexsort((j, i, rb, ra))
    i, j, ra, rb = i[order], j[order], ra[order], rb[order]
    cut = np.flatnonzero((np.diff(ra) != 0) | (np.diff(rb) != 0)) + 1
    return {(int(a[0]), int(b[0])): (si, sj) for a, b, si, sj in
            zip(np.split(ra, cut), np.split(rb, cut), np.split(i, cut), np.split(j, cut)) if len(a)}


def reviewed_positions(info: CompetenceViews, reviewed: Iterable[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    """Positions of reviewed pairs (source, target ids) of known competences of different certifications."""
    position = info.positions()
    found = [(position[s], position[t]) for s, t in reviewed if s in position and t in position]
    found = [(a, b) for a, b in found if info.certs[a] != info.certs[b]]
    i = np.array([a for a, _ in found], dtype=np.int64)
    return i, np.array([b for _, b in found], dtype=np.int64)


def score_pairs(info: CompetenceViews, emb: Embeddings, config: Config, artifact, *,
                reviewed: Iterable[tuple[str, str]] = (), exhaustive: bool | None = None,
                only: Iterable[tuple[str, str]] | None = None) -> pd.DataFrame:
    """The model's pairs table (no decisions applied), one certification pair at a time.

    ``exhaustive``: keep every pair (default: when the corpus has at most
    ``matching.max_block_pairs`` cross-certification pairs), else candidates, proposed
    and ``reviewed`` pairs. ``only``: score the blocks of these pairs (ids) and keep
    exactly their rows (a reviewed pair the table lacks)."""
    from crossref.pair_candidates import candidate_pairs

    mcfg = config.matching
    certs = info.certs
    if only is not None:
        i, j = reviewed_positions(info, only)
        keep_proposed = False
    else:
        if exhaustive is None:
            exhaustive = cross_pair_count(certs) <= mcfg.max_block_pairs
        if exhaustive:
            return _score_blocks(info, emb, artifact, mcfg, None)
        i, j = candidate_pairs(emb, artifact.channels, certs, mcfg.top_k)
        ri, rj = reviewed_positions(info, reviewed)
        i, j = np.concatenate([i, ri]), np.concatenate([j, rj])
        keep_proposed = True
    wanted = _wanted_by_block(certs, i, j)
    if only is None:
        wanted = _with_every_block(certs, wanted, mcfg.max_scored_blocks)
    return _score_blocks(info, emb, artifact, mcfg, wanted, keep_proposed)


def _with_every_block(certs: np.ndarray, wanted: dict[tuple[int, int], tuple],
                      limit: int) -> dict[tuple[int, int], tuple]:
    """``wanted`` with every certification pair (no wanted cell in those it lacked) when there are
    at most ``limit`` of them: a block without a candidate may still hold a proposed pair."""
    n = len(np.unique(certs))
    if n * (n - 1) // 2 > limit:
        return wanted
    empty = np.zeros(0, dtype=np.int64)
    return {(x, y): wanted.get((x, y), (empty, empty)) for x in range(n) for y in range(x + 1, n)}


# Channels wider than this (the lexical TF-IDF: ~13,000 n-grams, a few hundred per text) are
# multiplied as sparse matrices: a dense block product of that width cost 9 ms, 80 % of the
# scoring time at 1,500 competences.
SPARSE_WIDTH = 4096


def sparse_wide(emb: Embeddings) -> Embeddings:
    """``emb`` with its wide (lexical) matrices as CSR: the same cosines up to float rounding
    (~1e-7), at a fraction of the cost of a dense block product."""
    from dataclasses import replace

    from scipy import sparse

    def conv(x: Any) -> Any:
        if isinstance(x, np.ndarray) and x.ndim == 2 and x.shape[1] > SPARSE_WIDTH:
            return sparse.csr_matrix(x)
        return x

    return replace(emb, vectors={c: conv(x) for c, x in emb.vectors.items()},
                   part_vectors={c: conv(x) for c, x in emb.part_vectors.items()})


def _score_blocks(info: CompetenceViews, emb: Embeddings, artifact, mcfg,
                  wanted: dict[tuple[int, int], tuple] | None, keep_proposed: bool = True) -> pd.DataFrame:
    """Rows of every block (``wanted`` None) or of the blocks ``wanted`` names: its cells, and the
    proposed pairs when ``keep_proposed``."""
    from crossref.neighbours import one_blas_thread

    with one_blas_thread():
        return _blocks_frame(info, sparse_wide(emb), artifact, mcfg, wanted, keep_proposed)


def _blocks_frame(info: CompetenceViews, emb: Embeddings, artifact, mcfg,
                  wanted: dict[tuple[int, int], tuple] | None, keep_proposed: bool) -> pd.DataFrame:
    from crossref.blocks import certification_blocks, certification_pairs
    from crossref.matching import segment_starts

    certs = info.certs
    clause_starts = segment_starts(emb.clause_lengths)
    order = list(dict.fromkeys(certs.tolist()))
    number = {c: n for n, c in enumerate(order)}
    kept = _Kept()
    checked = False
    pairs = certification_pairs(certs) if wanted is None else [(order[x], order[y]) for x, y in sorted(wanted)]
    for block in certification_blocks(emb, artifact.channels, mcfg, certs, adapter=artifact.adapter, pairs=pairs):
        if not checked:
            artifact.model.check_names(block.features.names)
            checked = True
        cells = None
        if wanted is not None:
            si, sj = wanted[(number[block.cert_a], number[block.cert_b])]
            cells = np.zeros((len(block.ia), len(block.ib)), dtype=bool)
            cells[np.searchsorted(block.ia, si), np.searchsorted(block.ib, sj)] = True
        kept.add(block, artifact.model, mcfg, cells, clause_starts, keep_proposed)
    return _frame(info, emb, kept)
