"""`crossref clusters` and `crossref graph`: cross-certification themes and the competence graph."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crossref.commands._common import FORMAT_CSV_JSON, OUT, arg, command, results_for, write_output
from crossref.config import Config


@command(
    "clusters", "groupes de compétences proches entre certifications (thèmes), chacun avec ses termes clés",
    arg("--summary", action="store_true", help="one row per cluster (label, size, members) instead of "
                                               "one row per competence"),
    FORMAT_CSV_JSON, OUT,
)
def _clusters(args: argparse.Namespace, config: Config) -> int:
    from crossref.clusters import CLUSTER_COLUMNS, cluster_summary, empty_clusters
    from crossref.tables import render_table

    df = results_for(args, config).clusters
    if df is None or not len(df.columns):  # a run that did not cluster: an empty table, not an error
        df = empty_clusters()
    df = df[CLUSTER_COLUMNS]
    if args.summary:
        write_output(render_table(cluster_summary(df), args.format, "cluster_summary"), args.out)
    else:
        write_output(render_table(df, args.format, "clusters"), args.out)
    return 0


@command(
    "graph", "graphe certifications / blocs / compétences avec les correspondances (GraphML ou JSON)",
    arg("--out", required=True, metavar="FILE",
        help="file to write, format from the extension: .graphml or .json (node-link); replaced atomically"),
    arg("--min-score", type=float, default=0.0, metavar="S",
        help="keep equivalence edges scoring at least S (validated pairs are always kept)"),
    arg("--relations", default="equivalent,partial", metavar="R1,R2",
        help="relations drawn as edges: equivalent, partial or both (default)"),
)
def _graph(args: argparse.Namespace, config: Config) -> int:
    from crossref.errors import CrossrefError
    from crossref.graph import build_graph, parse_relations, write_graph

    # Refuse a bad name or option before the long run.
    if Path(args.out).suffix.lower() not in (".graphml", ".json"):
        raise CrossrefError(f"{args.out} : extension non reconnue pour le graphe (attendu : .graphml ou .json)")
    relations = parse_relations(args.relations)
    G = build_graph(results_for(args, config), min_score=args.min_score, relations=relations)
    path = write_graph(G, args.out)
    n_eq = sum(1 for *_, k in G.edges(data="kind") if k == "equivalence")
    print(f"écrit : {path} ({G.number_of_nodes()} nœuds, {n_eq} correspondances)", file=sys.stderr)
    return 0
