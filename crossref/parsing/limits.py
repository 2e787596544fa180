"""Bounds on every input, checked before the input is expanded (decompressed, parsed, loaded).

A référentiel is tens of kilobytes and at most a few hundred competences: these
limits are far above any real one and far below what would exhaust the memory
of the dashboard's server, which parses uploads in its own process.
"""

from __future__ import annotations

# Any input file, on disk or uploaded.
MAX_INPUT_BYTES = 5 * 1024 * 1024
# Template (CSV / Excel): data rows, columns, characters in one cell.
MAX_ROWS = 10_000
MAX_COLUMNS = 64
MAX_CELL_CHARS = 20_000
# Rows present in a sheet, blank ones included (openpyxl's parser yields each).
MAX_SHEET_ROWS = 100_000
# Excel archive (checked from the zip directory, before openpyxl opens it): members,
# total inflated size, and compression ratio of any member inflating past XLSX_RATIO_FLOOR.
MAX_XLSX_MEMBERS = 1_000
MAX_XLSX_INFLATED = 32 * 1024 * 1024
MAX_XLSX_RATIO = 100
XLSX_RATIO_FLOOR = 1024 * 1024
# Competences in one file, whatever its format.
MAX_COMPETENCES = 10_000
# Nesting depth of a JSON document (deeper: refused before Python's recursion limit).
MAX_JSON_DEPTH = 64


def french_int(n: int) -> str:
    """``12345`` -> ``12 345`` (French digit grouping, narrow no-break space)."""
    return f"{n:,}".replace(",", "\u202f")


def french_mb(n_bytes: int) -> str:
    """Bytes as French megabytes (of 1 048 576 bytes, as the upload limit): ``5242880`` -> ``5 Mo``,
    ``1073741824`` -> ``1 024 Mo``, ``1572864`` -> ``1,5 Mo``."""
    text = f"{n_bytes / 2**20:,.1f}"
    text = text[:-2] if text.endswith(".0") else text
    return text.replace(",", "\u202f").replace(".", ",") + " Mo"
