"""`crossref export`: the results as an Excel workbook, CSV, JSON, SSSOM TSV or GraphML."""

from __future__ import annotations

import argparse
import sys

from crossref.commands._common import arg, command, results_for
from crossref.config import Config
from crossref.export import FORMATS  # light: the writers are imported when used


@command(
    "export",
    "écrit les résultats : classeur Excel (.xlsx), paires CSV/JSON, SSSOM TSV (.sssom.tsv) ou GraphML",
    arg("--out", required=True, metavar="FILE",
        help="file to write (.xlsx, .csv, .json, .tsv/.sssom.tsv, .graphml); replaced atomically"),
    arg("--format", choices=FORMATS, default=None,
        help="export format (default: from the extension of --out)"),
)
def _export(args: argparse.Namespace, config: Config) -> int:
    from crossref.export import export, infer_format

    fmt = args.format or infer_format(args.out)  # refuse a bad name before the long run
    if fmt == "csv":
        from crossref.export.tables import metadata_path
        from crossref.io import check_destination

        check_destination(metadata_path(args.out))
    results = results_for(args, config)
    path = export(results, args.out, fmt)
    print(f"écrit : {path}", file=sys.stderr)
    return 0
