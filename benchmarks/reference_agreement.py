"""Agreement between the two independent annotation passes of the reference alignment.

For each certification pair: pair F1 (pass 1 as reference, pass 2 as
prediction, relation ignored), relation F1 (relation must agree too), and
Cohen's kappa with labels none / partial / equivalent, over every competence
pair of the two certifications and over the union of listed pairs. With
``--disagreements DIR`` it writes, per certification pair, the rows the
adjudicator must decide (listed by one pass only, or with another relation or
direction).

    .venv/bin/python benchmarks/reference_agreement.py data/reference/passes [--disagreements DIR] [--json FILE]

With ``--adjudicated DIR --out FILE`` it writes the shipped alignment: the
pairs both passes list with the same relation and direction, plus the
adjudicator's decisions (``none`` dropped), with their origin.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def read_pass(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {(r["source"].strip(), r["target"].strip()): r for r in csv.DictReader(fh)}


def cohen_kappa(a: list[str], b: list[str]) -> float:
    n = len(a)
    if n == 0:
        return float("nan")
    observed = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def f1(ref: set, pred: set) -> float:
    tp = len(ref & pred)
    return 2 * tp / (len(ref) + len(pred)) if ref or pred else 1.0


def agreement(p1: dict, p2: dict, universe: int) -> dict[str, float]:
    pairs1, pairs2 = set(p1), set(p2)
    rel1 = {(k, v["relation"]) for k, v in p1.items()}
    rel2 = {(k, v["relation"]) for k, v in p2.items()}
    union = sorted(pairs1 | pairs2)
    lab1 = [p1[k]["relation"] if k in p1 else "none" for k in union]
    lab2 = [p2[k]["relation"] if k in p2 else "none" for k in union]
    # Over the full cross product the unlisted pairs agree on "none".
    rest = max(universe - len(union), 0)
    return {
        "pass1": len(p1), "pass2": len(p2), "both": len(pairs1 & pairs2), "universe": universe,
        "pair_f1": round(f1(pairs1, pairs2), 3), "relation_f1": round(f1(rel1, rel2), 3),
        "kappa_all": round(cohen_kappa(lab1 + ["none"] * rest, lab2 + ["none"] * rest), 3),
        "kappa_union": round(cohen_kappa(lab1, lab2), 3),
    }


def competence_counts() -> dict[str, int]:
    from benchmarks.reference_sets import data_paths
    from crossref.config import Config
    from crossref.referentiels import load_corpus

    corpus = load_corpus(Config().data_dir, data_paths())
    return {c.id: sum(1 for x in c.competences if x.kind != "savoir") for c in corpus}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("passes", type=Path)
    ap.add_argument("--disagreements", type=Path)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--adjudicated", type=Path)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    if args.adjudicated and args.out:
        return build(args.passes, args.adjudicated, args.out)
    sizes = competence_counts()
    report = {}
    totals: dict[str, list] = {"a": [], "b": [], "p1": set(), "p2": set(), "r1": set(), "r2": set()}
    for f1_path in sorted(args.passes.glob("*.pass1.csv")):
        name = f1_path.name.removesuffix(".pass1.csv")
        f2_path = f1_path.with_name(f"{name}.pass2.csv")
        if not f2_path.exists():
            continue
        a, b = name.split("__")
        p1, p2 = read_pass(f1_path), read_pass(f2_path)
        report[name] = agreement(p1, p2, sizes[a] * sizes[b])
        union = sorted(set(p1) | set(p2))
        totals["p1"] |= set(p1)
        totals["p2"] |= set(p2)
        totals["r1"] |= {(k, v["relation"]) for k, v in p1.items()}
        totals["r2"] |= {(k, v["relation"]) for k, v in p2.items()}
        totals["a"] += [p1[k]["relation"] if k in p1 else "none" for k in union]
        totals["b"] += [p2[k]["relation"] if k in p2 else "none" for k in union]
        if args.disagreements:
            args.disagreements.mkdir(parents=True, exist_ok=True)
            with open(args.disagreements / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(["source", "target", "pass1_relation", "pass1_direction", "pass1_note",
                            "pass2_relation", "pass2_direction", "pass2_note"])
                for k in union:
                    r1, r2 = p1.get(k, {}), p2.get(k, {})
                    if (r1.get("relation"), r1.get("direction")) != (r2.get("relation"), r2.get("direction")):
                        w.writerow([*k, r1.get("relation", "none"), r1.get("direction", ""), r1.get("note", ""),
                                    r2.get("relation", "none"), r2.get("direction", ""), r2.get("note", "")])
    print(f"{'certification pair':28s} {'pass1':>5s} {'pass2':>5s} {'both':>5s} {'pairF1':>6s} {'relF1':>6s} "
          f"{'kappa':>6s} {'k∪':>6s}")
    for name, r in report.items():
        print(f"{name:28s} {r['pass1']:5d} {r['pass2']:5d} {r['both']:5d} {r['pair_f1']:6.3f} {r['relation_f1']:6.3f} "
              f"{r['kappa_all']:6.3f} {r['kappa_union']:6.3f}")
    overall = {"pair_f1": round(f1(totals["p1"], totals["p2"]), 3),
               "relation_f1": round(f1(totals["r1"], totals["r2"]), 3),
               "kappa_union": round(cohen_kappa(totals["a"], totals["b"]), 3)}
    print(f"{'all':28s} {len(totals['p1']):5d} {len(totals['p2']):5d} {len(totals['p1'] & totals['p2']):5d} "
          f"{overall['pair_f1']:6.3f} {overall['relation_f1']:6.3f} {'':6s} {overall['kappa_union']:6.3f}")
    if args.json:
        args.json.write_text(json.dumps({"per_pair": report, "overall": overall}, indent=2) + "\n")
    return 0


def build(passes: Path, adjudicated: Path, out: Path) -> int:
    rows = []
    for f1_path in sorted(passes.glob("*.pass1.csv")):
        name = f1_path.name.removesuffix(".pass1.csv")
        p1, p2 = read_pass(f1_path), read_pass(f1_path.with_name(f"{name}.pass2.csv"))
        decided = read_pass(adjudicated / f"{name}.csv") if (adjudicated / f"{name}.csv").exists() else {}
        for k in sorted(set(p1) | set(p2)):
            r1, r2 = p1.get(k, {}), p2.get(k, {})
            if (r1.get("relation"), r1.get("direction")) == (r2.get("relation"), r2.get("direction")):
                rows.append([*k, r1["relation"], r1["direction"], "agreed"])
            elif k in decided:
                d = decided[k]
                if d["relation"] != "none":
                    rows.append([*k, d["relation"], d["direction"], "adjudicated"])
            else:
                raise SystemExit(f"{name}: {k} disagrees and has no adjudication")
    with open(out, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["source", "target", "relation", "direction", "origin"])
        w.writerows(rows)
    print(f"{out}: {len(rows)} pairs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
