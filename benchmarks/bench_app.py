"""How long the dashboard takes to render each page, with Streamlit's AppTest (no browser).

    .venv/bin/python benchmarks/bench_app.py [--repeat 3] [--json benchmarks/out/app.json]

Uses $CROSSREF_CONFIG when set, else the defaults (data/, bundled models). It
only reads: the decision store is never created or written.

Measured:

1. ``pipeline.run`` once, to warm the on-disk results cache (cold if the
   models/cache has no results for this corpus yet);
2. the first page of a freshly started Python process on that warm disk cache
   (imports, loading the cached results, rendering "Vue d'ensemble");
3. for every page, the first render in a new session on a warm cache (the
   results are in memory; the page's own derived tables are computed: its first
   visit), then the median of the next renders (everything cached).

Target (issue 11, tighter than issue 5's 3 s): the first render of any page on a warm cache
takes ≤ 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")  # no "missing ScriptRunContext" noise
APP = str(ROOT / "app.py")
TARGET_S = 1.0
TIMEOUT = 300

FRESH_PROCESS = r"""
import sys, time
t0 = time.perf_counter()
from streamlit.testing.v1 import AppTest  # a server has imported Streamlit before any session
t1 = time.perf_counter()
at = AppTest.from_file(sys.argv[1], default_timeout=300)
at.run()
assert not at.exception, [e.value for e in at.exception]
print(t1 - t0, time.perf_counter() - t1)
"""


def _render(page_relative: str | None) -> float:
    """Seconds of the run that renders ``page_relative`` (None: the default page) in a new session."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if page_relative is None:
        t0 = time.perf_counter()
        at.run()
        elapsed = time.perf_counter() - t0
    else:
        at.run()
        at.switch_page(page_relative)
        t0 = time.perf_counter()
        at.run()
        elapsed = time.perf_counter() - t0
    if at.exception:
        raise RuntimeError(f"{page_relative}: {[e.value for e in at.exception]}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="renders per page after the first (default 3)")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "out" / "app.json",
                        help="where to write the figures (default benchmarks/out/app.json)")
    args = parser.parse_args(argv)

    import logging

    from streamlit.runtime.scriptrunner_utils import script_run_context

    # AppTest itself touches session state from the main thread: "missing ScriptRunContext" is noise here.
    script_run_context._LOGGER.disabled = True
    logging.getLogger("streamlit.runtime.caching.cache_data_api").disabled = True
    from crossref import pipeline
    from crossref.ui import PAGES, state

    config = state.get_config()
    t0 = time.perf_counter()
    results = pipeline.run(config, [str(p) for p in state.imported_files(config)])
    warm_s = time.perf_counter() - t0
    print(f"pipeline.run (fills the disk cache if needed): {warm_s:.2f} s — "
          f"{len(results.corpus)} certifications, {len(results.pairs)} pairs")

    out = subprocess.run([sys.executable, "-c", FRESH_PROCESS, APP], capture_output=True, text=True,
                         cwd=ROOT, env=os.environ.copy())
    if out.returncode:
        print(out.stderr[-2000:], file=sys.stderr)
        return 1
    import_s, fresh_s = map(float, out.stdout.strip().splitlines()[-1].split())
    print(f"first page in a freshly started process (warm disk cache; crossref imports and cached results "
          f"loaded): {fresh_s:.2f} s (+ {import_s:.2f} s importing Streamlit, done once at server start)\n")

    _render(None)  # results into Streamlit's cache (this process)
    rows = []
    print(f"{'page':<28} {'first render':>13} {'next (median)':>14}")
    for i, page in enumerate(PAGES):
        rel = None if i == 0 else page.app_relative
        first = _render(rel)
        nxt = statistics.median(_render(rel) for _ in range(max(args.repeat, 1)))
        rows.append({"page": page.title, "file": page.file, "first_render_s": round(first, 3),
                     "next_render_median_s": round(nxt, 3)})
        print(f"{page.title:<28} {first:>11.2f} s {nxt:>12.2f} s")
    worst = max(r["first_render_s"] for r in rows)
    verdict = "OK" if worst <= TARGET_S else "TOO SLOW"
    print(f"\nslowest first render on a warm cache: {worst:.2f} s (target ≤ {TARGET_S:.0f} s): {verdict}")

    report = {
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count()},
        "certifications": len(results.corpus),
        "pairs": len(results.pairs),
        "pipeline_run_s": round(warm_s, 3),
        "fresh_process_first_page_s": round(fresh_s, 3),
        "fresh_process_streamlit_import_s": round(import_s, 3),
        "pages": rows,
        "target_s": TARGET_S,
        "slowest_first_render_s": round(worst, 3),
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"written to {args.json}")
    return 0 if worst <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
