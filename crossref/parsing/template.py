"""The documented no-code template: CSV (UTF-8, comma) or Excel (.xlsx, first sheet).

One row per competence, columns (any order, names exact)::

    certification, certification_title, bloc_code, bloc_title,
    competence_code, competence_title, statement, criteria

``criteria`` holds the evaluation criteria of the competence separated by
`` | `` (a line break inside the cell also separates). A file may hold several
certifications. Ids: bloc ``CERT:B1`` (``1`` and ``Bloc 1`` are read as ``B1``),
competence ``CERT:<competence_code>``, criterion ``<competence id>/CR<n>``.

``write_template`` exports certifications back to this template (used to derive
templates from other formats). The template has no column for metadata
(register, level, certifier), bloc descriptions, savoirs or modalities: those
are not written. Criteria shared by a whole bloc are written on every
competence of the bloc, so each competence keeps every criterion it is
evaluated by (``Certification.criteria_for``).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from crossref.errors import InputError
from crossref.labels import de, french_int, french_mb
from crossref.model import (
    CERT_ID_RE, FORBIDDEN_CHARS_RE, Bloc, Certification, Competence, Criterion, make_id, split_id,
)
from crossref.parsing.limits import (
    MAX_CELL_CHARS, MAX_COLUMNS, MAX_ROWS, MAX_SHEET_ROWS, MAX_XLSX_INFLATED, MAX_XLSX_MEMBERS, MAX_XLSX_RATIO,
    XLSX_RATIO_FLOOR,
)

COLUMNS: tuple[str, ...] = (
    "certification",
    "certification_title",
    "bloc_code",
    "bloc_title",
    "competence_code",
    "competence_title",
    "statement",
    "criteria",
)
REQUIRED: tuple[str, ...] = (
    "certification",
    "certification_title",
    "bloc_code",
    "bloc_title",
    "competence_code",
    "competence_title",
)
CRITERIA_SEPARATOR = " | "

_BLOC_NUMBER_RE = re.compile(r"^(?:bloc\s*(?:n°\s*)?|b)?0*(\d+)$", re.IGNORECASE)
_CRITERIA_SPLIT_RE = re.compile(r"\s*\|\s*|\s*[\r\n]+\s*")
_SPACE_RE = re.compile(r"\s+")

SUFFIXES = {".csv", ".xlsx"}


def sniff(path: Path, head: bytes) -> bool:
    # Every CSV / xlsx is read as the template: a wrong header then gets a precise message.
    return path.suffix.lower() in SUFFIXES


# ---------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------


def parse(path: Path) -> list[Certification]:
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return _build(path, _read_xlsx(path), pad=True)
    return _build(path, _read_csv(path))


def normalize_bloc_code(code: str) -> str:
    """``1``, ``01``, ``Bloc 1``, ``bloc n°1``, ``b1`` -> ``B1``; other codes are kept as written."""
    code = code.strip()
    m = _BLOC_NUMBER_RE.match(code)
    return f"B{int(m.group(1))}" if m else code


def split_criteria(cell: str) -> list[str]:
    return [c for c in (_SPACE_RE.sub(" ", p).strip() for p in _CRITERIA_SPLIT_RE.split(cell)) if c]


def _read_csv(path: Path) -> Iterator[tuple[int, list[str]]]:
    from crossref.parsing.reading import read_text

    text = read_text(path)  # existence, size, emptiness, UTF-8 (BOM accepted)
    return _csv_rows(path, text)


def _csv_rows(path: Path, text: str) -> Iterator[tuple[int, list[str]]]:
    from crossref.export.safe import csv_unsafe
    from crossref.parsing.reading import csv_delimiter

    reader = csv.reader(io.StringIO(text, newline=""), strict=True, delimiter=csv_delimiter(text))
    row_no = 0
    while True:
        start_line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            msg = str(exc)
            if "field larger than field limit" in msg:
                detail = f"cellule trop longue (plus de {french_int(MAX_CELL_CHARS)} caractères)"
            elif "end of data" in msg or "EOF" in msg:
                detail = "guillemet ouvrant sans guillemet fermant (fichier tronqué ?)"
            else:
                detail = f"CSV mal formé ({msg})"
            raise InputError(path, detail, line=start_line, row=row_no + 1) from None
        row_no += 1
        # A text crossref wrote with a leading "'" (formula protection) reads back as written.
        yield row_no, [csv_unsafe(c) for c in record]


def _cell_to_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_archive(path: Path) -> None:
    """Refuse a zip bomb from the archive's directory alone, before anything is inflated.

    Python's zipfile never inflates a member past its declared size (a member
    lying about it fails its CRC check), so the declared sizes bound the memory.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise InputError(path, f"classeur Excel illisible (archive zip invalide : {exc})") from None
    if len(infos) > MAX_XLSX_MEMBERS:
        raise InputError(path, f"classeur Excel refusé : {french_int(len(infos))} éléments dans l'archive "
                               f"(maximum {french_int(MAX_XLSX_MEMBERS)})")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > XLSX_RATIO_FLOOR and ratio > MAX_XLSX_RATIO:
            raise InputError(
                path, f"classeur Excel refusé : l'élément {info.filename!r} se décompresse {french_int(int(ratio))} "
                      f"fois (maximum {MAX_XLSX_RATIO}) : fichier piégé (« bombe zip ») ou anormal")
    if total > MAX_XLSX_INFLATED:
        raise InputError(
            path, f"classeur Excel refusé : une fois décompressé il occuperait {french_mb(total)} "
                  f"(maximum {french_mb(MAX_XLSX_INFLATED)}) : fichier piégé (« bombe zip ») ou trop volumineux")


def _read_xlsx(path: Path) -> Iterator[tuple[int, list[str]]]:
    from crossref.parsing.reading import check_size

    if not path.is_file():
        raise InputError(path, "fichier introuvable")
    check_size(path)
    if not zipfile.is_zipfile(path):
        raise InputError(path, "classeur Excel invalide : ce n'est pas un fichier .xlsx (archive zip attendue)")
    _check_archive(path)
    try:
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (KeyError, InvalidFileException, BadZipFile...)
        raise InputError(path, f"classeur Excel illisible ({type(exc).__name__}: {exc})") from None
    try:
        if not wb.worksheets:
            raise InputError(path, "classeur Excel sans feuille")
        try:
            rows = list(_sheet_rows(path, wb, wb.worksheets[0]))
        except InputError:
            raise
        except Exception as exc:  # malformed sheet XML, bad CRC (a member lying about its size)...
            raise InputError(path, f"classeur Excel illisible ({type(exc).__name__}: {exc})") from None
    finally:
        wb.close()
    return iter(rows)


def _sheet_rows(path: Path, wb: Any, ws: Any) -> Iterator[tuple[int, list[str]]]:
    """The sheet's rows as (spreadsheet row number, cell texts), read sparsely.

    openpyxl's own iterator pads every row to the sheet's declared dimension and
    fills the gaps between rows: a forged dimension (``A1:XFD1048576``) or one
    cell at row 1 048 576 would make it produce billions of empty cells. Its
    worksheet parser yields only the cells present in the file.
    """
    from openpyxl.worksheet._reader import WorkSheetParser

    seen = data_rows = 0
    with ws._get_source() as src:
        parser = WorkSheetParser(src, ws._shared_strings, data_only=True, epoch=wb.epoch,
                                 date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
        for row_no, cells in parser.parse():
            seen += 1
            if seen > MAX_SHEET_ROWS:
                raise InputError(path, f"feuille refusée : plus de {french_int(MAX_SHEET_ROWS)} lignes "
                                       "(supprimez les lignes vides en bas de la feuille)")
            values: dict[int, str] = {}
            for cell in cells:
                text = _cell_to_str(cell.get("value"))
                if not text.strip():
                    continue
                col = int(cell.get("column") or 0)
                if col < 1 or col > MAX_COLUMNS:
                    raise InputError(path, f"cellule remplie hors du modèle (colonne n° {french_int(col)}, "
                                           f"maximum {MAX_COLUMNS})", row=row_no)
                values[col] = text
            if not values:
                continue  # a blank row
            data_rows += 1
            if data_rows > MAX_ROWS + 1:  # + the header
                raise InputError(path, f"trop de lignes (plus de {french_int(MAX_ROWS)} compétences)",
                                 row=row_no)
            yield row_no, [values.get(c, "") for c in range(1, max(values) + 1)]


def _check_cells(path: Path, row_no: int, record: list[str], names: dict[int, str] | None) -> None:
    """Cells must be text a référentiel can hold: bounded length, no control characters."""
    for i, cell in enumerate(record):
        if len(cell) > MAX_CELL_CHARS:
            raise InputError(path, f"cellule trop longue ({french_int(len(cell))} caractères, maximum "
                                   f"{french_int(MAX_CELL_CHARS)})", row=row_no,
                             column=(names or {}).get(i, f"n° {i + 1}"))
        bad = FORBIDDEN_CHARS_RE.search(cell)
        if bad:
            raise InputError(path, f"caractère de contrôle interdit (U+{ord(bad.group()):04X}) à la position "
                                   f"{bad.start() + 1} de la cellule", row=row_no,
                             column=(names or {}).get(i, f"n° {i + 1}"))


@dataclass
class _CertAcc:
    cert: Certification
    title_row: int
    bloc_titles: dict[str, tuple[str, int]] = field(default_factory=dict)
    comp_rows: dict[str, int] = field(default_factory=dict)


def _build(path: Path, rows: Iterable[tuple[int, list[str]]], pad: bool = False) -> list[Certification]:
    it = iter(rows)
    header_no, header = _header(path, it)
    index, width = _check_header(path, header_no, header)
    names = {i: name for name, i in index.items()}

    certs: dict[str, _CertAcc] = {}
    n_data = 0
    for row_no, record in it:
        _check_cells(path, row_no, record, names)
        if not any(c.strip() for c in record):
            continue  # blank row
        record = _fit_width(path, row_no, record, width, index, pad)
        n_data += 1
        if n_data > MAX_ROWS:
            raise InputError(path, f"trop de lignes (plus de {french_int(MAX_ROWS)} compétences)", row=row_no)
        values = {name: record[i].strip() for name, i in index.items()}
        _add_row(path, row_no, values, certs)
    if n_data == 0:
        raise InputError(path, "aucune compétence : le fichier ne contient que la ligne d'en-tête", row=header_no)
    out = []
    for acc in certs.values():
        acc.cert.sources = [path.name]
        out.append(acc.cert)
    return out


def _header(path: Path, it: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    """The first non-blank row (its number and cells); the rows before it are consumed."""
    for row_no, record in it:
        _check_cells(path, row_no, record, None)
        if any(c.strip() for c in record):
            if len(record) > MAX_COLUMNS:
                raise InputError(path, f"trop de colonnes ({french_int(len(record))}, le modèle en a "
                                       f"{len(COLUMNS)})", row=row_no)
            return row_no, record
    raise InputError(path, "fichier vide (aucune ligne d'en-tête)")


def _fit_width(path: Path, row_no: int, record: list[str], width: int, index: dict[str, int],
               pad: bool) -> list[str]:
    """A data row with the header's width: padded (spreadsheets), or refused when cut short or too long."""
    if pad and len(record) < width:  # a spreadsheet does not store trailing empty cells
        record = record + [""] * (width - len(record))
    if len(record) < width:
        raise InputError(
            path,
            f"ligne incomplète : {len(record)} champ(s) au lieu de {width} "
            "(ligne tronquée ou virgule manquante)",
            row=row_no, column=_column_at(index, len(record)),
        )
    if len(record) > width and any(c.strip() for c in record[width:]):
        raise InputError(
            path,
            f"ligne trop longue : {len(record)} champ(s) au lieu de {width} "
            "(virgule dans un texte non entouré de guillemets ?)",
            row=row_no,
        )
    return record


def _column_at(index: dict[str, int], position: int) -> str | None:
    for name, i in index.items():
        if i == position:
            return name
    return None


def _check_header(path: Path, row_no: int, header: list[str]) -> tuple[dict[str, int], int]:
    """Column indexes by name, and the number of header cells (trailing empty ones excluded)."""
    names = [h.strip().lower() for h in header]
    # A trailing empty header cell (Excel often adds them) is ignored.
    while names and not names[-1]:
        names.pop()
    expected = ", ".join(COLUMNS)
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        if n in seen and n:
            raise InputError(path, f"colonne en double : {n!r} (colonnes attendues : {expected})",
                             row=row_no, column=n)
        seen[n] = i
    missing = [c for c in COLUMNS if c not in seen]
    unknown = [n for n in names if n not in COLUMNS]
    if missing or unknown:
        parts = []
        if missing and unknown and len(missing) == len(unknown):
            pairs = ", ".join(f"{u!r} au lieu de {m!r}" for u, m in zip(unknown, missing))
            parts.append(f"colonne(s) mal nommée(s) : {pairs}")
        else:
            if missing:
                parts.append("colonne(s) manquante(s) : " + ", ".join(missing))
            if unknown:
                shown = ", ".join(repr(u) if u else "(sans nom)" for u in unknown)
                parts.append("colonne(s) inconnue(s) : " + shown)
        raise InputError(path, " ; ".join(parts) + f" (colonnes attendues : {expected})",
                         row=row_no, column=(missing or unknown)[0] or None)
    return {c: seen[c] for c in COLUMNS}, len(names)


def _check_code(path: Path, row_no: int, column: str, code: str) -> None:
    if ":" in code or any(ch.isspace() for ch in code):
        raise InputError(path, f"code invalide {code!r} : ni « : » ni espace autorisés", row=row_no, column=column)


def _add_row(path: Path, row_no: int, v: dict[str, str], certs: dict[str, _CertAcc]) -> None:
    cert_id = v["certification"]
    _check_required(path, row_no, v, certs.get(cert_id))
    if not CERT_ID_RE.match(cert_id):
        raise InputError(
            path,
            f"identifiant de certification invalide {cert_id!r} : lettres majuscules sans accent, chiffres "
            "ou « _ » (ex. RNCP38938, ICD, BTS_MCO)",
            row=row_no, column="certification",
        )
    bloc_code = normalize_bloc_code(v["bloc_code"])
    comp_code = v["competence_code"]
    _check_code(path, row_no, "bloc_code", bloc_code)
    _check_code(path, row_no, "competence_code", comp_code)

    acc = _cert_acc(path, row_no, v, certs)
    cert = acc.cert
    bloc_id = _bloc(path, row_no, v, acc, bloc_code)
    if comp_code in acc.comp_rows:
        raise InputError(
            path,
            f"code de compétence en double dans {cert_id} : {comp_code} (déjà au rang {acc.comp_rows[comp_code]})",
            row=row_no, column="competence_code",
        )
    if comp_code in acc.bloc_titles:
        raise InputError(path, f"le code de compétence {comp_code} est déjà utilisé comme code de bloc",
                         row=row_no, column="competence_code")
    acc.comp_rows[comp_code] = row_no
    comp_id = make_id(cert_id, comp_code)
    cert.competences.append(
        Competence(
            id=comp_id,
            certification=cert_id,
            code=comp_code,
            title=v["competence_title"],
            statement=v["statement"] or v["competence_title"],
            bloc_id=bloc_id,
        )
    )
    for n, text in enumerate(split_criteria(v["criteria"]), start=1):
        cert.criteria.append(
            Criterion(id=f"{comp_id}/CR{n}", text=text, bloc_id=bloc_id, code=f"CR{n}", competence_ids=[comp_id])
        )


def _check_required(path: Path, row_no: int, v: dict[str, str], acc_known: _CertAcc | None) -> None:
    """Required cells are filled; titles may be left empty after their first row (like merged cells)."""
    for col in REQUIRED:
        if v[col]:
            continue
        if col == "certification_title" and acc_known is not None:
            continue
        if col == "bloc_title" and acc_known is not None:
            bloc_code = normalize_bloc_code(v["bloc_code"])
            if bloc_code in acc_known.bloc_titles:
                continue
        raise InputError(path, f"cellule obligatoire vide ({col})", row=row_no, column=col)


def _cert_acc(path: Path, row_no: int, v: dict[str, str], certs: dict[str, _CertAcc]) -> _CertAcc:
    """The certification of a row, created on its first row; its title must not change."""
    cert_id = v["certification"]
    acc = certs.get(cert_id)
    if acc is None:
        acc = _CertAcc(Certification(id=cert_id, title=v["certification_title"]), title_row=row_no)
        certs[cert_id] = acc
    elif v["certification_title"] and v["certification_title"] != acc.cert.title:
        raise InputError(
            path,
            f"intitulé incohérent pour la certification {cert_id} : {v['certification_title']!r} "
            f"alors que le rang {acc.title_row} indique {acc.cert.title!r}",
            row=row_no, column="certification_title",
        )
    return acc


def _bloc(path: Path, row_no: int, v: dict[str, str], acc: _CertAcc, bloc_code: str) -> str:
    """The id of a row's bloc, created on its first row; its title must not change."""
    cert_id = acc.cert.id
    bloc_id = make_id(cert_id, bloc_code)
    if bloc_code in acc.bloc_titles:
        title, first_row = acc.bloc_titles[bloc_code]
        if v["bloc_title"] and v["bloc_title"] != title:
            raise InputError(
                path,
                f"intitulé incohérent pour le bloc {bloc_code} {de(cert_id)} : {v['bloc_title']!r} "
                f"alors que le rang {first_row} indique {title!r}",
                row=row_no, column="bloc_title",
            )
        return bloc_id
    if bloc_code in acc.comp_rows:
        raise InputError(path, f"le code de bloc {bloc_code} est déjà utilisé comme code de compétence "
                         f"(rang {acc.comp_rows[bloc_code]})", row=row_no, column="bloc_code")
    acc.bloc_titles[bloc_code] = (v["bloc_title"], row_no)
    acc.cert.blocs.append(Bloc(id=bloc_id, certification=cert_id, code=bloc_code, title=v["bloc_title"]))
    return bloc_id


# ---------------------------------------------------------------------------
# writing
# ---------------------------------------------------------------------------


def template_rows(certs: Iterable[Certification]) -> list[list[str]]:
    """The template rows (header first) for these certifications."""
    rows: list[list[str]] = [list(COLUMNS)]
    for cert in certs:
        if not CERT_ID_RE.match(cert.id):
            raise ValueError(f"certification id {cert.id!r} cannot be written to the template")
        blocs = {b.id: b for b in cert.blocs}
        for comp in cert.competences:
            bloc = blocs[comp.bloc_id]
            criteria = []
            for cr in cert.criteria_for(comp):
                text = _SPACE_RE.sub(" ", cr.text).strip()
                if "|" in text:
                    raise ValueError(f"{cr.id}: a criterion containing '|' cannot be written to the template")
                if text:
                    criteria.append(text)
            rows.append([
                cert.id,
                cert.title,
                split_id(bloc.id)[1],
                bloc.title,
                split_id(comp.id)[1],
                comp.title,
                comp.statement,
                CRITERIA_SEPARATOR.join(criteria),
            ])
    return rows


def template_view(cert: Certification) -> dict[str, Any]:
    """What the template keeps of a certification: two certifications with the same view
    write the same template, and reading a written template gives back the same view."""
    blocs = {b.id: b for b in cert.blocs}
    used = list(dict.fromkeys(c.bloc_id for c in cert.competences))
    return {
        "id": cert.id,
        "title": cert.title,
        "blocs": [(b, blocs[b].title) for b in used],
        "competences": [
            (c.id, c.title, c.statement, c.bloc_id,
             [_SPACE_RE.sub(" ", cr.text).strip() for cr in cert.criteria_for(c)])
            for c in cert.competences
        ],
    }


def write_template(certs: Iterable[Certification], path: str | Path) -> Path:
    """Write certifications to the template, CSV or xlsx by the suffix of ``path`` (atomic)."""
    from crossref.io import atomic_write

    path = Path(path)
    rows = template_rows(certs)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        from crossref.export.safe import csv_rows_text

        # The one CSV writer: text a spreadsheet could run as a formula gets a leading "'"
        # (undone when the template is read back).
        text = csv_rows_text(rows)
        return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8", newline=""))
    if suffix == ".xlsx":
        def write_xlsx(tmp: Path) -> None:
            import openpyxl
            from openpyxl.styles import Font

            wb = openpyxl.Workbook()
            ws = wb.active
            ws.title = "competences"
            for r in rows:
                ws.append(r)
                for cell in ws[ws.max_row]:
                    if isinstance(cell.value, str) and cell.value.startswith("="):
                        cell.data_type = "s"  # text, not a formula
            for cell in ws[1]:
                cell.font = Font(bold=True)
            ws.freeze_panes = "A2"
            widths = {"A": 14, "B": 40, "C": 10, "D": 40, "E": 16, "F": 50, "G": 70, "H": 70}
            for col, w in widths.items():
                ws.column_dimensions[col].width = w
            wb.save(tmp)

        return atomic_write(path, write_xlsx)
    raise ValueError(f"unsupported template suffix {path.suffix!r} (expected .csv or .xlsx)")
