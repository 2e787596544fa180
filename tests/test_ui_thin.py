"""crossref/ui/ renders what the library returns: no Excel writing, no table building, no counting.

The pages and crossref.ui.state call crossref.views, crossref.export, crossref.passerelles…
(unit-tested there); a pattern below found in crossref/ui/ means logic crept back into the UI.
"""

from __future__ import annotations

import re
from pathlib import Path

UI = Path(__file__).resolve().parent.parent / "crossref" / "ui"
FORBIDDEN = {
    "Excel writing": r"openpyxl|Workbook\(|\.save\(",
    "table building": r"pd\.DataFrame\(|\.groupby\(|\.merge\(|\.pivot",
    "counting or averaging": r"\bsum\(|\.sum\(\)|value_counts|\.mean\(\)|\bnp\.",
    "scoring": r"similarity_to_competences|score_pairs|\.predict\(|embed_views",
}


def offending_lines(text: str) -> list[str]:
    found = []
    for n, line in enumerate(text.splitlines(), start=1):
        code = line.split("#", 1)[0]
        for what, pattern in FORBIDDEN.items():
            if re.search(pattern, code):
                found.append(f"{n}: {what}: {line.strip()}")
    return found


def test_ui_holds_no_library_logic():
    problems = {str(p.relative_to(UI)): offending_lines(p.read_text(encoding="utf-8"))
                for p in sorted(UI.rglob("*.py"))}
    assert not {k: v for k, v in problems.items() if v}


def test_the_check_catches_logic():
    assert offending_lines("df = pd.DataFrame([{'a': 1}])")
    assert offending_lines("n = sum(1 for x in y)")
    assert offending_lines("wb.save(buf)")
    assert not offending_lines("st.dataframe(views.cluster_view(summary, True)[0])  # no sum( here")
