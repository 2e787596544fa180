"""Make exported text inert for spreadsheets: no exported cell is ever a formula.

A text beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be
run as a formula by Excel or LibreOffice (CSV/formula injection: a competence
statement ``=HYPERLINK("http://…","…")`` would become a live link). Two cases:

* **xlsx** (:func:`write_cell`): the cell is written as a *string cell* whatever
  it starts with. openpyxl infers ``data_type="f"`` for any text starting with
  ``=`` (and ``"e"`` for ``#N/A``…); we reset it to ``"s"`` after assignment, so
  the file holds an inline string (``<c t="inlineStr">``), never ``<f>``. The
  visible text is unchanged — no apostrophe is added. Dangerous cells also get
  the ``quotePrefix`` style flag, Excel's own "this is text" marker, so that
  editing the cell in Excel does not turn it into a formula either.
  Characters XML 1.0 cannot hold (control characters other than tab, line feed
  and carriage return) are removed; Excel's 32 767-character cell limit is
  enforced by truncation.
* **CSV / TSV** (:func:`csv_safe`): plain text has no cell types, so we follow
  the OWASP CSV-injection guidance and prefix such a value with a single quote
  ``'``. Spreadsheets show the text literally; a program reading the file can
  strip one leading ``'`` (:func:`csv_unsafe`). Only text is touched: numbers
  (``-0.5`` as a float) are written as numbers.
* JSON is not opened by spreadsheets and is written unchanged.

:func:`csv_text` and :func:`csv_rows_text` are the only CSV/TSV writers of the
project (``crossref competences``, ``pairs``, ``clusters``, ``review list``,
exports, SSSOM, templates): whatever the command, a CSV cell is never a formula.
"""

from __future__ import annotations

import csv
import io
import math
import re
from typing import Any, Iterable

import pandas as pd

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CSV_ESCAPE = "'"
EXCEL_MAX_CELL = 32767
# Same set as openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE: what XML 1.0 cannot carry.
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def is_dangerous(value: Any) -> bool:
    """True when ``value`` is text a spreadsheet could interpret as a formula."""
    return isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES)


def csv_safe(value: Any) -> Any:
    """A CSV/TSV cell value: dangerous text gets a leading ``'``, anything else is unchanged."""
    if is_dangerous(value):
        return CSV_ESCAPE + value
    return value


def csv_unsafe(value: Any) -> Any:
    """Undo :func:`csv_safe` (for programs reading our CSV back)."""
    if isinstance(value, str) and value.startswith(CSV_ESCAPE) and is_dangerous(value[1:]):
        return value[1:]
    return value


def csv_safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell passed through :func:`csv_safe`."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(csv_safe)
    return out


def csv_cell(value: Any) -> Any:
    """A cell as our CSV writers write it: carriage returns inside text become line feeds
    (the writers end lines with "\\n" and quote only cells holding one: a bare "\\r" would
    split the row for most readers), then :func:`csv_safe`."""
    if isinstance(value, str) and "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return csv_safe(value)


def csv_text(df: pd.DataFrame, *, sep: str = ",", float_format: str | None = None) -> str:
    """The CSV (or TSV with ``sep="\\t"``) text of a table, header first, formula-protected."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(csv_cell)
    return out.to_csv(index=False, sep=sep, lineterminator="\n", float_format=float_format)


def csv_rows_text(rows: Iterable[Iterable[Any]], *, sep: str = ",") -> str:
    """The CSV text of plain rows (header included by the caller), formula-protected."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\n")
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return buf.getvalue()


def xlsx_text(value: str) -> str:
    """Text an xlsx cell can hold: illegal XML characters removed, truncated to Excel's limit."""
    text = _ILLEGAL.sub("", value)
    if len(text) > EXCEL_MAX_CELL:
        text = text[: EXCEL_MAX_CELL - 1] + "…"
    return text


def cell_value(value: Any) -> Any:
    """A Python value openpyxl can store: numpy scalars unwrapped, NaN/NA -> empty."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        if value is pd.NA or value is pd.NaT:
            return None
    except TypeError:  # pragma: no cover - exotic values
        pass
    return value


def write_cell(ws, row: int, column: int, value: Any):
    """Write ``value`` at (row, column) of an openpyxl worksheet; text is never a formula.

    Returns the cell so that callers can style it.
    """
    value = cell_value(value)
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        text = xlsx_text(value)
        cell.value = text
        # openpyxl guessed "f" for "=..." and "e" for "#N/A"...: force a string cell.
        cell.data_type = "s"
        if is_dangerous(text):
            cell.quotePrefix = True
    elif isinstance(value, (bool, int, float)):
        cell.value = value
    elif value is None:
        cell.value = None
    else:  # dates, lists, anything else: written as inert text
        text = xlsx_text(str(value))
        cell.value = text
        cell.data_type = "s"
        if is_dangerous(text):
            cell.quotePrefix = True
    return cell
