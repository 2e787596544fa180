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
