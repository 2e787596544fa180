"""The command line imports heavy libraries only in the commands that need them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "pandera", "sqlalchemy", "torch", "sklearn", "scipy", "faiss", "dask", "distributed",
         "streamlit", "plotly", "networkx", "openpyxl")


def _loaded_after(code: str) -> list[str]:
    probe = (f"import sys\n{code}\n"
             f"print('LOADED:' + ','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr
    (line,) = [ln for ln in out.stderr.splitlines() if ln.startswith("LOADED:")]
    return [m for m in line[len("LOADED:"):].split(",") if m]


def test_help_and_parser_load_no_heavy_library() -> None:
    assert _loaded_after("from crossref.cli import build_parser\nbuild_parser()") == []
    code = ("from crossref.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass")
    assert _loaded_after(code) == []


def test_commands_still_import_what_they_need() -> None:
    # The competences command builds a pandas table: pandas comes in when it runs, not before.
    assert "pandas" in _loaded_after("from crossref.cli import main\nmain(['competences', '--format', 'json'])")
