"""Golden files: today's results on the built-in data, pinned so that a refactor can prove it changes nothing.

``python -m tests.golden.update`` regenerates them on purpose (after a change that
is meant to move results); ``tests/test_golden.py`` compares a fresh run with them.

Pinned, for the four built-in certifications with the default configuration (an
empty decision store, embeddings cached in a temporary folder):

* ``pairs.csv``: every ordered pair's relation, direction, score (4 decimals) and rank;
* ``export_pairs.csv.xz``: the ``crossref export`` CSV of the pairs, scores rounded to 4 decimals
  (xz-compressed: the explanations make it 5 MB as text);
* ``workbook.json``: the workbook's sheet names, in order, with their row counts;
* ``sssom.tsv``: the SSSOM mappings (the ``#`` metadata and the run date left out).

The run reads its embeddings from ``embeddings/`` (one ``.npz`` per model, the
cache's import format): the models' float kernels differ between CPUs (scores
moved by up to 0.014 between two machines, flipping relations at the threshold),
and the golden files pin the pipeline's logic, not the hardware. A text missing
from them is embedded by the model as usual; ``update`` writes them back.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import lzma
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path
from typing import Any

GOLDEN_DIR = Path(__file__).resolve().parent
EMBEDDINGS_DIR = GOLDEN_DIR / "embeddings"
PAIRS_FILE = "pairs.csv"
EXPORT_FILE = "export_pairs.csv.xz"
WORKBOOK_FILE = "workbook.json"
SSSOM_FILE = "sssom.tsv"
FILES = (PAIRS_FILE, EXPORT_FILE, WORKBOOK_FILE, SSSOM_FILE)
PAIR_KEYS = ["source", "target", "relation", "direction", "score", "rank"]
# Float columns of the exported CSV and of SSSOM, rounded so that the files stay readable.
FLOAT_COLUMNS = {"score", "semantic", "lexical", "criteria", "confidence", "similarity_score"}
DECIMALS = 4
# Run-dependent SSSOM column (the run date).
SSSOM_DROPPED = ("mapping_date",)


def golden_config(tmp: Path):
    """The default configuration with a private decision store and embedding cache under ``tmp``."""
    from dataclasses import replace

    from crossref.config import Config

    config = Config(database_url=f"sqlite:///{tmp / 'decisions.sqlite'}")
    cache = Path(tmp) / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    for npz in sorted(EMBEDDINGS_DIR.glob("*.npz")):
        target = cache / npz.name
        if not target.exists():
            shutil.copyfile(npz, target)
    return replace(config, embedding=replace(config.embedding, cache_dir=str(cache)))


def write_embeddings(cache: Path) -> list[Path]:
    """Every store of a golden run's cache as a pinned ``.npz`` (sorted keys: stable bytes)."""
    import numpy as np

    from crossref.embed.cache import EmbeddingStore

    EMBEDDINGS_DIR.mkdir(exist_ok=True)
    written = []
    for index in sorted(cache.glob("*/index.sqlite")):
        with contextlib.closing(sqlite3.connect(index)) as con:
            name = con.execute("SELECT value FROM meta WHERE key = 'name'").fetchone()[0]
        store = EmbeddingStore(cache, name)
        keys, vecs = store.items()
        order = np.argsort(np.array(keys))
        path = EMBEDDINGS_DIR / store.dir.with_suffix(".npz").name  # where the cache imports it from
        np.savez_compressed(path, name=np.array(name), keys=np.array(keys)[order], vecs=vecs[order])
        written.append(path)
    return written


def golden_results(tmp: Path):
    from crossref.pipeline import run

    return run(golden_config(tmp))


def _rounded(value: str) -> str:
    return f"{float(value):.{DECIMALS}f}" if value not in ("", "nan") else value


def _csv_text(header: list[str], rows: list[list[Any]], delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _round_table(text: str, delimiter: str = ",", dropped: tuple[str, ...] = ()) -> str:
    """A CSV/TSV text with its float columns rounded and some columns left out."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = next(reader)
    keep = [n for n, h in enumerate(header) if h not in dropped]
    rows = [[_rounded(row[n]) if header[n] in FLOAT_COLUMNS else row[n] for n in keep] for row in reader]
    return _csv_text([header[n] for n in keep], rows, delimiter)


def pairs_text(results) -> str:
    p = results.pairs
    rows = [[s, t, r, d, f"{sc:.{DECIMALS}f}", int(k)] for s, t, r, d, sc, k in
            zip(p["source"], p["target"], p["relation"], p["direction"], p["score"], p["rank"])]
    return _csv_text(PAIR_KEYS, rows)


def export_texts(results, tmp: Path) -> dict[str, str]:
    """The exports of ``results`` written through ``crossref.export.export``, normalised."""
    import openpyxl

    from crossref.export import export

    out = Path(tmp) / "exports"
    out.mkdir(parents=True, exist_ok=True)
    csv_text = export(results, out / "pairs.csv").read_text(encoding="utf-8")
    wb = openpyxl.load_workbook(export(results, out / "comparaison.xlsx"), read_only=True)
    sheets = [{"sheet": ws.title, "rows": ws.max_row} for ws in wb.worksheets]
    wb.close()
    sssom = export(results, out / "correspondances.sssom.tsv").read_text(encoding="utf-8")
    body = "".join(line for line in sssom.splitlines(keepends=True) if not line.startswith("#"))
    return {
        EXPORT_FILE: _round_table(csv_text),
        WORKBOOK_FILE: "[\n" + ",\n".join(json.dumps(s, ensure_ascii=False) for s in sheets) + "\n]\n",
        SSSOM_FILE: _round_table(body, "\t", SSSOM_DROPPED),
    }


def snapshot(results, tmp: Path) -> dict[str, str]:
    """File name -> content of every golden file for ``results``."""
    return {PAIRS_FILE: pairs_text(results), **export_texts(results, tmp)}


def read_golden(name: str) -> str:
    """The stored content of a golden file (decompressed)."""
    path = GOLDEN_DIR / name
    if name.endswith(".xz"):
        return lzma.decompress(path.read_bytes()).decode("utf-8")
    return path.read_text(encoding="utf-8")


def write_golden(name: str, text: str) -> Path:
    path = GOLDEN_DIR / name
    if name.endswith(".xz"):
        # preset 9 and no timestamp: the same text always gives the same bytes
        path.write_bytes(lzma.compress(text.encode("utf-8"), preset=9))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        files = snapshot(golden_results(Path(tmp)), Path(tmp))
        for path in write_embeddings(Path(tmp) / "cache"):
            print(f"écrit : {path}", file=sys.stderr)
    for name, text in files.items():
        print(f"écrit : {write_golden(name, text)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
