"""End-to-end timing on the four built-in certifications: ingest, embed, pairs.

    .venv/bin/python benchmarks/bench_pipeline.py

Cold: a fresh, empty embedding cache (models are loaded and every text is
embedded). Warm: the same cache again (nothing is embedded; results are read
from the results cache). Each is timed in-process, and warm is also timed as
a whole `crossref pairs` command (interpreter start and imports included).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crossref.config import Config  # noqa: E402


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main() -> int:
    from crossref.pipeline import run
    from crossref.referentiels import ingest

    tmp = Path(tempfile.mkdtemp(prefix="crossref-bench-"))
    try:
        data = tmp / "data"
        shutil.copytree(ROOT / "data" / "raw", data / "raw")
        cfg = Config(data_dir=str(data))
        cfg = replace(cfg, embedding=replace(cfg.embedding, cache_dir=str(tmp / "cache")))
        (_, t_ingest) = timed(lambda: ingest(data))
        res, t_cold = timed(lambda: run(cfg))
        _, t_warm = timed(lambda: run(cfg))
        _, t_ingest2 = timed(lambda: ingest(data))
        conf = tmp / "config.json"
        conf.write_text('{"data_dir": "%s", "embedding": {"cache_dir": "%s"}}' % (data, tmp / "cache"))
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "crossref", "--config", str(conf), "pairs", "--format", "csv",
                        "--out", str(tmp / "pairs.csv")], check=True, capture_output=True)
        t_cli = time.perf_counter() - t
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    n = len(res.pairs)
    print(f"pairs scored: {n} ({sum(len(c.competences) for c in res.corpus)} competences, 4 certifications)")
    print(f"cold  ingest + embed + pairs : {t_ingest + t_cold:6.2f} s   (target <= 15 s)  "
          f"{'met' if t_ingest + t_cold <= 15 else 'NOT met'}")
    print(f"warm  ingest + pairs (in-process): {t_ingest2 + t_warm:6.2f} s   (target <= 1 s)  "
          f"{'met' if t_ingest2 + t_warm <= 1 else 'NOT met'}")
    print(f"warm  `crossref pairs` whole command (python start + imports + CSV): {t_cli:6.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
