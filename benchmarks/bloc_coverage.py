"""Passerelle bloc coverage against the reference alignments, out of sample.

    .venv/bin/python benchmarks/bloc_coverage.py [--out coverage.json]

For each certification pair of the reference alignments (dev, team, built-in), the whole
calibration procedure (adapter, pair model, thresholds) is fitted on the other certification pairs
(leave-one-certification-pair-out, as ``crossref evaluate --loco``), the held-out pair is scored by
the real pipeline with that fold's artifact, and the passerelle's bloc coverages in both
directions are compared with the reference's own: a target competence earns the credit of its best
reference pair (équivalente 1, partielle 0.5), a bloc the mean over its competences (savoirs
excluded), the rule of ``crossref.coverage``. Printed: the mean absolute error over every bloc,
how often two blocs of one passerelle are ordered as the reference orders them (pairs of blocs
whose reference coverages differ), and the passerelle RS → ICD.
"""

from __future__ import annotations

import argparse
import json
import sys
from itertools import combinations
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.reference_sets import data_paths, gold_paths  # noqa: E402


def reference_coverage(gold, corpus, source: str, target: str) -> dict[str, float]:
    """Bloc -> coverage of ``target``'s blocs by ``source`` under the reference alignment."""
    from crossref.evaluation import _cert

    credit: dict[str, float] = {}
    for g in gold:
        for s, t in ((g.source, g.target), (g.target, g.source)):
            if _cert(s) == source and _cert(t) == target:
                credit[t] = max(credit.get(t, 0.0), 1.0 if g.relation == "equivalent" else 0.5)
    return _bloc_means(corpus, target, credit)


def _bloc_means(corpus, target: str, credit: dict[str, float]) -> dict[str, float]:
    cert = next(c for c in corpus if c.id == target)
    out = {}
    for bloc in cert.blocs:
        comps = [c.id for c in cert.competences if c.bloc_id == bloc.id and c.kind != "savoir"]
        if comps:
            out[bloc.id] = float(np.mean([credit.get(c, 0.0) for c in comps]))
    return out


def fold_artifacts(config, gold, extra, only=None):
    """(held-out certification pair, artifact fitted without it) for every labelled pair (``only``:
    for these certification pairs, frozensets of two ids)."""
    from crossref.calibration import Artifact, fit_with_adapter
    from crossref.fitting import reference_data

    stats, data, _, names, corpus, _, adapter_data = reference_data(config, gold, extra)
    folds = [b for b in data if b.y.any()]
    m = config.matching
    for test in folds:
        if only is not None and test.key not in only:
            continue
        train = [b for b in folds if b.key != test.key]
        model, adapter = fit_with_adapter(train, names, adapter_data)
        yield test.key, Artifact(stats, dict(m.channels), m.hubness, m.hubness_k, model, 0.0, 1.0, {}, adapter), corpus


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--dump", type=Path, help="write each fold's pairs table here (pickle)")
    args = ap.parse_args()
    from crossref.config import Config
    from crossref.fitting import read_references
    from crossref.model import Corpus
    from crossref.passerelles import passerelle
    from crossref.pipeline import compute

    config = Config()
    gold = read_references(gold_paths())
    rows = []
    for key, artifact, corpus in fold_artifacts(config, gold, data_paths()):
        a, b = sorted(key)
        sub = Corpus([c for c in corpus if c.id in key])
        pairs = compute(config, sub, artifact).pairs
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            pairs.to_pickle(args.dump / f"{a}-{b}.pkl")
        for s, t in ((a, b), (b, a)):
            model = {x["bloc"]: x["coverage"] for x in passerelle(pairs, sub, s, t)["blocs"]}
            for bloc, cov in reference_coverage(gold, sub, s, t).items():
                rows.append({"source": s, "target": t, "bloc": bloc, "reference": cov, "model": model[bloc]})
        print(f"{a}↔{b} done", file=sys.stderr, flush=True)
    ref = np.array([r["reference"] for r in rows])
    mod = np.array([r["model"] for r in rows])
    agree = total = 0
    by_passerelle: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        by_passerelle.setdefault((row["source"], row["target"]), []).append(row)
    for blocs in by_passerelle.values():
        for x, y in combinations(blocs, 2):
            if x["reference"] == y["reference"]:
                continue
            total += 1
            agree += (x["model"] - y["model"]) * (x["reference"] - y["reference"]) > 0
    print(f"blocs {len(rows)} in {len(by_passerelle)} passerelles: MAE {np.abs(ref - mod).mean():.3f}, "
          f"bias {np.mean(mod - ref):+.3f}, bloc pairs ordered as the reference {agree}/{total} "
          f"({agree / max(total, 1):.3f})")
    for row in by_passerelle.get(("RS", "ICD"), []):
        print(f"RS → ICD {row['bloc']}: reference {row['reference']:.2f}, model {row['model']:.2f}")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
