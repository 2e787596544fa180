"""Streamed reading of the France Compétences open-data exports (every RNCP and RS fiche).

The XML export holds some 10,000 active fiches (and as many inactive ones) in
one ``FICHES`` document, far beyond what :mod:`crossref.parsing.fc_xml` reads
whole. :func:`iter_fiches` feeds the file to expat in 1 MiB chunks and builds
one ``FICHE`` element at a time (the same ``TreeBuilder`` that
``xml.etree.iterparse`` uses, driven by hand so that every element keeps its
line number for error messages); each fiche is turned into a
:class:`~crossref.model.Certification` by fc_xml's own code and dropped before
the next one, so memory is bounded by the largest fiche, not the export.

:func:`iter_blocs_csv` streams the CSV export's blocs file
(``Numero_Fiche;Bloc_Competences_Code;Bloc_Competences_Libelle``).
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from crossref.errors import CrossrefError, InputError
from crossref.model import Certification

CHUNK = 1 << 20


@dataclass
class Skipped:
    """A fiche left out of the registry, and why (inactive, no competence...)."""

    fiche: str
    line: int | None
    reason: str


@dataclass
class StreamStats:
    fiches: int = 0
    kept: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    max_open_elements: int = 0  # elements alive at once: bounded by one fiche


class _FicheBuilder:
    """expat handlers that build one ``FICHE`` element at a time (with line numbers) and queue it."""

    def __init__(self, path: Path, parser, stats: StreamStats) -> None:
        self.path, self.parser, self.stats = path, parser, stats
        self.builder: ET.TreeBuilder | None = None
        self.lines: dict[int, int] = {}
        self.depth = 0        # depth of the current element (FICHES = 1)
        self.fiche_depth = 0  # depth of the FICHE being built
        self.root: str | None = None
        self.ready: list[tuple[ET.Element, dict[int, int]]] = []

    def start(self, name: str, attrs: dict[str, str]) -> None:
        from crossref.parsing.fc_xml import MAX_XML_DEPTH

        self.depth += 1
        if self.depth > MAX_XML_DEPTH:  # fiches are walked recursively
            raise InputError(self.path, f"XML trop imbriqué (plus de {MAX_XML_DEPTH} niveaux d'éléments)",
                             line=self.parser.CurrentLineNumber)
        if self.depth == 1:
            self.root = name
        if self.builder is None and name == "FICHE" and self.depth <= 2:
            self.builder, self.lines, self.fiche_depth = ET.TreeBuilder(), {}, self.depth
        if self.builder is not None:
            elem = self.builder.start(name, attrs)
            self.lines[id(elem)] = self.parser.CurrentLineNumber
            self.stats.max_open_elements = max(self.stats.max_open_elements, len(self.lines))

    def end(self, name: str) -> None:
        if self.builder is not None:
            self.builder.end(name)
            if self.depth == self.fiche_depth:
                self.ready.append((self.builder.close(), self.lines))
                self.builder, self.fiche_depth = None, 0
        self.depth -= 1

    def data(self, text: str) -> None:
        if self.builder is not None:
            self.builder.data(text)

    def refuse_entity(self, *_args: object) -> None:
        raise InputError(self.path, "les déclarations d'entités XML (<!ENTITY>) ne sont pas acceptées",
                         line=self.parser.CurrentLineNumber)


def _convert(path: Path, elem: ET.Element, lines: dict[int, int], active_only: bool, stats: StreamStats,
             seen: dict[str, int | None]) -> Certification | None:
    """One fiche element as a Certification; None (recorded in ``stats``) when it is skipped."""
    from crossref.parsing import fc_xml

    stats.fiches += 1
    doc = fc_xml._Doc(elem, lines)
    line = doc.line(elem)
    numero = fc_xml._text(elem, "NUMERO_FICHE") or "?"
    actif = fc_xml._text(elem, "ACTIF")
    if active_only and actif and actif.lower() not in ("oui", "true", "1"):
        stats.skipped.append(Skipped(numero, line, "fiche inactive"))
        return None
    try:
        cert = fc_xml._parse_fiche(path, doc, elem)
    except CrossrefError as exc:
        stats.skipped.append(Skipped(numero, line, getattr(exc, "detail", str(exc))))
        return None
    if cert.id in seen:
        raise InputError(path, f"fiche {cert.id} présente deux fois (déjà ligne {seen[cert.id]})", line=line)
    seen[cert.id] = line
    stats.kept += 1
    return cert


def _expat_error(path: Path, exc: expat.ExpatError) -> InputError:
    from crossref.parsing.fc_xml import _EXPAT_FR

    msg = expat.ErrorString(exc.code) if exc.code else str(exc)
    msg = f"{_EXPAT_FR[msg]} ({msg})" if msg in _EXPAT_FR else msg
    return InputError(path, f"XML mal formé (colonne {exc.offset + 1}) : {msg}", line=exc.lineno)


def iter_fiches(path: str | Path, *, active_only: bool = True, stats: StreamStats | None = None
                ) -> Iterator[Certification]:
    """Every fiche of an export as a Certification, in document order, streamed.

    Malformed XML raises InputError (file, line, column). A fiche that cannot
    be read (no NUMERO_FICHE, no competence...) is skipped and recorded in
    ``stats.skipped`` instead of stopping the whole registry; so is an inactive
    fiche (``ACTIF`` other than « Oui ») when ``active_only``. A fiche number
    seen twice is an error.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "fichier introuvable")
    stats = stats if stats is not None else StreamStats()
    parser = expat.ParserCreate()
    parser.buffer_text = True
    handlers = _FicheBuilder(path, parser, stats)
    parser.StartElementHandler = handlers.start
    parser.EndElementHandler = handlers.end
    parser.CharacterDataHandler = handlers.data
    parser.EntityDeclHandler = handlers.refuse_entity
    seen: dict[str, int | None] = {}
    with path.open("rb") as f:
        while True:
            chunk = f.read(CHUNK)
            try:
                parser.Parse(chunk, not chunk)
            except expat.ExpatError as exc:
                raise _expat_error(path, exc) from None
            for elem, lines in handlers.ready:
                cert = _convert(path, elem, lines, active_only, stats, seen)
                if cert is not None:
                    yield cert
            handlers.ready.clear()
            if not chunk:
                break
    if handlers.root not in (None, "FICHES", "FICHE"):
        raise InputError(path, f"élément racine <{handlers.root}> : une exportation France Compétences "
                               f"commence par <FICHES>", line=1)


@dataclass(frozen=True)
class CsvBloc:
    fiche: str
    code: str
    title: str
    row: int


_BLOC_COLUMNS = ("Numero_Fiche", "Bloc_Competences_Code", "Bloc_Competences_Libelle")


def iter_blocs_csv(path: str | Path) -> Iterator[CsvBloc]:
    """Rows of the CSV export's blocs file, streamed (``;`` or ``,`` separated, UTF-8 with or without BOM)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "fichier introuvable")
    with path.open("rb") as raw:
        head = raw.read(4096)
    try:
        head_text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        head_text = head.decode("utf-8-sig", errors="ignore")
    first = head_text.splitlines()[0] if head_text else ""
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    with path.open("r", encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise InputError(path, "fichier vide") from None
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InputError(path, f"illisible ({exc}) ; UTF-8 attendu", row=1) from None
        names = [h.strip() for h in header]
        missing = [c for c in _BLOC_COLUMNS if c not in names]
        if missing:
            raise InputError(path, f"colonnes manquantes : {', '.join(missing)} (attendu : "
                                   f"{delimiter.join(_BLOC_COLUMNS)})", row=1)
        pos = [names.index(c) for c in _BLOC_COLUMNS]
        row_no = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except (UnicodeDecodeError, csv.Error) as exc:
                raise InputError(path, f"illisible ({exc})", row=row_no + 1) from None
            row_no += 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < len(names):
                raise InputError(path, f"{len(row)} colonnes au lieu de {len(names)}", row=row_no)
            fiche, code, title = (row[p].strip() for p in pos)
            if not fiche or not code:
                raise InputError(path, "Numero_Fiche et Bloc_Competences_Code sont obligatoires", row=row_no)
            yield CsvBloc(fiche.replace(" ", "").upper(), code, title, row_no)


__all__ = ["CsvBloc", "Skipped", "StreamStats", "iter_blocs_csv", "iter_fiches"]
