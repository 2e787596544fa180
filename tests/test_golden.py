"""Golden test: a fresh run on the built-in data gives the pinned pairs, relations and exports.

The files under tests/golden/ were written before the pipeline refactor (issue 9);
a change meant to move results regenerates them on purpose with
``python -m tests.golden.update`` and says so in its commit.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.golden.update import (
    EXPORT_FILE, FLOAT_COLUMNS, PAIR_KEYS, PAIRS_FILE, SSSOM_FILE, WORKBOOK_FILE, read_golden, snapshot,
)

# Scores are stored with 4 decimals: allow the rounding, and BLAS noise below it, nothing more.
TOLERANCE = 1.5e-4
SHOWN = 8
REGENERATE = "if the change is meant, regenerate with: python -m tests.golden.update"


@pytest.fixture(scope="module")
def fresh(default_results, tmp_path_factory):
    # default_results (conftest) is golden_results(): the default configuration, private store and cache.
    return snapshot(default_results, tmp_path_factory.mktemp("golden"))


def _rows(text: str, delimiter: str) -> tuple[list[str], list[list[str]]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    return next(reader), list(reader)


def _cell_differs(column: str, want: str, got: str) -> bool:
    if column in FLOAT_COLUMNS and want and got:
        return abs(float(want) - float(got)) > TOLERANCE
    return want != got


def table_differences(expected: str, actual: str, delimiter: str = ",") -> list[str]:
    """Human-readable differences between two tables (header, row count, cells), at most SHOWN."""
    head_e, rows_e = _rows(expected, delimiter)
    head_a, rows_a = _rows(actual, delimiter)
    if head_e != head_a:
        return [f"columns {head_a} instead of {head_e}"]
    keys = [head_e.index(c) for c in ("source", "target", "subject_id", "object_id") if c in head_e]
    out = [] if len(rows_e) == len(rows_a) else [f"{len(rows_a)} rows instead of {len(rows_e)}"]
    for n, (want, got) in enumerate(zip(rows_e, rows_a), start=2):
        cells = [f"{c}: {g!r} instead of {w!r}" for c, w, g in zip(head_e, want, got) if _cell_differs(c, w, g)]
        if cells:
            out.append(f"line {n} ({' → '.join(want[k] for k in keys)}): " + "; ".join(cells))
        if len(out) >= SHOWN:
            break
    return out


def _check(name: str, fresh: dict[str, str], delimiter: str = ",") -> None:
    diffs = table_differences(read_golden(name), fresh[name], delimiter)
    assert not diffs, f"{name} differs from the golden file ({REGENERATE}):\n" + "\n".join(diffs)


def test_golden_pairs_table(fresh):
    header, rows = _rows(read_golden(PAIRS_FILE), ",")
    assert header == PAIR_KEYS and len(rows) == 7890
    _check(PAIRS_FILE, fresh)


def test_golden_csv_export(fresh):
    _check(EXPORT_FILE, fresh)


def test_golden_sssom_rows(fresh):
    _check(SSSOM_FILE, fresh, "\t")


def test_golden_workbook_sheets(fresh):
    assert json.loads(fresh[WORKBOOK_FILE]) == json.loads(read_golden(WORKBOOK_FILE)), REGENERATE


def test_the_comparison_catches_a_moved_score_and_a_changed_relation():
    base = "source,target,relation,direction,score,rank\nA:C1,B:C1,partial,same,0.5000,1\n"
    assert table_differences(base, base) == []
    assert table_differences(base, base.replace("0.5000", "0.5001")) == []  # within the rounding
    assert table_differences(base, base.replace("0.5000", "0.5003"))
    assert table_differences(base, base.replace("partial", "equivalent"))
    assert table_differences(base, base + "A:C2,B:C1,none,same,0.1000,2\n")
