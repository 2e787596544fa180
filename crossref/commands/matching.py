"""`crossref pairs` and `crossref evaluate`."""

from __future__ import annotations

import argparse

from crossref.cli import FORMAT_CSV_JSON, OUT, _out, arg, command
from crossref.config import Config


@command("pairs", "score de chaque paire ordonnée de compétences de certifications différentes", FORMAT_CSV_JSON, OUT,
         arg("--all-columns", action="store_true", help="toutes les colonnes de la table des paires, pas seulement les cinq principales"))
def _pairs(args: argparse.Namespace, config: Config) -> int:
    from crossref.pipeline import run
    from crossref.tables import pairs_summary_table, render_table

    results = run(config, args.data or [])
    if args.all_columns:
        _out(render_table(results.pairs, args.format, "pairs"), args.out)
    else:
        _out(render_table(pairs_summary_table(results.pairs), args.format, "pairs_summary"), args.out)
    return 0


@command("evaluate", "mesure l'appariement contre un alignement de référence",
         arg("--gold", required=True, help="CSV avec les colonnes source,target,relation"),
         arg("--format", choices=["text", "json"], default="text"))
def _evaluate(args: argparse.Namespace, config: Config) -> int:
    from crossref.calibration import evaluate_pairs
    from crossref.evaluation import read_gold
    from crossref.io import dumps_json
    from crossref.pipeline import run

    gold = read_gold(args.gold)
    results = run(config, args.data or [])
    m = evaluate_pairs(results.pairs, results.corpus, gold)
    if args.format == "json":
        print(dumps_json(m.to_dict()), end="")
    else:
        print(f"Hits@1    {m.hits_at_1:.3f}\nHits@3    {m.hits_at_3:.3f}\nMRR       {m.mrr:.3f}   "
              f"({m.queries} requêtes)\nPrécision {m.precision:.3f}\nRappel    {m.recall:.3f}\n"
              f"F1        {m.f1:.3f}   ({m.true_positives} vrais positifs / {m.predicted} prédites / "
              f"{m.gold} de référence)")
    return 0
