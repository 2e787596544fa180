"""A second, independent reading of certification pairs the references already cover.

    .venv/bin/python benchmarks/second_reference.py [--second FILE] [--passerelle RS:ICD]

``FILE`` (default: the team's reading of the dev alignment's two certification pairs, ICD↔RS and
ICD↔NEOMA, ``data/reference/second_reading/``) aligns certification pairs that
:mod:`benchmarks.reference_sets` already holds. For each, the calibration procedure is fitted
without it (leave-one-certification-pair-out, as ``crossref evaluate --loco``), the pair is scored
by the real pipeline with that fold's artifact, and the script prints how far the two references
agree (pair and relation F1), the model's precision, recall and F1 against each (and pooled), and
the passerelle's bloc coverages under each reference and the model's. The second file is never
fitted on: it is not in ``reference_sets``, so the shipped calibration and every fold ignore it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bloc_coverage import fold_artifacts, reference_coverage  # noqa: E402
from benchmarks.reference_sets import data_paths, gold_paths  # noqa: E402

DEFAULT_SECOND = ROOT / "data" / "reference" / "second_reading" / "second_alignment.csv"


def prf(predicted: set, reference: set) -> tuple[float, float, float]:
    tp = len(predicted & reference)
    p = tp / len(predicted) if predicted else 0.0
    r = tp / len(reference) if reference else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--second", type=Path, default=DEFAULT_SECOND)
    ap.add_argument("--passerelle", default="RS:ICD", help="held:sought, the passerelle to print bloc by bloc")
    args = ap.parse_args()
    from crossref.calibration import cert_pair, cert_pair_name
    from crossref.config import Config
    from crossref.evaluation import read_gold
    from crossref.fitting import read_references
    from crossref.model import Corpus
    from crossref.passerelles import passerelle
    from crossref.pipeline import compute

    second = read_gold(args.second)
    gold = read_references(gold_paths())
    keys = sorted({cert_pair(g.source, g.target) for g in second}, key=sorted)
    missing = [k for k in keys if not any(cert_pair(g.source, g.target) == k for g in gold)]
    if missing:
        raise SystemExit(f"{args.second}: the references do not cover {', '.join(cert_pair_name(k) for k in missing)}")

    def pairs_of(refs: list) -> set:
        return {frozenset((g.source, g.target)) for g in refs}

    def with_relation(refs: list) -> set:
        return {(frozenset((g.source, g.target)), g.relation) for g in refs}

    config = Config()
    held, sought = args.passerelle.split(":")
    pooled: dict[str, set] = {"first": set(), "second": set(), "proposed": set()}
    for key, artifact, corpus in fold_artifacts(config, gold, data_paths(), only=set(keys)):
        name = cert_pair_name(key)
        first = [g for g in gold if cert_pair(g.source, g.target) == key]
        other = [g for g in second if cert_pair(g.source, g.target) == key]
        _, _, f1 = prf(pairs_of(other), pairs_of(first))
        _, _, rel = prf(with_relation(other), with_relation(first))
        print(f"{name}: first reference {len(first)} pairs, second {len(other)}, {len(pairs_of(first) & pairs_of(other))} "
              f"in both: pair F1 {f1:.3f}, relation F1 {rel:.3f}")
        sub = Corpus([c for c in corpus if c.id in key])
        table = compute(config, sub, artifact).pairs
        proposed = {frozenset((s, t)) for s, t, r in zip(table["source"], table["target"], table["relation"])
                    if r != "none"}
        for label, refs in (("first", first), ("second", other)):
            p, r, f = prf(proposed, pairs_of(refs))
            print(f"  model fitted without {name} ({len(proposed)} proposed) against the {label}: "
                  f"P {p:.3f}  R {r:.3f}  F1 {f:.3f}")
        pooled["first"] |= pairs_of(first)
        pooled["second"] |= pairs_of(other)
        pooled["proposed"] |= proposed
        if {held, sought} == set(key):
            model = {x["bloc"]: x["coverage"] for x in passerelle(table, sub, held, sought)["blocs"]}
            ref1, ref2 = reference_coverage(first, sub, held, sought), reference_coverage(other, sub, held, sought)
            print(f"  passerelle {held} → {sought} (bloc: first reference / second reference / model)")
            for bloc in ref1:
                print(f"    {bloc}: {ref1[bloc]:.2f} / {ref2[bloc]:.2f} / {model[bloc]:.2f}")
    if len(keys) > 1:
        _, _, f1 = prf(pooled["second"], pooled["first"])
        print(f"pooled: the two references agree with pair F1 {f1:.3f}; the model, against the first "
              f"{prf(pooled['proposed'], pooled['first'])[2]:.3f}, against the second "
              f"{prf(pooled['proposed'], pooled['second'])[2]:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
