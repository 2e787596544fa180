"""Are the adapter's settings chosen on the test folds? A sensitivity grid and a nested choice.

The adapter's rank, number of steps and weight decay (crossref.adapter.AdapterSettings) were
first picked from a few leave-one-certification-pair-out runs, i.e. on the folds the figures are
reported on. This script measures both ways of making that honest, in one pass:

- sensitivity: every setting of a 3 x 3 x 3 grid (rank 8/16/32, steps 30/60/120, weight decay
  0.03/0.1/0.3), each measured leave-one-certification-pair-out exactly as `crossref evaluate
  --loco` does (adapter and pair model fitted inside each fold, adapter column cross-fitted over
  3 groups, pooled predictions, bootstrap 95 % intervals);
- nested: inside each outer fold, the setting is chosen by an inner cross-validation on the 14
  training certification pairs only (the 3 cross-fitting groups: pair model fitted on two groups'
  out-of-fold adapter columns, scored on the third; criterion inner MRR + inner F1), then the
  outer fold is scored with the chosen setting. The held-out pair never influences the choice.

    .venv/bin/python benchmarks/adapter_selection.py [--gold FILE ...]
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")          # small matrices: threads only contend
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crossref.adapter import AdapterSettings  # noqa: E402
from crossref.calibration import (ADAPTER_FOLDS, _bootstrap, cert_pair, cert_pair_name, cross_fitted,  # noqa: E402
                                  evaluate, fit_block_adapter, fit_model, held_out_predictions,
                                  with_adapter_column)
from crossref.config import Config  # noqa: E402
from crossref.features import ADAPTER_FEATURE  # noqa: E402
from crossref.fitting import read_references, reference_data  # noqa: E402

from benchmarks.reference_sets import data_paths, gold_paths  # noqa: E402
GRID = [AdapterSettings(r, s, w) for r, s, w in itertools.product((8, 16, 32), (30, 60, 120), (0.03, 0.1, 0.3))]


def predictions(model, blocks):
    scores, proposed = {}, []
    for b in blocks:
        p = model.predict(b.x)
        s, q = held_out_predictions(b, p, p >= model.partial_threshold)
        scores.update(s)
        proposed += q
    return scores, proposed


def inner_score(crossed, names, gold, candidates, c):
    """Inner cross-validation over the cross-fitting groups: MRR + F1 of the pooled inner predictions."""
    import numpy as np

    groups = np.arange(len(crossed)) % ADAPTER_FOLDS
    scores, proposed = {}, []
    for g in range(ADAPTER_FOLDS):
        model = fit_model([b for b, k in zip(crossed, groups) if k != g], names, c)
        s, p = predictions(model, [b for b, k in zip(crossed, groups) if k == g])
        scores.update(s)
        proposed += p
    keys = {b.key for b in crossed}
    m = evaluate(scores, candidates, proposed, [g for g in gold if cert_pair(g.source, g.target) in keys])
    return m.mrr + m.f1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gold", action="append", help="reference alignment CSV (repeatable)")
    args = ap.parse_args()
    gold = read_references(args.gold or gold_paths())
    _, data, candidates, names, _, _, adapter_data = reference_data(Config(), gold, data_paths())
    assert adapter_data is not None
    blocks = [b for b in data if b.y.any()]
    full_names = names + (ADAPTER_FEATURE,)
    c = 0.3
    outer = {s: ({}, []) for s in GRID}
    nested: tuple[dict, list] = ({}, [])
    chosen = []
    for test in blocks:
        train = [b for b in blocks if b.key != test.key]
        inner, fold = {}, {}
        for s in GRID:
            crossed = cross_fitted(train, adapter_data, s)
            inner[s] = inner_score(crossed, full_names, gold, candidates, c)
            model = fit_model(crossed, full_names, c)
            adapter = fit_block_adapter(adapter_data, train, s)
            fold[s] = predictions(model, [with_adapter_column(test, adapter, adapter_data)])
            outer[s][0].update(fold[s][0])
            outer[s][1].extend(fold[s][1])
        best = max(GRID, key=lambda s: inner[s])
        chosen.append(best)
        nested[0].update(fold[best][0])
        nested[1].extend(fold[best][1])
        print(f"{cert_pair_name(test.key):22s} chosen rank {best.rank} steps {best.steps} "
              f"decay {best.weight_decay}", flush=True)
    tested = {b.key for b in blocks}
    gold_in = [g for g in gold if cert_pair(g.source, g.target) in tested]

    def row(label, scores, proposed):
        m = _bootstrap(scores, candidates, proposed, gold_in)
        print(f"| {label} | " + " | ".join(f"{m[k].value:.3f} [{m[k].low:.3f}–{m[k].high:.3f}]"
                                           for k in ("hits_at_1", "mrr", "precision", "recall", "f1")) + " |",
              flush=True)
        return m

    print("| setting | Hits@1 | MRR | precision | recall | F1 |\n|---|---|---|---|---|---|")
    figures = {s: row(f"rank {s.rank}, {s.steps} steps, decay {s.weight_decay}", *outer[s]) for s in GRID}
    row("nested choice (inner CV per fold)", *nested)
    for k in ("hits_at_1", "mrr", "f1"):
        v = sorted(m[k].value for m in figures.values())
        print(f"{k}: grid min {v[0]:.3f}, median {v[len(v) // 2]:.3f}, max {v[-1]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
