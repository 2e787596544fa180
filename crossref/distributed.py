"""Registry work on a Dask cluster (``--scheduler ADDRESS``).

Dask rather than Ray: the work is a bag of independent numpy tasks (embed a
shard of texts, search a shard of queries) whose inputs and outputs are files
on a shared disk; ``distributed`` runs exactly that with ``Client.map``, is
pure Python (installed with pip in seconds, ``LocalCluster`` in-process for
tests), and speaks numpy natively. Ray's actors, object store and its own
runtime would add a second, heavier system for nothing we use.

The functions sent to workers are the same ones the single-process path runs
(:class:`crossref.embed.cache.CachedEmbedder` on a shard of texts,
:func:`crossref.registry.candidate_shard` on a shard of query rows), with the
same shard boundaries, so results are identical to a run without a cluster.
Workers write their embedding shards into the store themselves: the store's
folder and the registry folder must be visible to every worker at the same
path (a shared file system), as they are on a ``LocalCluster``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from crossref.embed.base import require

# One embedder per worker process and backend name: a model is loaded once per worker.
_EMBEDDERS: dict[str, Any] = {}


def client_for(scheduler: str):
    """A Dask client for ``scheduler`` (an address such as ``tcp://10.0.0.5:8786``, or a Client)."""
    distributed = require("distributed", "distributed", "cluster")
    if isinstance(scheduler, distributed.Client):
        return scheduler
    try:
        return distributed.Client(scheduler, timeout="20s")
    except OSError as exc:
        from crossref.errors import CrossrefError

        raise CrossrefError(f"ordonnanceur Dask injoignable à {scheduler} ({exc})") from None


def _embed_shard(embedder, cache_dir: str, texts: list[str]) -> int:
    """Embed one shard on a worker; the rows go to the shared store. Returns how many texts."""
    from crossref.embed.cache import CachedEmbedder

    inner = _EMBEDDERS.setdefault(embedder.name, embedder)
    CachedEmbedder(inner, cache_dir).embed(texts)
    return len(texts)


def embed_on_cluster(scheduler, embedder, texts: list[str], cache_dir: str | Path, shard_texts: int) -> int:
    """Embed ``texts`` on the cluster's workers in shards; returns the number of workers."""
    client = client_for(scheduler)
    shards = [texts[s:s + shard_texts] for s in range(0, len(texts), shard_texts)]
    futures = client.map(_embed_shard, [embedder] * len(shards), [str(cache_dir)] * len(shards), shards,
                         pure=False)
    done = client.gather(futures)
    if sum(done) != len(texts):
        raise RuntimeError(f"the cluster embedded {sum(done)} of {len(texts)} texts")
    return len(client.scheduler_info().get("workers", {}))


def candidates_on_cluster(scheduler, shard_fn: Callable, directory: str, bounds: list[tuple[int, int]], k: int
                          ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``shard_fn(directory, start, stop, k)`` (:func:`crossref.registry.candidate_shard`) of every
    (start, stop), on the workers, in order."""
    client = client_for(scheduler)
    futures = client.map(shard_fn, [directory] * len(bounds), [a for a, _ in bounds],
                         [b for _, b in bounds], [k] * len(bounds), pure=False)
    return client.gather(futures)


__all__ = ["candidates_on_cluster", "client_for", "embed_on_cluster"]
