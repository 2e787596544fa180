"""Registry scale: candidate search, registry search, Dask, lexical channel, embedding store, CLI start.

    .venv/bin/python benchmarks/bench_registry.py [--only ann,registry,dask,lexical,store,cli,pairs]
        [--sizes 100000,300000] [--queries 1000] [--registry-units 300000] [--workdir DIR]
        [--pairs-sizes 500,1500,5000] [--pairs-before-sizes 500,1500] [--pairs-before REV]
        [--pairs-kinds fields,recombined]

Every figure is printed with the load averages of the machine at that moment
(other jobs share its cores). Sections:

* ann: exact top-10 (crossref.retrieval, blockwise) and the FAISS IVF index on
  the same synthetic 512-d unit vectors (topics in a low-dimensional subspace
  plus noise, as sentence embeddings are, not uniform noise), queries/s and
  recall@10 of the index against exact search; plus the former
  ``neighbours.topk_search`` and a plain matrix product for reference.
* registry: a synthetic France Compétences export of ~300,000 competences,
  streamed ingest, indexing (``WordHashEmbedder``: the model's time is left
  out, see README for USE throughput), then ``Registry.search`` per fiche, and
  one whole ``crossref registry search`` command.
* dask: the same registry job (embedding + candidate pairs) in process and on a
  LocalCluster with 1 and 2 workers; results compared.
* lexical: fit + embed texts/s at 10,000 and 100,000 synthetic French texts,
  today's channel and (at 10,000) the former one, read from git (``--lexical-before REV``).
* store: lookup of 105 texts in a 300,000-row store, the former single-file
  cache (read from git) and the sharded store.
* cli: ``crossref --help`` wall time (median of 5 runs).
* pairs: the pairs job (``pipeline.compute`` warm: embeddings from the cache) at
  500, 1,500 and 5,000 competences, one process per run: before (the scoring
  module of ``--pairs-before``, read from git: every pair, one dict and one
  explanation each) and now (candidates, then the certification pairs that hold
  one); time, peak RSS, proposals per competence, certification pairs scored,
  and the share of the exhaustive proposals the two-stage table keeps. Two
  kinds of corpora (``benchmarks/pairs_job.py``, ``--pairs-kinds``), embedded
  once by the real models and cached in ``models/cache``: ``fields``, many
  professional fields as a portfolio or the registry holds (nested: the
  larger reuse the smaller's texts); ``recombined``, one field, the built-in
  clauses recombined (5,000: drawn from the 1,500 corpus's texts), far denser
  in overlaps than real référentiels: a stress case.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
BASELINE = "a60a321"  # the commit before issue 13's changes (lexical channel, embedding cache)


def load() -> str:
    return "load %.1f/%.1f/%.1f" % os.getloadavg()


def rss() -> str:
    return f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB"


def synthetic_vectors(n: int, dim: int = 512, seed: int = 0, topics: int = 2000, latent: int = 48) -> np.ndarray:
    """Unit vectors: a mixture of two topics in a ``latent``-d subspace, plus noise in all dims."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((topics, latent)).astype(np.float32)
    proj = (rng.standard_normal((latent, dim)) / np.sqrt(latent)).astype(np.float32)
    out = np.empty((n, dim), np.float32)
    for s in range(0, n, 50_000):
        m = min(50_000, n - s)
        a, b = rng.integers(0, topics, m), rng.integers(0, topics, m)
        z = 0.7 * centres[a] + 0.3 * centres[b] + 0.3 * rng.standard_normal((m, latent)).astype(np.float32)
        x = z @ proj + 0.05 * rng.standard_normal((m, dim)).astype(np.float32)
        out[s:s + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return out


def git_module(rev: str, path: str, name: str):
    """A module as it was at ``rev`` (the 'before' of a before/after), or None without git."""
    try:
        src = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    tmp = Path(tempfile.mkdtemp()) / f"{name}.py"
    tmp.write_text(src)
    spec = importlib.util.spec_from_file_location(name, tmp)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# ---------------------------------------------------------------- ann


def bench_ann(sizes: list[int], n_queries: int, k: int = 10) -> None:
    print(f"\n## Top-{k}: exact (blockwise) vs FAISS IVF-Flat, synthetic 512-d unit vectors, "
          f"{n_queries:,} queries")
    for n in sizes:
        _bench_ann_size(n, n_queries, k)
    print(f"  {rss()}")


def _bench_ann_size(n: int, n_queries: int, k: int) -> None:
    """One size of :func:`bench_ann` (its own function: the vectors are freed on return)."""
    from crossref.ann import AnnIndex
    from crossref.neighbours import topk_search
    from crossref.retrieval import candidates, topk_exact

    x = synthetic_vectors(n)
    q = x[:n_queries]
    groups = np.arange(n)  # exclude the query itself

    def best(fn, runs=2):  # best of two: other jobs share the cores
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t)
        return min(times), out

    t_mm, _ = best(lambda: (q @ x.T)[:, :1])
    t_ex, exact = best(lambda: candidates(q, x, k, query_groups=groups[:n_queries], item_groups=groups,
                                          per_group=False, method="exact"))
    t_old, _ = best(lambda: topk_search(q, x, k + 1))
    print(f"n={n:,}: plain matmul {n_queries / t_mm:7.0f} q/s | exact top-{k} {n_queries / t_ex:7.0f} q/s "
          f"(former topk_search {n_queries / t_old:7.0f} q/s)  [{load()}]")
    t = time.perf_counter()
    index = AnnIndex.build(x)
    t_build = time.perf_counter() - t
    t_ann, approx = best(lambda: candidates(q, x, k, query_groups=groups[:n_queries], item_groups=groups,
                                            per_group=False, method="ann", index=index))
    recall = len(exact.pairs() & approx.pairs()) / max(len(exact.pairs()), 1)
    print(f"        FAISS IVF (nlist {index.index.nlist}, nprobe {index.nprobe}): build {t_build:5.1f} s, "
          f"{n_queries / t_ann:7.0f} q/s = {t_ex / t_ann:4.1f}x exact, recall@{k} {recall:.3f} "
          f"(all {n:,} queries: exact ~{n / (n_queries / t_ex) / 60:.1f} min, "
          f"ANN ~{(t_build + n / (n_queries / t_ann)) / 60:.1f} min incl. build)  [{load()}]")
    assert topk_exact(q[:5], x, k)[1].shape == (5, k)


# ---------------------------------------------------------------- registry


def build_registry(work: Path, units: int, dim: int = 512):
    from crossref.registry import Registry
    from crossref.synthetic import WordHashEmbedder, write_fc_export

    fiches = int(units / 30 / 0.9)  # ~30 competences per fiche, 10 % inactive
    work.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    summary = write_fc_export(work / "export.xml", fiches, blocs_csv=work / "blocs.csv", seed=3)
    size = (work / "export.xml").stat().st_size
    print(f"synthetic export: {summary.fiches:,} fiches ({summary.active_fiches:,} active), "
          f"{summary.competences:,} competences, {size / 2**20:.0f} MiB, written in {time.perf_counter() - t:.1f} s")
    reg = Registry(work / "registry", cache_dir=work / "cache")
    rep = reg.ingest(work / "export.xml", blocs_csv=work / "blocs.csv")
    print(f"streamed ingest: {rep.fiches:,} fiches, {rep.units:,} competences in {rep.seconds:.1f} s "
          f"({rep.fiches / rep.seconds:,.0f} fiches/s)  [{load()}]")
    emb = WordHashEmbedder(dim=dim)
    rep = reg.index(emb)
    print(f"index (WordHashEmbedder {dim}-d, store + matrix{' + FAISS' if rep.ann else ''}): "
          f"{rep.units:,} units, {rep.embedded:,} texts embedded, {rep.seconds:.1f} s  [{load()}]")
    t = time.perf_counter()
    again = reg.index(emb)
    print(f"index again (nothing new): {again.embedded} texts embedded, {time.perf_counter() - t:.1f} s")
    return reg, emb


def bench_registry(work: Path, units: int, n_search: int = 20) -> Path:
    print(f"\n## Registry search per fiche, ~{units:,} competences")
    reg, emb = build_registry(work, units)
    ids = reg.fiche_ids()
    rng = np.random.default_rng(0)
    picks = [ids[i] for i in rng.choice(len(ids), min(n_search, len(ids)), replace=False)]
    reg.search(picks[0])  # first call: page cache and FAISS load
    times = []
    for f in picks:
        t = time.perf_counter()
        res = reg.search(f)
        times.append(time.perf_counter() - t)
    print(f"Registry.search: median {np.median(times):.3f} s, max {max(times):.3f} s per fiche over "
          f"{len(times)} fiches ({'exact' if res.exact else 'FAISS'}; top overlap of the last: "
          f"{res.overlaps[0].fiche} {res.overlaps[0].overlap:.0%})  [{load()}]")
    cfg = work / "bench.toml"
    cfg.write_text(f'[embedding]\ncache_dir = "{work / "cache"}"\n')
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "crossref", "--config", str(cfg), "registry", "search",
                          "--fiche", picks[1], "--dir", str(work / "registry")], cwd=ROOT, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall = time.perf_counter() - t
    print(f"whole `crossref registry search --fiche {picks[1]}` command: {wall:.2f} s (exit {out.returncode}, "
          f"interpreter start and imports included)  [{load()}]")
    print(f"  {rss()}")
    return work / "cache"


# ---------------------------------------------------------------- dask


def bench_dask(work: Path, units: int = 20_000) -> None:
    from distributed import Client, LocalCluster

    from crossref.registry import Registry
    from crossref.synthetic import WordHashEmbedder, write_fc_export

    print(f"\n## Dask: the same registry job (embed + candidate pairs, k=10), ~{units:,} competences")
    work.mkdir(parents=True, exist_ok=True)
    write_fc_export(work / "d.xml", int(units / 27), seed=5)
    results, times = {}, {}
    for workers in (0, 1, 2):
        reg = Registry(work / f"reg{workers}", cache_dir=work / f"cache{workers}")
        reg.ingest(work / "d.xml")
        if workers == 0:
            t = time.perf_counter()
            reg.index(WordHashEmbedder(dim=256), shard_texts=2000)
            results[0] = reg.candidate_pairs(10)
            times[0] = time.perf_counter() - t
            continue
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=50) as cluster, Client(cluster) as client:
            t = time.perf_counter()
            reg.index(WordHashEmbedder(dim=256), scheduler=client, shard_texts=2000)
            results[workers] = reg.candidate_pairs(10, scheduler=client)
            times[workers] = time.perf_counter() - t
    same = all(all(np.array_equal(a, b) for a, b in zip(results[w], results[0])) for w in (1, 2))
    print(f"in process {times[0]:.1f} s | 1 worker {times[1]:.1f} s | 2 workers {times[2]:.1f} s | "
          f"{len(results[0][0]):,} candidate pairs, results identical: {same}  [{load()}]")


# ---------------------------------------------------------------- lexical


def bench_lexical(sizes: list[int], before_rev: str, before_sizes: list[int]) -> None:
    from bench_scale import synthetic_texts

    from crossref.embed.lexical import LexicalEmbedder

    print("\n## Lexical channel: fit + sparse embed of synthetic French texts")
    old = git_module(before_rev, "crossref/embed/lexical.py", "lexical_before") if before_sizes else None
    for n in sizes:
        texts = synthetic_texts(n, seed=n)
        rows = [("now", LexicalEmbedder)]
        if old is not None and n in before_sizes:
            rows.insert(0, (f"before ({before_rev})", old.LexicalEmbedder))
        for label, cls in rows:
            lex = cls(sparse=True)
            t = time.perf_counter()
            lex.fit(texts)
            t_fit = time.perf_counter() - t
            x = lex.embed_sparse(texts)
            dt = time.perf_counter() - t
            print(f"n={n:,} {label:>18}: fit+embed {dt:6.1f} s -> {n / dt:6.0f} texts/s "
                  f"(embed alone {n / (dt - t_fit):6.0f} texts/s), {x.nnz / n:.0f} non-zeros/text  [{load()}]")


# ---------------------------------------------------------------- store


def bench_store(work: Path, rows: int = 300_000, dim: int = 512, lookups: int = 105) -> None:
    from crossref.embed.cache import CachedEmbedder, text_key

    print(f"\n## Embedding store: lookup of {lookups} texts among {rows:,} rows of {dim} dims")

    class Fixed:
        name = "bench:fixed"

        def embed(self, texts):
            raise AssertionError("everything is stored: nothing to embed")

    texts = [f"compétence synthétique {i}" for i in range(rows)]
    vecs = synthetic_vectors(rows, dim, seed=9)
    keys = [text_key(t) for t in texts]
    rng = np.random.default_rng(1)
    probe = [texts[i] for i in rng.choice(rows, lookups, replace=False)]
    old = git_module(BASELINE, "crossref/embed/cache.py", "cache_before")
    if old is not None:
        d = work / "old-cache"
        d.mkdir(parents=True, exist_ok=True)
        path = old.CachedEmbedder(Fixed(), d).path_for(Fixed.name)
        np.savez(path, name=np.array(Fixed.name), keys=np.array(keys, dtype="S64"), vecs=vecs)
        times = []
        for _ in range(3):
            t = time.perf_counter()
            out_old = old.CachedEmbedder(Fixed(), d).embed(probe)  # a new process, in effect
            times.append(time.perf_counter() - t)
        print(f"before ({BASELINE}, one .npz): {min(times):.3f} s per lookup (best of 3)  [{load()}]")
        shutil.rmtree(d)
    d = work / "new-cache"
    cache = CachedEmbedder(Fixed(), d)
    t = time.perf_counter()
    for s in range(0, rows, 50_000):
        cache.store.put(keys[s:s + 50_000], vecs[s:s + 50_000])
    print(f"now (sharded store): filled in {time.perf_counter() - t:.1f} s ({len(cache.store):,} rows)")
    times = []
    for _ in range(3):
        t = time.perf_counter()
        out = CachedEmbedder(Fixed(), d).embed(probe)
        times.append(time.perf_counter() - t)
    if old is not None:
        assert np.array_equal(out, out_old)
    print(f"now (sharded store): {min(times):.4f} s per lookup (best of 3)  [{load()}]")


# ---------------------------------------------------------------- pairs job


def _pairs_job(*args: str) -> dict:
    import json

    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "pairs_job.py"), *args], cwd=ROOT,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if out.returncode:
        return {"error": (out.stderr.strip().splitlines() or ["?"])[-1]}
    lines = out.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else {}


def _make_pairs_corpora(work: Path, kind: str, sizes: list[int]) -> dict[int, Path]:
    corpora = {}
    for n in sizes:
        path = work / f"{kind}-{n}.pkl"
        if not path.exists():
            if kind == "fields":  # nested corpora: the larger ones reuse the smaller ones' texts
                _pairs_job("make", str(path), "--kind", "fields", "--size", str(n))
            elif n > 1500:  # drawn from the 1,500 corpus's texts: no model time
                source = work / "recombined-1500.pkl"
                if not source.exists():
                    _pairs_job("make", str(source), "--size", "1500")
                _pairs_job("make", str(path), "--size", str(n), "--draw-from", str(source), "--seed", "1")
            else:
                _pairs_job("make", str(path), "--size", str(n))
        corpora[n] = path
    for n in sorted(sizes, reverse=True):  # warm the embedding cache (cold: model time)
        _pairs_job("run", str(corpora[n]), "--mode", "after")
    return corpora


PAIRS_KINDS = {
    "fields": "many fields (benchmarks/data/fields: 40 fields + the built-in one; a portfolio, the registry)",
    "recombined": "one field, dense (the built-in clauses recombined; 5,000: texts drawn from the 1,500 corpus)",
}


def bench_pairs(work: Path, sizes: list[int], before_sizes: list[int], before_rev: str,
                recall_k: str = "10,20,50", kinds: tuple[str, ...] = ("fields", "recombined")) -> None:
    print(f"\n## Pairs job: warm compute (views, embeddings from the cache, scoring, clusters), "
          f"one process per run; before = scoring of {before_rev}")
    work.mkdir(parents=True, exist_ok=True)
    corpora = {kind: _make_pairs_corpora(work, kind, sizes) for kind in kinds}
    for kind in kinds:
        print(f"\n### Corpus: {PAIRS_KINDS[kind]}")
        print(f"{'competences':>11} {'certs':>5} {'mode':>6} {'compute':>9} {'scoring':>9} {'rows':>10} "
              f"{'proposed':>9} {'per comp.':>9} {'blocks':>7} {'peak RSS':>9} {'scoring Δ':>9}")
        for n in sizes:
            for mode in (["before"] if n in before_sizes else []) + ["after"]:
                r = _pairs_job("run", str(corpora[kind][n]), "--mode", mode, "--before-rev", before_rev)
                if "error" in r:
                    print(f"{n:>11} {'':>5} {mode:>6} failed: {r['error']}  [{load()}]")
                    continue
                print(f"{r['competences']:>11} {r['certifications']:>5} {mode:>6} {r['compute_s']:>8.1f}s "
                      f"{r['score_s']:>8.1f}s {r['rows']:>10,} {r['proposed']:>9,} "
                      f"{r['proposed'] / r['competences']:>9.1f} {r['blocks']:>7,} {r['peak_rss_gib']:>6.2f}GiB "
                      f"{r['score_peak_growth_gib']:>6.2f}GiB  [{load()}]")
            if n not in before_sizes:
                print(f"{n:>11} {'':>5} {'before':>6} not run (every pair as a dict: ~{n * n / 1500**2 * 6.3:.0f} GiB "
                      "by the 1,500 figure)")
        print("\nProposals kept by the two-stage table (default top_k = 50): of the pairs exhaustive scoring "
              "proposes, the share in a scored certification pair (kept, identical) and the share that are candidates")
        for n in sizes:
            r = _pairs_job("recall", str(corpora[kind][n]), "--k", recall_k, "--vectors", "weighted,main")
            if "error" in r:
                print(f"{n:>6} competences: failed: {r['error']}")
            for run in r.get("runs", []):
                print(f"{r['competences']:>6} competences, {r['proposed']:,} proposed, k {run['k']:>3}, "
                      f"vectors {run['vectors']:>8}: "
                      f"kept {run['block_recall']:.4f} ({run['missed']} missed), candidates {run['pair_recall']:.3f}, "
                      f"{run['blocks_scored']} of {r['certifications'] * (r['certifications'] - 1) // 2} "
                      f"certification pairs scored  [{load()}]")


# ---------------------------------------------------------------- cli


def bench_cli() -> None:
    print("\n## Command line start")
    times = []
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "crossref", "--help"], cwd=ROOT, capture_output=True, check=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
        times.append(time.perf_counter() - t)
    print(f"crossref --help: median {np.median(times):.3f} s over 5 runs  [{load()}]")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="cli,lexical,store,ann,registry,dask")
    ap.add_argument("--sizes", default="100000,300000")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--registry-units", type=int, default=300_000)
    ap.add_argument("--lexical-sizes", default="10000,100000")
    ap.add_argument("--lexical-before", default=BASELINE)
    ap.add_argument("--lexical-before-sizes", default="10000")
    ap.add_argument("--pairs-sizes", default="500,1500,5000")
    ap.add_argument("--pairs-before-sizes", default="500,1500")
    ap.add_argument("--pairs-before", default="9c1ce6a", help="the commit whose scoring is 'before'")
    ap.add_argument("--pairs-kinds", default="fields,recombined", help="corpora of the pairs job: " + ", ".join(
        f"{k}: {v}" for k, v in PAIRS_KINDS.items()))
    ap.add_argument("--workdir", help="scratch folder (default: a temporary one, removed at the end)")
    args = ap.parse_args()
    only = set(args.only.split(","))
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="crossref-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    print(f"bench_registry on {os.cpu_count()} cores  [{load()}]")
    try:
        if "cli" in only:
            bench_cli()
        if "lexical" in only:
            bench_lexical([int(s) for s in args.lexical_sizes.split(",") if s], args.lexical_before,
                          [int(s) for s in args.lexical_before_sizes.split(",") if s])
        if "store" in only:
            bench_store(work)
        if "ann" in only:
            bench_ann([int(s) for s in args.sizes.split(",") if s], args.queries)
        if "registry" in only:
            bench_registry(work / "registry", args.registry_units)
        if "dask" in only:
            bench_dask(work / "dask")
        if "pairs" in only:
            bench_pairs(work / "pairs", [int(s) for s in args.pairs_sizes.split(",") if s],
                        [int(s) for s in args.pairs_before_sizes.split(",") if s], args.pairs_before,
                        kinds=tuple(k for k in args.pairs_kinds.split(",") if k))
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s  [{load()}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
