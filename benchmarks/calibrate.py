"""Matcher variants measured out of sample: leave-one-certification-pair-out with 95 % intervals.

Every variant (a channel set) is fitted and measured by the same procedure as
`crossref calibrate` (crossref.fitting.calibrate): the pair model and its
thresholds are fitted on all certification pairs but one and measured on the
held-out one, for each; predictions are pooled. Nothing is written unless
--write is given (then the default variant's artifact replaces models/calibration.json).

    .venv/bin/python benchmarks/calibrate.py [--gold FILE ...] [--quick] [--write]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.reference_sets import data_paths, gold_paths  # noqa: E402
from crossref.calibration import save_artifact  # noqa: E402
from crossref.config import Config  # noqa: E402
from crossref.fitting import calibrate  # noqa: E402


BASE = {"use-multilingual:text": 1.0, "lexical:full": 1.0, "use-multilingual:core": 0.3}
VARIANTS = {
    "DEFAULT: USE text + lexical full + USE core + e5 text": None,
    "without e5 (USE text + lexical full + USE core)": BASE,
    "lexical full only": {"lexical:full": 1.0},
    "USE text only": {"use-multilingual:text": 1.0},
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--gold", action="append", help="reference alignment CSV (repeatable)")
    ap.add_argument("--quick", action="store_true", help="only the default variant")
    ap.add_argument("--write", action="store_true", help="write the default variant's artifact")
    args = ap.parse_args()
    gold = args.gold or gold_paths()
    base = Config()
    print(f"reference files: {', '.join(Path(g).name for g in gold)}")
    print(f"{'variant (leave-one-certification-pair-out, pooled)':55s} {'H@1':>5s} {'H@3':>5s} {'MRR':>5s} "
          f"{'P':>5s} {'R':>5s} {'F1':>5s}  F1 95 % CI      time")
    for name, channels in VARIANTS.items():
        if args.quick and channels is not None:
            continue
        cfg = base if channels is None else replace(base, matching=replace(base.matching, channels=channels))
        t = time.perf_counter()
        artifact, report = calibrate(cfg, gold, data_paths())
        m = report.metrics
        print(f"{name:55s} {m['hits_at_1'].value:5.3f} {m['hits_at_3'].value:5.3f} {m['mrr'].value:5.3f} "
              f"{m['precision'].value:5.3f} {m['recall'].value:5.3f} {m['f1'].value:5.3f}  "
              f"[{m['f1'].low:.3f}, {m['f1'].high:.3f}]  {time.perf_counter() - t:.1f}s", flush=True)
        if channels is None and args.write:
            save_artifact(artifact, cfg.matching.calibration)
            print(f"  written: {cfg.matching.calibration}")
    targets = {"MRR": 0.80, "Hits@1": 0.70, "F1": 0.60}
    print(f"targets out of sample: {targets}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
