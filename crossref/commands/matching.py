"""`crossref pairs` and `crossref evaluate`."""

from __future__ import annotations

import argparse

from crossref.commands._common import FORMAT_CSV_JSON, OUT, arg, command, results_for, write_output
from crossref.config import Config
from crossref.labels import fr_decimal


@command("pairs", "score de chaque paire ordonnée de compétences de certifications différentes", FORMAT_CSV_JSON, OUT,
         arg("--all-columns", action="store_true", help="toutes les colonnes de la table des paires, pas seulement les cinq principales"))
def _pairs(args: argparse.Namespace, config: Config) -> int:
    from crossref.explanations import fill_explanations
    from crossref.tables import pairs_summary_table, render_table

    results = results_for(args, config)
    if args.all_columns:
        write_output(render_table(fill_explanations(results.pairs), args.format, "pairs"), args.out)
    else:
        write_output(render_table(pairs_summary_table(results.pairs), args.format, "pairs_summary"), args.out)
    return 0


def _print_loco(report) -> None:
    names = {"hits_at_1": "Hits@1", "hits_at_3": "Hits@3", "mrr": "MRR", "precision": "Précision",
             "recall": "Rappel", "f1": "F1"}
    print(f"Hors échantillon : une paire de certifications laissée de côté à la fois ({report.folds} plis, "
          f"{report.reference_pairs} paires de référence), IC 95 % par bootstrap")
    for key, label in names.items():
        v = report.metrics[key]
        print(f"{label:10s}{_fr(v.value)}   [{_fr(v.low)} ; {_fr(v.high)}]")
    print("\nPar paire de certifications tenue à l'écart :")
    for fold, m in report.per_fold.items():
        print(f"  {fold:24s} MRR {_fr(m.mrr)}  Hits@1 {_fr(m.hits_at_1)}  F1 {_fr(m.f1)}  "
              f"({m.gold} paires de référence)")


def _fr(x: float) -> str:
    return fr_decimal(x, 3)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n <= 1 else many}"  # French: 0 and 1 take the singular


@command("evaluate", "mesure l'appariement contre un alignement de référence",
         arg("--gold", required=True, action="append", help="CSV avec les colonnes source,target,relation (répétable)"),
         arg("--loco", action="store_true",
             help="mesure hors échantillon : ajuste sur toutes les paires de certifications sauf une, mesure sur "
                  "celle-ci, pour chacune"),
         arg("--format", choices=["text", "json"], default="text"))
def _evaluate(args: argparse.Namespace, config: Config) -> int:
    from crossref.calibration import evaluate_pairs, fitted_on
    from crossref.fitting import read_references
    from crossref.io import dumps_json
    from crossref.pipeline import load_configured_artifact

    if args.loco:
        from crossref.fitting import calibrate

        _, report = calibrate(config, args.gold, args.data or [])
        if args.format == "json":
            print(dumps_json(report.to_dict()), end="")
        else:
            _print_loco(report)
        return 0
    gold = read_references(args.gold)
    results = results_for(args, config)
    m = evaluate_pairs(results.pairs, results.corpus, gold)
    seen, cert_pairs = fitted_on(gold, load_configured_artifact(config))
    if args.format == "json":
        print(dumps_json({**m.to_dict(), "in_sample": {"reference_pairs": seen, "certification_pairs": cert_pairs}}),
              end="")
    else:
        print(f"Hits@1    {_fr(m.hits_at_1)}\nHits@3    {_fr(m.hits_at_3)}\nMRR       {_fr(m.mrr)}   "
              f"({m.queries} requêtes)\nPrécision {_fr(m.precision)}\nRappel    {_fr(m.recall)}\n"
              f"F1        {_fr(m.f1)}   ({_count(m.true_positives, 'vrai positif', 'vrais positifs')} / "
              f"{_count(m.predicted, 'prédite', 'prédites')} / {m.gold} de référence)")
        if seen:
            print(f"En échantillon : {seen} des {len(gold)} paires de référence appartiennent à des paires de "
                  f"certifications sur lesquelles l'artefact a été ajusté ({', '.join(cert_pairs)}) ; ces "
                  "chiffres sont optimistes, --loco les mesure hors échantillon.")
        else:
            print("Hors échantillon : aucune de ces paires de certifications n'a servi à ajuster l'artefact.")
    return 0


@command("calibrate", "ajuste l'artefact de calibration (statistiques des canaux, modèle de paires, seuils) sur "
                      "des alignements de référence, mesuré hors échantillon",
         arg("--gold", required=True, action="append", help="CSV source,target,relation (répétable)"),
         arg("--out", help="fichier de l'artefact (défaut : matching.calibration de la configuration)"))
def _calibrate(args: argparse.Namespace, config: Config) -> int:
    import sys

    from crossref.calibration import save_artifact
    from crossref.fitting import calibrate

    artifact, report = calibrate(config, args.gold, args.data or [])
    out = args.out or config.matching.calibration
    save_artifact(artifact, out)
    _print_loco(report)
    print(f"écrit : {out}", file=sys.stderr)
    return 0
