"""How far the supervised adapter transfers: the pair model with and without it, under three protocols.

- pair: leave one certification pair out (what `crossref evaluate --loco` reports). The held-out
  pair's certifications keep their other reference pairs in training, which the adapter learns
  from: it measures a new pair of known certifications.
- new-cert: leave one certification out. For each certification C, everything (adapter, pair
  model, thresholds) is fitted on the reference pairs not involving C; the queries are C's
  competences against the other certification of each of C's pairs (known from its other pairs).
  This is importing a new certification and comparing it with known ones.
- both-new: for each certification pair, fitted on the pairs involving neither certification.

Figures are pooled over folds; differences come with paired bootstrap 95 % intervals (2,000
resamples of queries for MRR/Hits@1, of source competences for F1).

    .venv/bin/python benchmarks/adapter_protocols.py [--gold FILE ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crossref.calibration import fit_model, fit_with_adapter, with_adapter_column  # noqa: E402
from crossref.config import Config  # noqa: E402
from crossref.fitting import read_references, reference_data  # noqa: E402

from benchmarks.reference_sets import data_paths, gold_paths  # noqa: E402


def folds(blocks, protocol):
    """(training blocks, test blocks, source certification or None) per fold."""
    if protocol == "new-cert":
        for c in sorted({k for b in blocks for k in b.key}):
            yield [b for b in blocks if c not in b.key], [b for b in blocks if c in b.key], c
    else:
        for t in blocks:
            disjoint = protocol == "both-new"
            yield [b for b in blocks if (not (b.key & t.key) if disjoint else b.key != t.key)], [t], None


def directed(blocks, names, adapter_data, protocol, c=0.3):
    """Scores and proposals keyed by (source, target), the source in the held-out side."""
    scores, proposed = {}, set()
    for train, test, source in folds(blocks, protocol):
        if adapter_data is None:
            model, scored = fit_model(train, names, c), test
        else:
            model, adapter = fit_with_adapter(train, names, adapter_data, c)
            scored = [with_adapter_column(b, adapter, adapter_data) for b in test]
        for b in scored:
            for (x, y), s in zip(b.pairs, model.predict(b.x)):
                for src, dst in ((x, y), (y, x)):
                    if source is None or src.split(":")[0] == source:
                        scores[(src, dst)] = float(s)
                        if s >= model.partial_threshold:
                            proposed.add((src, dst))
    return scores, proposed


def units(scores, proposed, gold, candidates):
    """Per query (source, target certification): rank of its best reference match; per source
    competence: (true proposals, proposals, reference pairs)."""
    links: dict[tuple[str, str], set[str]] = {}
    for g in gold:
        for s, t in ((g.source, g.target), (g.target, g.source)):
            if (s, t) in scores:
                links.setdefault((s, t.split(":")[0]), set()).add(t)
    ranks = {}
    for (a, cert), matches in links.items():
        best = max(scores[(a, b)] for b in matches)
        ranks[(a, cert)] = 1 + sum(1 for b in candidates[cert] if b not in matches and scores.get((a, b), -1.0) >= best)
    ref = {(a, b) for (a, _), ms in links.items() for b in ms}
    counts = {}
    for src in {a for a, _ in ref} | {a for a, _ in proposed}:
        p = {pq for pq in proposed if pq[0] == src}
        counts[src] = (len(p & ref), len(p), sum(1 for r in ref if r[0] == src))
    return ranks, counts


def f1(c):
    return 2 * c[0] / (c[1] + c[2]) if c[1] + c[2] else 0.0


def compare(base, new, n=2000, seed=1):
    (rb, cb), (rn, cn) = base, new
    queries = sorted(rb)
    r0 = np.array([rb[q] for q in queries], float)
    r1 = np.array([rn[q] for q in queries], float)
    srcs = sorted(set(cb) | set(cn))
    c0 = np.array([cb.get(s, (0, 0, cn.get(s, (0, 0, 0))[2])) for s in srcs], float)
    c1 = np.array([cn.get(s, (0, 0, cb.get(s, (0, 0, 0))[2])) for s in srcs], float)
    rng = np.random.default_rng(seed)
    d = {"MRR": [], "Hits@1": [], "F1": []}
    for _ in range(n):
        q = rng.integers(0, len(queries), len(queries))
        k = rng.integers(0, len(srcs), len(srcs))
        d["MRR"].append(np.mean(1 / r1[q]) - np.mean(1 / r0[q]))
        d["Hits@1"].append(np.mean(r1[q] <= 1) - np.mean(r0[q] <= 1))
        d["F1"].append(f1(c1[k].sum(0)) - f1(c0[k].sum(0)))
    point = {"MRR": np.mean(1 / r1) - np.mean(1 / r0), "Hits@1": np.mean(r1 <= 1) - np.mean(r0 <= 1),
             "F1": f1(c1.sum(0)) - f1(c0.sum(0))}
    return "  ".join(f"Δ{k} {point[k]:+.3f} [{np.percentile(v, 2.5):+.3f}, {np.percentile(v, 97.5):+.3f}]"
                     for k, v in d.items())


def line(label, ranks, counts):
    r = np.array(list(ranks.values()), float)
    c = np.array(list(counts.values()), float).sum(0)
    return (f"{label:28s} Hits@1 {np.mean(r <= 1):.3f}  MRR {np.mean(1 / r):.3f}  P {c[0] / c[1]:.3f}  "
            f"R {c[0] / c[2]:.3f}  F1 {f1(c):.3f}  ({len(r)} queries)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gold", action="append", help="reference alignment CSV (repeatable)")
    ap.add_argument("--protocol", action="append", choices=["pair", "new-cert", "both-new"])
    args = ap.parse_args()
    gold = read_references(args.gold or gold_paths())
    _, data, candidates, names, _, _, adapter_data = reference_data(Config(), gold, data_paths())
    blocks = [b for b in data if b.y.any()]
    for protocol in args.protocol or ["pair", "new-cert", "both-new"]:
        base = units(*directed(blocks, names, None, protocol), gold, candidates)
        new = units(*directed(blocks, names, adapter_data, protocol), gold, candidates)
        print(f"{protocol}:\n  {line('pair model', *base)}\n  {line('pair model + adapter', *new)}\n"
              f"  {compare(base, new)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
