"""`crossref registry index` and `crossref registry search`: the whole France Compétences registry."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crossref.commands._common import OUT, arg, command, corpus_files, write_output
from crossref.config import Config
from crossref.errors import CrossrefError


def registry_dir(args: argparse.Namespace, config: Config) -> Path:
    from crossref.registry import default_dir

    return Path(args.dir) if args.dir else default_dir(config)


def make_registry_embedder(backend: str, config: Config):
    from crossref.registry import registry_embedder

    return registry_embedder(backend, config)


def _pct(x: float) -> str:
    return f"{x * 100:.0f} %"


def _fr(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


DIR = arg("--dir", help="dossier du registre (défaut : DATA_DIR/registry)")
BACKEND = arg("--backend", default="use-multilingual",
              help="modèle d'embedding du registre (défaut : use-multilingual)")


@command("registry", "registre France Compétences entier : « index » (ingestion et indexation "
                     "incrémentales), « search » (certifications les plus proches d'une fiche)",
         arg("action", choices=["index", "search"]),
         arg("--export", help="index : export XML France Compétences (toutes les fiches RNCP et RS)"),
         arg("--blocs-csv", help="index : fichier des blocs de l'export CSV (intitulés des blocs)"),
         arg("--all-fiches", action="store_true", help="index : garder aussi les fiches inactives"),
         arg("--scheduler", help="index : adresse d'un ordonnanceur Dask (tcp://hôte:8786) ; "
                                 "l'embedding et la recherche des candidats tournent sur ses workers"),
         arg("--candidates", type=int, default=0, metavar="K",
             help="index : calcule aussi les K plus proches compétences d'autres fiches pour chaque compétence"),
         arg("--fiche", help="search : numéro de fiche du registre (RNCP38938) ou certification locale (ICD)"),
         arg("--top", type=int, default=10, help="search : nombre de certifications listées"),
         arg("--format", choices=["table", "json"], default="table"),
         DIR, BACKEND, OUT)
def _registry(args: argparse.Namespace, config: Config) -> int:
    from crossref.registry import Registry

    reg = Registry(registry_dir(args, config), cache_dir=config.embedding.cache_dir)
    if args.action == "index":
        return _index(args, config, reg)
    return _search(args, config, reg)


def _index(args: argparse.Namespace, config: Config, reg) -> int:
    if args.export:
        rep = reg.ingest(args.export, blocs_csv=args.blocs_csv, active_only=not args.all_fiches)
        inactive = sum(1 for s in rep.skipped if s["reason"] == "fiche inactive")
        unreadable = [s for s in rep.skipped if s["reason"] != "fiche inactive"]
        seconds = f"{rep.seconds:.1f}".replace(".", ",")
        print(f"registre : {_fr(rep.fiches)} fiches, {_fr(rep.units)} compétences "
              f"({rep.added} nouvelles fiches, {rep.changed} modifiées, {rep.unchanged} inchangées, "
              f"{rep.removed} retirées ; {inactive} inactives et {len(unreadable)} illisibles ignorées) "
              f"en {seconds} s", file=sys.stderr)
        for s in unreadable[:20]:
            print(f"  fiche {s['fiche']} (ligne {s['line']}) ignorée : {s['reason']}", file=sys.stderr)
    elif args.blocs_csv:
        raise CrossrefError("--blocs-csv accompagne --export")
    embedder = make_registry_embedder(args.backend, config)
    rep = reg.index(embedder, scheduler=args.scheduler)
    where = f"sur {rep.workers} worker(s) Dask" if args.scheduler else "dans ce processus"
    seconds = f"{rep.seconds:.1f}".replace(".", ",")
    print(f"indexé : {_fr(rep.units)} compétences, {_fr(rep.embedded)} textes nouveaux calculés {where}"
          f"{', index ANN' if rep.ann else ''} en {seconds} s", file=sys.stderr)
    if args.candidates:
        q, _, _ = reg.candidate_pairs(args.candidates, scheduler=args.scheduler)
        print(f"candidats : {_fr(len(q))} paires écrites dans {reg.dir / 'candidates.npz'}", file=sys.stderr)
    return 0


def _search(args: argparse.Namespace, config: Config, reg) -> int:
    from crossref.registry import load_certification

    if not args.fiche:
        raise CrossrefError("registry search : --fiche est obligatoire")
    target = args.fiche.replace(" ", "").upper()
    embedder = None
    if not reg.has_fiche(target):
        from crossref.referentiels import load_corpus

        cert = load_certification(load_corpus(config.data_dir, corpus_files(args, config)), target)
        if cert is None:
            raise CrossrefError(f"fiche {args.fiche} : ni dans le registre ni parmi les certifications chargées")
        target = cert
        embedder = make_registry_embedder(args.backend, config)
    res = reg.search(target, embedder, top=args.top)
    if args.format == "json":
        from crossref.io import dumps_json

        write_output(dumps_json(res.to_dict()), args.out)
        return 0
    seconds = f"{res.seconds:.2f}".replace(".", ",")
    lines = [f"Certifications du registre les plus proches de {res.fiche} « {res.title} » "
             f"({res.units} compétences) — registre : {_fr(res.registry_fiches)} fiches, "
             f"{_fr(res.registry_units)} compétences ({'recherche exacte' if res.exact else 'index ANN'}, "
             f"{seconds} s)",
             "",
             f"{'Fiche':<12} {'Intitulé':<44} {'Recouvr.':>8} {'couvre':>7} {'couverte':>9}  "
             f"Blocs de la fiche couverts"]
    for o in res.overlaps:
        blocs = ", ".join(f"{b.bloc.split(':')[-1]} {_pct(b.coverage)}" for b in o.blocs_covered)
        title = o.title if len(o.title) <= 44 else o.title[:43] + "…"
        lines.append(f"{o.fiche:<12} {title:<44} {_pct(o.overlap):>8} {_pct(o.covers):>7} "
                     f"{_pct(o.covered_by):>9}  {blocs}")
    lines += ["", f"couvre : part de la fiche listée couverte par {res.fiche} ; couverte : part de {res.fiche} "
                  f"couverte par la fiche listée (crédit 1 dès la similarité « équivalente », 0,5 dès « partielle »)."]
    write_output("\n".join(lines) + "\n", args.out)
    return 0
