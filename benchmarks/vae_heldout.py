"""VAE evidence quality on labelled narratives (tests/data/vae_heldout/ by default).

Each narrative ``NAME.txt`` has ``NAME.csv`` (competence, evidenced 0/1, reason):
the competences of ICD and NEOMA it plainly evidences (1) and plainly does not
(0), written from the référentiels and the narrative only, before any score was
seen. Unlabelled competences are left out of the figures.

    PYTHONPATH=. .venv/bin/python benchmarks/vae_heldout.py [DIR]

Prints, at the shipped threshold (a competence is evidenced when its state is
« attestée » or « attestée en partie »): precision and recall of "evidenced";
the rank (1 = first) of each labelled-evidenced competence among its target's
competences sorted by best score (what the advisor sees sorted); the AUC of the
best score between labelled-evidenced and labelled-absent competences.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HELDOUT = ROOT / "tests" / "data" / "vae_heldout"


def load_labels(directory: Path) -> list[tuple[str, str, dict[str, dict[str, int]]]]:
    """(name, text, {target: {competence: 0/1}}) per labelled narrative of ``directory``."""
    out = []
    for txt in sorted(directory.glob("*.txt")):
        labels: dict[str, dict[str, int]] = {}
        with open(txt.with_suffix(".csv"), encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                cid = row["competence"].strip()
                labels.setdefault(cid.split(":")[0], {})[cid] = int(row["evidenced"])
        out.append((txt.stem, txt.read_text(encoding="utf-8"), labels))
    return out


def _auc(pos: list[float], neg: list[float]) -> float:
    if not pos or not neg:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def measure(analyse: Callable[[str, str], dict], narratives: list) -> dict[str, Any]:
    """Figures of ``analyse(text, target) -> vae result`` on labelled narratives."""
    tp = fp = fn = 0
    ranks: list[int] = []
    pos: list[float] = []
    neg: list[float] = []
    misses: list[str] = []
    false: list[str] = []
    for name, text, by_target in narratives:
        for target, labels in by_target.items():
            r = analyse(text, target)
            entries = {e["competence"]: e for e in r["competences"]}
            order = sorted(entries, key=lambda c: -entries[c]["score"])
            for cid, truth in labels.items():
                e = entries[cid]
                said = e["state"] in ("equivalent", "partial")
                (pos if truth else neg).append(e["score"])
                if truth:
                    ranks.append(order.index(cid) + 1)
                tp += said and truth
                fp += said and not truth
                fn += (not said) and truth
                if truth and not said:
                    misses.append(f"{name} {cid} {e['score']:.2f} « {e['best'][:70]} »")
                if said and not truth:
                    false.append(f"{name} {cid} {e['score']:.2f} « {e['best'][:70]} »")
    return {
        "precision": tp / (tp + fp) if tp + fp else float("nan"),
        "recall": tp / (tp + fn) if tp + fn else float("nan"),
        "tp": tp, "fp": fp, "fn": fn,
        "median_rank": sorted(ranks)[len(ranks) // 2] if ranks else float("nan"),
        "top3": sum(r <= 3 for r in ranks) / len(ranks) if ranks else float("nan"),
        "auc": _auc(pos, neg),
        "misses": misses, "false": false,
    }


def report(m: dict[str, Any], title: str) -> None:
    print(f"{title}: précision {m['precision']:.2f}, rappel {m['recall']:.2f} "
          f"(VP {m['tp']}, FP {m['fp']}, FN {m['fn']}), rang médian {m['median_rank']}, "
          f"dans les 3 premiers {m['top3']:.0%}, AUC {m['auc']:.3f}")
    for line in m["misses"]:
        print("  manquée   ", line)
    for line in m["false"]:
        print("  à tort    ", line)


def main(argv: list[str]) -> int:
    from crossref.passerelles import vae
    from crossref.pipeline import run

    directory = Path(argv[0]) if argv else HELDOUT
    results = run()
    results.text_scorer()
    report(measure(lambda text, target: vae(results, text, target), load_labels(directory)),
           f"{directory.name} ({'hors échantillon' if directory == HELDOUT else 'échantillon de réglage'})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
