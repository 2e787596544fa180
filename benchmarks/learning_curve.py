"""Does more reference data help? Leave-one-certification-pair-out with fewer training pairs.

    .venv/bin/python benchmarks/learning_curve.py [--sizes 4,7,10,14] [--repeats 3] [--test-gold FILE ...]

For each held-out certification pair, the shipped procedure (adapter, pair model, thresholds) is
fitted on a random subset of ``size`` of the other certification pairs (``repeats`` draws), and
the held-out pair's predictions are pooled as in ``crossref evaluate --loco``. If the figures
still rise at the full size, annotating more certification pairs is the way to a better matcher.
With ``--test-gold``, only the certification pairs of those files are held out (and measured),
while training draws from every reference pair: the same test folds with more training data.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.reference_sets import data_paths, gold_paths  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="4,7,10,14")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--test-gold", action="append", help="hold out only the certification pairs of these files")
    args = ap.parse_args()
    from crossref.calibration import _fold_model, cert_pair, held_out_predictions
    from crossref.config import Config
    from crossref.evaluation import evaluate
    from crossref.fitting import read_references, reference_data

    gold = read_references(gold_paths())
    _, data, candidates, names, _, _, adapter_data = reference_data(Config(), gold, data_paths())
    folds = [b for b in data if b.y.any()]
    test_keys = ({cert_pair(g.source, g.target) for g in read_references(args.test_gold)} if args.test_gold
                 else {b.key for b in folds})
    tests = [b for b in folds if b.key in test_keys]
    print(f"{len(tests)} held-out certification pairs, {len(folds)} in all", flush=True)
    rng = np.random.default_rng(0)
    for size in [int(s) for s in args.sizes.split(",")]:
        reps = 1 if size >= len(folds) - 1 else args.repeats
        figures = []
        for _ in range(reps):
            scores: dict = {}
            predicted: list = []
            for test in tests:
                others = [b for b in folds if b.key != test.key]
                train = [others[i] for i in sorted(rng.choice(len(others), size=min(size, len(others)),
                                                              replace=False))]
                model, scored = _fold_model(train, test, names, 0.3, adapter_data)
                p = model.predict(scored.x)
                fold_scores, fold_pred = held_out_predictions(test, p, p >= model.partial_threshold)
                scores.update(fold_scores)
                predicted += fold_pred
            m = evaluate(scores, candidates, predicted, [g for g in gold if cert_pair(g.source, g.target) in test_keys])
            figures.append((m.hits_at_1, m.mrr, m.precision, m.recall, m.f1))
        f = np.array(figures)
        print(f"train pairs {size:2d} ({reps} draws): Hits@1 {f[:, 0].mean():.3f}  MRR {f[:, 1].mean():.3f}  "
              f"P {f[:, 2].mean():.3f}  R {f[:, 3].mean():.3f}  F1 {f[:, 4].mean():.3f} "
              f"(draws {', '.join(f'{x:.3f}' for x in f[:, 4])})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
