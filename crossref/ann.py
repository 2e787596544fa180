"""Approximate nearest-neighbour index for large corpora (FAISS IVF-Flat, inner product).

Chosen by measurement (benchmarks/bench_registry.py, README "Registry"): on
100,000 synthetic 512-d unit vectors FAISS IVF-Flat (nlist 4·√n, nprobe 16)
built in 21 s and answered ~4,600 queries/s at recall@10 0.989; FAISS HNSW
(M 32) built in 55 s, ~7,800 queries/s at 0.999; usearch HNSW (f32,
connectivity 16) built in 198 s, ~1,150 queries/s at 0.9998 (two shared
cores, load 7-9). IVF builds fastest, takes vectors in shards after training
(incremental indexing) and stores nothing but the vectors and their lists.

``faiss`` (the ``faiss-cpu`` wheel) is imported only when an index is built
or loaded: below :data:`crossref.retrieval.ANN_THRESHOLD` items nothing needs it.
Results are re-sorted by (-score, id), so a search gives the same answer
whatever the batch it is part of.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from crossref.embed.base import require

DEFAULT_NPROBE = 16
# Rows of other groups missing after over-fetching are searched exactly.
MAX_OVERFETCH = 512


def _faiss():
    return require("faiss", "faiss-cpu", "ann")


def default_nlist(n: int) -> int:
    return int(max(1, min(65536, round(4 * math.sqrt(max(n, 1))))))


class AnnIndex:
    """An IVF-Flat index over unit vectors; ids are row numbers in insertion order."""

    def __init__(self, index, nprobe: int = DEFAULT_NPROBE) -> None:
        self.index = index
        self.nprobe = int(nprobe)
        self.index.nprobe = self.nprobe

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    @property
    def dim(self) -> int:
        return int(self.index.d)

    @classmethod
    def train(cls, sample: np.ndarray, *, nlist: int | None = None, nprobe: int = DEFAULT_NPROBE,
              n_expected: int | None = None, seed: int = 1234) -> "AnnIndex":
        """An empty index whose coarse quantiser is trained on ``sample`` (k-means, fixed seed)."""
        faiss = _faiss()
        sample = np.ascontiguousarray(sample, dtype=np.float32)
        nlist = nlist or default_nlist(n_expected or len(sample))
        nlist = max(1, min(nlist, len(sample)))
        quantiser = faiss.IndexFlatIP(sample.shape[1])
        index = faiss.IndexIVFFlat(quantiser, sample.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
        index.cp.seed = seed
        index.cp.min_points_per_centroid = 1  # small samples: no warning, same result
        index.train(sample)
        index.quantizer_trains_alone = 0
        return cls(index, nprobe)

    @classmethod
    def build(cls, items: np.ndarray, *, nlist: int | None = None, nprobe: int = DEFAULT_NPROBE,
              train_size: int | None = None, seed: int = 1234) -> "AnnIndex":
        """Train on a fixed random sample of ``items`` (40 per list by default) and add all of them."""
        items = np.ascontiguousarray(items, dtype=np.float32)
        nlist = nlist or default_nlist(len(items))
        size = min(len(items), train_size or 40 * nlist)
        rows = np.sort(np.random.default_rng(seed).choice(len(items), size, replace=False))
        self = cls.train(items[rows], nlist=nlist, nprobe=nprobe, seed=seed)
        self.add(items)
        return self

    def add(self, items: np.ndarray) -> None:
        self.index.add(np.ascontiguousarray(items, dtype=np.float32))

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of shape (n, k), sorted by (-score, id); missing results: -inf and -1."""
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if k <= 0 or len(queries) == 0:
            return np.zeros((len(queries), max(k, 0)), np.float32), np.zeros((len(queries), max(k, 0)), np.int64)
        scores, ids = self.index.search(queries, k)
        scores = np.where(ids < 0, -np.inf, scores).astype(np.float32)
        order = np.lexsort((np.where(ids < 0, np.iinfo(np.int64).max, ids), -scores), axis=1)
        return np.take_along_axis(scores, order, 1), np.take_along_axis(ids, order, 1).astype(np.int64)

    def search_excluding(self, queries: np.ndarray, k: int, *, query_groups: np.ndarray | None,
                         item_groups: np.ndarray | None, exact=None) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` items of other groups: over-fetch by the largest own group, then drop own-group hits.

        Queries whose own group is larger than :data:`MAX_OVERFETCH` and that
        come back short are answered by ``exact(rows)`` (when given), which
        returns their (scores, ids) from an exact search.
        """
        if query_groups is None:
            return self.search(queries, k)
        qg, ig = np.asarray(query_groups), np.asarray(item_groups)
        sizes = np.bincount(ig, minlength=int(max(ig.max(initial=0), qg.max(initial=0))) + 1)
        own = sizes[qg] if len(qg) else np.zeros(0, np.int64)
        extra = int(min(own.max(initial=0), MAX_OVERFETCH))
        fetch = min(k + extra, self.ntotal)
        scores, ids = self.search(queries, fetch)
        valid = ids >= 0
        same = valid & (ig[np.where(valid, ids, 0)] == qg[:, None])
        keep = valid & ~same
        # Stable compaction: the first k kept columns of each row, order preserved.
        rank = np.cumsum(keep, axis=1) - 1
        out_s = np.full((len(queries), k), -np.inf, np.float32)
        out_i = np.full((len(queries), k), -1, np.int64)
        r, c = np.nonzero(keep & (rank < k))
        out_s[r, rank[r, c]] = scores[r, c]
        out_i[r, rank[r, c]] = ids[r, c]
        short = np.nonzero((keep.sum(axis=1) < k) & (own > extra) & (self.ntotal - own > keep.sum(axis=1)))[0]
        if len(short) and exact is not None:
            s, i = exact(short)
            out_s[short, :s.shape[1]], out_i[short, :i.shape[1]] = s, i
        return out_s, out_i

    def save(self, path: str | Path) -> None:
        """Write the index atomically (temporary file, then rename)."""
        import os
        import tempfile

        faiss = _faiss()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name, suffix=".tmp")
        os.close(fd)
        try:
            faiss.write_index(self.index, tmp)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    @classmethod
    def load(cls, path: str | Path, *, nprobe: int = DEFAULT_NPROBE, mmap: bool = True) -> "AnnIndex":
        faiss = _faiss()
        flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if mmap else 0
        return cls(faiss.read_index(str(path), flags), nprobe)


__all__ = ["AnnIndex", "DEFAULT_NPROBE", "default_nlist"]
