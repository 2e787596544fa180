"""`crossref ingest` and `crossref competences`: the référentiels themselves, no scoring."""

from __future__ import annotations

import argparse

from crossref.commands._common import FORMAT_CSV_JSON, OUT, command, load_corpus_for, write_output
from crossref.config import Config


@command("ingest", "reconstruit data/referentiels/*.json à partir des fichiers bruts de data/raw "
                   "(les fichiers --data sont seulement vérifiés)")
def _ingest(args: argparse.Namespace, config: Config) -> int:
    from crossref.referentiels import ingest

    for path in ingest(config.data_dir, args.data or []):
        print(f"écrit : {path}")
    return 0


@command("competences", "liste toutes les compétences (id, certification, bloc, code, intitulé, énoncé, "
                        "nombre de critères)", FORMAT_CSV_JSON, OUT)
def _competences(args: argparse.Namespace, config: Config) -> int:
    from crossref.tables import competences_table, render_table

    df = competences_table(load_corpus_for(args, config))
    write_output(render_table(df, args.format, "competences"), args.out)
    return 0
