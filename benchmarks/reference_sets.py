"""The reference alignments and the référentiels they need: one list for every quality benchmark."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "data" / "reference"

# dev (shared, hand-made), the team's (BTS vs. the seeds), the built-in pairs, the titres professionnels.
GOLD_FILES = [ROOT.parent / "shared" / "gold" / "dev_alignment.csv",
              REFERENCE / "team_alignment.csv",
              REFERENCE / "builtin_alignment.csv",
              REFERENCE / "tp_alignment.csv"]
# Référentiels beyond the built-in four that the reference alignments name.
DATA_DIRS = [ROOT / "data" / "extra", REFERENCE / "referentiels"]


def gold_paths() -> list[str]:
    """The reference alignment files present in this checkout (the shared dev file may be absent)."""
    return [str(p) for p in GOLD_FILES if p.exists()]


def data_paths() -> list[str]:
    return [str(p) for p in DATA_DIRS if p.exists()]
