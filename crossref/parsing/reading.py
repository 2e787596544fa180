"""Reading an input file: size limits and UTF-8 text, with errors naming the file and place.

A leaf module shared by every parser (and by ``crossref.parsing`` itself).
"""

from __future__ import annotations

from pathlib import Path

from crossref.errors import InputError
from crossref.labels import french_mb
from crossref.parsing.limits import MAX_INPUT_BYTES


def check_size(path: Path) -> None:
    size = path.stat().st_size
    if size == 0:
        raise InputError(path, "fichier vide")
    if size > MAX_INPUT_BYTES:
        raise InputError(
            path, f"fichier trop volumineux ({french_mb(size)}, maximum {french_mb(MAX_INPUT_BYTES)})"
        )


def read_text(path: str | Path) -> str:
    """Read a UTF-8 text file, refusing empty, oversized or wrongly encoded files."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "fichier introuvable")
    check_size(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            path, f"encodage invalide (UTF-8 attendu), octet 0x{raw[exc.start]:02x} à la position {exc.start}",
            line=line,
        ) from None
    if not text.strip():
        raise InputError(path, "fichier vide")
    return text


def csv_delimiter(text: str) -> str:
    """« , » unless the first non-blank line is one comma-free cell holding « ; » or tabs: a
    spreadsheet saved as CSV in a French locale separates with « ; »."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    if "," not in first:
        for sep in (";", "\t"):
            if sep in first:
                return sep
    return ","
