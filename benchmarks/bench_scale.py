"""Registry scale: 100,000 synthetic French competences.

    .venv/bin/python benchmarks/bench_scale.py [--n 100000] [--queries 10000] [--use-sample 2000]

Synthetic competences recombine real clauses of the built-in référentiels
(core action + gerund + purpose), spread over certifications of 1,000.
Reports: lexical fit+embed throughput on all n texts, USE throughput on a
sample (model load excluded), top-k neighbour search time for ``--queries``
queries against all n items (blockwise: memory O(block × n), never n × n),
and peak memory (tracemalloc for Python/numpy allocations, ru_maxrss for the process).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def synthetic_texts(n: int, seed: int = 0) -> list[str]:
    from crossref.matching import split_clauses
    from crossref.referentiels import load_corpus

    corpus = load_corpus(ROOT / "data")
    heads, middles, tails = [], [], []
    for cert in corpus:
        for c in cert.competences:
            cl = split_clauses(c.statement)
            heads.append(cl[0])
            middles.extend(x for x in cl[1:] if x.lower().startswith(("en ", "tout en")))
            tails.extend(x for x in cl[1:] if x.lower().startswith(("afin", "pour", "permettant")))
    rng = np.random.default_rng(seed)
    h = rng.integers(0, len(heads), n)
    m = rng.integers(0, len(middles), n)
    t = rng.integers(0, len(tails), n)
    return [f"{heads[a]} {middles[b]} {tails[c]}" for a, b, c in zip(h, m, t)]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=10_000)
    ap.add_argument("--use-sample", type=int, default=2_000)
    ap.add_argument("--k", type=int, default=10)
    args = ap.parse_args()

    from crossref.embed import get_embedder
    from crossref.neighbours import l2_normalise, topk_search

    texts = synthetic_texts(args.n)
    print(f"synthetic competences: {len(texts):,} (mean {np.mean([len(t) for t in texts]):.0f} chars)")

    lex = get_embedder("lexical", sparse=True)
    t = time.perf_counter()
    lex.fit(texts)
    x_lex = lex.embed(texts)
    dt = time.perf_counter() - t
    print(f"lexical fit + embed        : {dt:7.1f} s  -> {len(texts) / dt:8.0f} texts/s  (dim {x_lex.shape[1]:,}, "
          f"{x_lex.nnz / len(texts):.0f} non-zeros/text)")

    use = get_embedder("use-multilingual", threads=1)
    use.embed(["chargement du modèle"])
    sample = texts[: args.use_sample]
    t = time.perf_counter()
    x_use = use.embed(sample)
    dt = time.perf_counter() - t
    rate = len(sample) / dt
    print(f"USE multilingual (1 thread): {dt:7.1f} s for {len(sample):,} -> {rate:8.0f} texts/s  "
          f"(estimated {args.n / rate / 60:.1f} min for all {args.n:,}; cached afterwards)")

    # Items: the sampled USE vectors, recombined with noise up to n rows (same geometry, no n× model time).
    rng = np.random.default_rng(1)
    a = rng.integers(0, len(x_use), args.n)
    b = rng.integers(0, len(x_use), args.n)
    items = l2_normalise(0.7 * x_use[a] + 0.3 * x_use[b] + 0.05 * rng.standard_normal((args.n, x_use.shape[1])).astype(np.float32))
    queries = items[: args.queries]
    tracemalloc.start()
    t = time.perf_counter()
    scores, idx = topk_search(queries, items, args.k, block=512, exclude_self=True)
    dt = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"top-{args.k} search            : {dt:7.1f} s for {len(queries):,} queries x {args.n:,} items "
          f"-> {len(queries) / dt:8.0f} queries/s (all {args.n:,} queries: ~{args.n / (len(queries) / dt) / 60:.1f} min)")
    print(f"peak memory during search  : {peak / 2**20:7.1f} MiB traced (items matrix {items.nbytes / 2**20:.0f} MiB; "
          f"an n x n float32 matrix would be {args.n * args.n * 4 / 2**30:.0f} GiB)")
    print(f"process peak RSS           : {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:7.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
