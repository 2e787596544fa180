"""Candidate retrieval: the "retrieve" stage before pair scoring.

For every query (a competence) it returns its best items (competences) in the
other groups (certifications), so that the expensive hybrid score, relation,
direction and explanation are computed for O(N·k) candidate pairs instead of
N² pairs.

Two modes:

* ``per_group=True`` (default): the top ``k`` items of *each* other group.
  Exact: the output grows with N × groups × k, which is what a comparison of
  a few hundred certifications needs and what no index can shortcut.
* ``per_group=False``: the top ``k`` items over all other groups together (the
  registry: "which competences anywhere are closest to this one"). Exact up to
  ``ann_threshold`` items; beyond it an approximate index (see
  :mod:`crossref.ann`) answers, the package imported only then.

The exact path computes similarities block by block (memory O(block × n), never
n × n) and selects the top k without a full argpartition: the maxima of
fixed-size column chunks give a lower bound of the k-th best score, and only
the few scores above it are sorted. It returns exactly what a full stable sort
by (-score, index) would, ties included, at close to the cost of the matrix
product alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Measured (benchmarks/bench_registry.py): below this many items exact search
# is fast enough and costs no index build; above it the ANN index wins.
ANN_THRESHOLD = 200_000
# Bytes of similarities held at once (per query block).
BLOCK_BYTES = 1 << 27
CHUNK = 64


@dataclass(frozen=True)
class Candidates:
    """Candidate pairs, one row each: ``query`` and ``item`` indices, their ``score``.

    Rows are sorted by query, then (per-group mode) item group, then decreasing
    score, ties by increasing item index. ``exact`` is False when an ANN index
    produced them.
    """

    query: np.ndarray  # int64
    item: np.ndarray   # int64
    score: np.ndarray  # float32
    exact: bool = True

    def __len__(self) -> int:
        return len(self.query)

    def pairs(self) -> set[tuple[int, int]]:
        return set(zip(self.query.tolist(), self.item.tolist()))


def _as_f32(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"expected a 2-D array of vectors, got shape {x.shape}")
    return x


def _block_rows(n_items: int, block: int | None) -> int:
    if block is not None:
        return max(1, int(block))
    return int(max(16, min(4096, BLOCK_BYTES // (4 * max(n_items, 1)))))


def topk_rows(sims: np.ndarray, k: int, *, chunk: int = CHUNK) -> tuple[np.ndarray, np.ndarray]:
    """Top ``k`` of every row of ``sims``: (scores, column indices), shape (rows, min(k, cols)).

    Sorted by decreasing score, ties by increasing column. ``-inf`` marks an
    excluded cell: it is returned only when a row has fewer than k other
    cells, with index -1. ``sims`` may be modified.
    """
    b, n = sims.shape
    kk = max(0, min(k, n))
    out_s = np.full((b, kk), -np.inf, np.float32)
    out_i = np.full((b, kk), -1, np.int64)
    if kk == 0 or b == 0:
        return out_s, out_i
    n_chunks = n // chunk
    if n_chunks > 2 * kk:
        # Lower bound of each row's k-th best: the k-th largest maximum of
        # disjoint column groups (k distinct cells reach it), so every top-k
        # cell is >= it. Groups are strided (column j, j + n/chunk, ...) so the
        # maxima are elementwise maxima of contiguous rows: SIMD, one pass.
        full = n_chunks * chunk
        cmax = sims[:, :full].reshape(b, chunk, n_chunks).max(axis=1)
        if full < n:
            cmax = np.concatenate([cmax, sims[:, full:].max(axis=1, keepdims=True)], axis=1)
        m = cmax.shape[1]
        bound = np.partition(cmax, m - kk, axis=1)[:, m - kk]
        rows, cols = np.nonzero(sims >= bound[:, None])
    else:
        # Few columns (a certification's competences): a stable sort of each row is
        # cheapest; it orders ties by increasing column, -inf last.
        order = np.argsort(-sims, axis=1, kind="stable")[:, :kk]
        vals = np.take_along_axis(sims, order, axis=1)
        out_s[:] = vals
        out_i[:] = np.where(np.isneginf(vals), -1, order)
        return out_s, out_i
    vals = sims[rows, cols]
    order = np.lexsort((cols, -vals, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    starts = np.searchsorted(rows, np.arange(b))
    pos = np.arange(len(rows)) - starts[rows]
    keep = pos < kk
    rows, cols, vals, pos = rows[keep], cols[keep], vals[keep], pos[keep]
    out_s[rows, pos] = vals
    out_i[rows, pos] = np.where(np.isneginf(vals), -1, cols)
    return out_s, out_i


def topk_exact(queries: np.ndarray, items: np.ndarray, k: int, *,
               query_groups: np.ndarray | None = None, item_groups: np.ndarray | None = None,
               block: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Exact top ``k`` items (dot product) of every query, skipping items of the query's own group.

    Returns (scores, indices) of shape (n_queries, min(k, n_items)); a row with
    fewer than k eligible items is padded with score -inf and index -1.
    """
    queries, items = _as_f32(queries), _as_f32(items)
    n_q, n_i = len(queries), len(items)
    qg, ig = _groups(query_groups, n_q, item_groups, n_i)
    kk = max(0, min(k, n_i))
    out_s = np.full((n_q, kk), -np.inf, np.float32)
    out_i = np.full((n_q, kk), -1, np.int64)
    if kk == 0 or n_q == 0:
        return out_s, out_i
    step = _block_rows(n_i, block)
    items_t = items.T  # a view: BLAS reads the transposed layout, no copy of a large (memory-mapped) matrix
    members = _Members(ig, qg) if ig is not None else None
    for start in range(0, n_q, step):
        stop = min(start + step, n_q)
        sims = queries[start:stop] @ items_t
        if members is not None:
            rows, cols = members.cells(qg[start:stop])
            sims[rows, cols] = -np.inf  # only the own-group cells, never a full mask
        out_s[start:stop], out_i[start:stop] = topk_rows(sims, kk)
    return out_s, out_i


def _groups(query_groups, n_q, item_groups, n_i):
    if (query_groups is None) != (item_groups is None):
        raise ValueError("give both query_groups and item_groups, or neither")
    if query_groups is None:
        return None, None
    qg, ig = np.asarray(query_groups), np.asarray(item_groups)
    if qg.shape != (n_q,) or ig.shape != (n_i,):
        raise ValueError(f"groups must have one label per row ({n_q} queries, {n_i} items; "
                         f"got {qg.shape} and {ig.shape})")
    if qg.dtype.kind in "iu" and ig.dtype.kind in "iu":
        # Integer labels are codes already (shifted to start at 0): no sort of every label.
        low = min(int(qg.min(initial=0)), int(ig.min(initial=0)))
        return qg.astype(np.int64) - low, ig.astype(np.int64) - low
    # One integer code per label, shared by both sides.
    labels, codes = np.unique(np.concatenate([qg, ig]), return_inverse=True)
    return codes[:n_q].astype(np.int64), codes[n_q:].astype(np.int64)


class _Members:
    """The item columns of each group, as one sorted array and offsets (no per-group arrays)."""

    def __init__(self, item_groups: np.ndarray, query_groups: np.ndarray) -> None:
        n_codes = int(max(item_groups.max(initial=-1), query_groups.max(initial=-1))) + 1
        self.order = np.argsort(item_groups, kind="stable")
        sizes = np.bincount(item_groups, minlength=n_codes)
        self.starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        self.sizes = sizes

    def cells(self, row_groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) of every item in the same group as each row."""
        counts = self.sizes[row_groups]
        total = int(counts.sum())
        rows = np.repeat(np.arange(len(row_groups)), counts)
        offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        cols = self.order[np.repeat(self.starts[row_groups], counts) + offsets]
        return rows, cols


def _flatten(scores: np.ndarray, idx: np.ndarray, query_offset: np.ndarray | None = None):
    q = np.repeat(np.arange(len(idx)) if query_offset is None else query_offset, idx.shape[1])
    i, s = idx.ravel(), scores.ravel()
    keep = i >= 0
    return q[keep].astype(np.int64), i[keep].astype(np.int64), s[keep].astype(np.float32)


def candidates(queries: np.ndarray, items: np.ndarray, k: int, *,
               query_groups: np.ndarray | None = None, item_groups: np.ndarray | None = None,
               per_group: bool = True, method: str = "auto", ann_threshold: int = ANN_THRESHOLD,
               block: int | None = None, index=None, ann_options: dict | None = None) -> Candidates:
    """Candidate pairs of every query: its top ``k`` items in each other group (or overall).

    ``query_groups`` / ``item_groups`` (any comparable labels, e.g. certification
    ids) exclude items of a query's own group; without them nothing is
    excluded. ``method``: "exact", "ann" or "auto" (ANN when ``per_group`` is
    False and there are more than ``ann_threshold`` items). ``index``: an
    already built :class:`crossref.ann.AnnIndex` over ``items`` (else one is built).
    """
    if k < 0:
        raise ValueError("k must be >= 0")
    if method not in ("auto", "exact", "ann"):
        raise ValueError(f"method must be auto, exact or ann, not {method!r}")
    queries, items = _as_f32(queries), _as_f32(items)
    if len(queries) and len(items) and queries.shape[1] != items.shape[1]:
        raise ValueError(f"queries have {queries.shape[1]} dimensions, items {items.shape[1]}")
    qg, ig = _groups(query_groups, len(queries), item_groups, len(items))
    if per_group:
        if method == "ann":
            raise ValueError("per-group candidates are exact: an index cannot return k items of every group")
        if qg is None:
            s, i = topk_exact(queries, items, k, block=block)
            return Candidates(*_flatten(s, i))
        return _per_group_exact(queries, items, k, qg, ig, block)
    use_ann = method == "ann" or (method == "auto" and len(items) > ann_threshold)
    if not use_ann:
        s, i = topk_exact(queries, items, k, query_groups=qg, item_groups=ig, block=block)
        return Candidates(*_flatten(s, i))
    from crossref.ann import AnnIndex

    if index is None:
        index = AnnIndex.build(items, **(ann_options or {}))
    def exact(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return topk_exact(queries[rows], items, k, query_groups=qg[rows] if qg is not None else None,
                          item_groups=ig)

    s, i = index.search_excluding(queries, k, query_groups=qg, item_groups=ig, exact=exact)
    q_rows, i_rows, scores = _flatten(s, i)
    return Candidates(q_rows, i_rows, scores, exact=False)


def _per_group_exact(queries, items, k, qg, ig, block) -> Candidates:
    # Items grouped contiguously; a stable sort keeps index order inside a group,
    # so ties still break by increasing original index.
    order = np.argsort(ig, kind="stable")
    sorted_items = np.ascontiguousarray(items[order].T)
    groups, starts = np.unique(ig[order], return_index=True)
    bounds = list(zip(groups.tolist(), starts.tolist(), [*starts[1:].tolist(), len(order)]))
    step = _block_rows(len(items), block)
    out_q, out_i, out_s = [], [], []
    for start in range(0, len(queries), step):
        stop = min(start + step, len(queries))
        sims = queries[start:stop] @ sorted_items
        block_groups = qg[start:stop]
        parts = []
        for g, a, b in bounds:
            rows = np.nonzero(block_groups != g)[0]
            if not len(rows):
                continue
            s, i = topk_rows(sims[rows, a:b] if len(rows) < stop - start else sims[:, a:b], k)
            q, ii, ss = _flatten(s, i, rows + start)
            parts.append((q, order[ii + a], ss, np.full(len(q), a)))
        if parts:
            q, ii, ss, gpos = (np.concatenate(p) for p in zip(*parts))
            # Sort by query, then group (position of its segment), then the rank inside it.
            rank = np.arange(len(q))
            o = np.lexsort((rank, gpos, q))
            out_q.append(q[o]); out_i.append(ii[o]); out_s.append(ss[o])
    if not out_q:
        return Candidates(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))
    return Candidates(np.concatenate(out_q), np.concatenate(out_i), np.concatenate(out_s))


__all__ = ["ANN_THRESHOLD", "Candidates", "candidates", "topk_exact", "topk_rows"]
