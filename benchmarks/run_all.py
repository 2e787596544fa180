"""Run every benchmark in turn and print their figures (`make bench`).

    .venv/bin/python benchmarks/run_all.py [--skip-scale]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# calibrate: the out-of-sample table; bloc_coverage and second_reference: the passerelles against
# the references (issue #10's RS → ICD among them).
SCRIPTS = ["bench_pipeline.py", "calibrate.py", "bloc_coverage.py", "second_reference.py", "bench_embed.py",
           "bench_app.py", "bench_vae.py", "bench_load.py", "bench_scale.py", "bench_registry.py"]


def main() -> int:
    skip_scale = "--skip-scale" in sys.argv
    failed = []
    for script in SCRIPTS:
        if skip_scale and script in ("bench_scale.py", "bench_registry.py"):
            continue
        if not (HERE / script).is_file():
            continue
        print(f"\n=== {script} ===", flush=True)
        if subprocess.run([sys.executable, str(HERE / script)]).returncode != 0:
            failed.append(script)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
