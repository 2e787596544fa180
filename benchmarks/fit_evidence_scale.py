"""Fit the VAE evidence scale (crossref.evidence.EvidenceScale) on the labelled narratives of
tests/data/vae/, by a small grid search; then measure it, unchanged, on tests/data/vae_heldout/.

    PYTHONPATH=. .venv/bin/python benchmarks/fit_evidence_scale.py

Each text is embedded once (its standardised parts are kept); every scale of the grid then
runs the real analysis (:func:`crossref.passerelles.vae`: activity rule, adjacent sentences,
thresholds). Objective on the tuning narratives: F0.5 of "evidenced" at the shipped threshold,
ties broken by the log-loss of the best score (labelled-evidenced near 1, absent near 0).
Prints the best scale, to be copied by hand into EvidenceScale's defaults.
"""

from __future__ import annotations

import itertools
import math
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.vae_heldout import HELDOUT, load_labels, measure, report  # noqa: E402

TUNING = ROOT / "tests" / "data" / "vae"
# F-beta with beta < 1: a false « attestée » misleads the advisor more than a miss, which still
# shows as « à la limite » with its sentence and score.
BETA = 0.5
GRID = {  # few free parameters: the tuning narratives are few (a richer grid fits them perfectly and
    # does worse held out: a stemmed match against the whole statement and a free scale were tried
    # and dropped)
    "core_weight": (0.0, 0.25, 0.5),
    "stem_weight": (0.0, 0.25, 0.5, 0.75, 1.0),
    "no_object_penalty": (0.0, 0.5, 1.0, 2.0),
    "center": tuple(round(1.0 + 0.2 * i, 2) for i in range(12)),
}


def _log_loss(analyse, narratives) -> float:
    total, n = 0.0, 0
    for _, text, by_target in narratives:
        for target, labels in by_target.items():
            scores = {e["competence"]: min(max(e["score"], 1e-3), 1 - 1e-3) for e in analyse(text, target)["competences"]}
            for cid, truth in labels.items():
                total -= math.log(scores[cid] if truth else 1 - scores[cid])
                n += 1
    return total / max(n, 1)


def main() -> int:
    from crossref.evidence import EvidenceScale
    from crossref.passerelles import vae
    from crossref.pipeline import run

    results = run()
    scorer = results.text_scorer()
    memo: dict[tuple, dict] = {}
    plain_parts = scorer.parts

    def parts(texts, ids):
        key = (tuple(texts), tuple(ids))
        if key not in memo:
            memo[key] = plain_parts(texts, ids)
        return memo[key]

    scorer.parts = parts  # type: ignore[method-assign]
    tuning, heldout = load_labels(TUNING), load_labels(HELDOUT)

    def analyse(text, target):
        return vae(results, text, target)

    shipped = scorer.scale
    best = None
    for values in itertools.product(*GRID.values()):
        scorer.scale = replace(shipped, **dict(zip(GRID, values, strict=True)))
        m = measure(analyse, tuning)
        p, r = m["precision"], m["recall"]
        f1 = 0.0 if not (p + r) or math.isnan(p) else (1 + BETA**2) * p * r / (BETA**2 * p + r)
        key = (round(f1, 4), -_log_loss(analyse, tuning))
        if best is None or key > best[0]:
            best = (key, scorer.scale)
    assert best is not None
    for title, scale in (("échelle livrée", shipped), ("échelle ajustée", best[1])):
        scorer.scale = scale
        print(f"--- {title} : {scale}")
        report(measure(analyse, tuning), "réglage (tests/data/vae, dans l'échantillon)")
        report(measure(analyse, heldout), "hors échantillon (tests/data/vae_heldout)")
    print(f"défaut d'EvidenceScale à recopier : {best[1]}  (objectif F0,5, -log-loss = {best[0]})")
    scorer.scale = EvidenceScale()
    return 0


if __name__ == "__main__":
    sys.exit(main())
