"""BTS référentiel text extracted from the official PDF (one file per BTS).

The file starts with ``RÉFÉRENTIEL — BTS <title> (<ACRONYM>)`` and holds
sections under banners (``####`` / ``## TITLE`` / ``####``):

- ``TABLEAU DE SYNTHÈSE``: the synthesis table, as cells labelled
  ``[BLOC(S) DE COMPÉTENCES]``, ``[UNITÉ(S)]``, ``[ACTIVITÉS]``/``[DOMAINE
  D'ACTIVITÉS]``, with the layout's line wraps; a cell may continue in the next
  ``[BLOC...]`` cell after an ``[UNITÉ...]`` cell (page or row break).
- ``ANNEXE I b — RÉFÉRENTIEL DE CERTIFICATION``: each professional bloc under an
  ``=====`` header (``Bloc 1 de compétences — ...`` or ``Bloc de compétences
  n°1 : ...``) with ``COMPÉTENCE : <title>`` followed by its activities
  (``- ...``), its ``Critères de performance :`` (NDRC style, per competence) or
  a bloc-level ``Critères d'évaluation :`` list (MCO style), and ``Savoirs
  associés`` (plain list, or table cells separated by ``---``).

One certification per file, id ``BTS_<ACRONYM>``. Blocs: the professional blocs
(``B1``..``Bn`` as numbered), then the general blocs of the synthesis table
(Culture générale et expression, Langue vivante étrangère 1, Culture
économique, juridique et managériale), numbered after them. Optional blocs
(``Bloc facultatif``) are left out: they are not needed to obtain the diploma.

Competences: ``C<bloc>.<n>`` (the files print no competence code). A
professional competence's statement is its title followed by its activities;
a general bloc's competences are the bullet points of its cell, their
statement prefixed by the bloc title and the heading they sit under.
Criteria: per competence ``<competence id>/CR<n>``, or shared by the bloc
``<bloc id>/CR<n>``. Savoirs associés become ``savoirs`` ``S<bloc>.<n>``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from crossref.errors import InputError
from crossref.model import Bloc, Certification, Competence, Criterion, make_id

DEFAULT_CERTIFIER = "Ministère de l'Enseignement supérieur"

_TITLE_RE = re.compile(r"^R[ÉE]F[ÉE]RENTIEL\s*[—–-]+\s*(BTS\b.*?)\s*$")
_ACRONYM_RE = re.compile(r"\(([A-Z][A-Z0-9]{1,11})\)\s*$")
_BANNER_RE = re.compile(r"^#{10,}\s*$")
_SECTION_TITLE_RE = re.compile(r"^##\s+(.+?)\s*$")
_RULE_RE = re.compile(r"^={10,}\s*$")
_PRO_BLOC_HEADER_RE = re.compile(
    r"^Bloc\s+(?:de\s+compétences\s+)?(?:n°\s*)?(\d+)\s*(?:de\s+compétences\s*)?[—–:\-]\s*(.+?)\s*$",
    re.IGNORECASE,
)
_COMPETENCE_RE = re.compile(r"^COMP[ÉE]TENCE\s*:\s*(.+?)\s*$")
_COMP_CRITERIA_RE = re.compile(r"^\s*Crit[èe]res\s+de\s+performance\s*:?\s*$", re.IGNORECASE)
_BLOC_CRITERIA_RE = re.compile(r"^\s*Crit[èe]res\s+d['’]\s*[ée]valuation\s*:?\s*$", re.IGNORECASE)
_SAVOIRS_RE = re.compile(r"^\s*Savoirs\s+associ[ée]s\b", re.IGNORECASE)
_CELL_LABEL_RE = re.compile(r"^\[([^\]]+)\]\s*$")
_BULLET_RE = re.compile(r"^[•●◦▪*\-–]\s*")
# "• des écrits contractuels" after "• Procédés d'écriture et genre": one savoir cut in two.
_CONTINUATION_BULLET_RE = re.compile(r"^(?:des|de|du|d'|d’|et|ou|à|aux)\s", re.IGNORECASE)
_SYNTH_PRO_RE = re.compile(r"^Bloc\s+de\s+compétences\s*(?:n°\s*)?(\d+)", re.IGNORECASE)
_UNIT_RE = re.compile(r"Unit[ée]\s+(U\s*F?\s*\d+)", re.IGNORECASE)
_LEVEL_RE = re.compile(r"\bniveau\s+(\d+)", re.IGNORECASE)
_CERTIFIER_RE = re.compile(r"Certificateur\s*:\s*([^(.\n]+)", re.IGNORECASE)

# General (non-professional) blocs of a BTS, as titled in the synthesis table.
GENERAL_TITLES: tuple[str, ...] = (
    "Culture générale et expression",
    "Langue vivante étrangère 1",
    "Culture économique, juridique et managériale",
    "Mathématiques",
)
OPTIONAL_PREFIX = "Bloc facultatif"


def sniff(path: Path, head: bytes) -> bool:
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    return bool(_TITLE_RE.match(text.split("\n", 1)[0].strip()))


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("’", "'")
    return re.sub(r"\s+", " ", text).strip().lower()


def join_wrapped(parts: list[str]) -> str:
    """Glue lines the PDF layout wrapped: ``e-`` + ``commerce`` -> ``e-commerce``."""
    out = ""
    for part in parts:
        part = part.strip()
        if not part:
            continue
        if not out:
            out = part
        elif re.search(r"\w-$", out) or out.endswith("/"):
            out += part
        else:
            out += " " + part
    return out


def _is_bullet(line: str) -> bool:
    return bool(_BULLET_RE.match(line.strip()))


def _strip_bullet(line: str) -> str:
    return _BULLET_RE.sub("", line.strip(), count=1).strip()


def _starts_upper(line: str) -> bool:
    for ch in line:
        if ch.isalpha():
            return ch.isupper()
    return False


@dataclass
class _Line:
    no: int  # 1-based line number in the file
    text: str


@dataclass
class _Section:
    title: str
    line: int
    lines: list[_Line]


def _sections(lines: list[str]) -> tuple[list[_Line], list[_Section]]:
    """Header lines before the first banner, and the banner-delimited sections."""
    header: list[_Line] = []
    sections: list[_Section] = []
    i = 0
    n = len(lines)
    while i < n:
        if (_BANNER_RE.match(lines[i]) and i + 2 < n and _SECTION_TITLE_RE.match(lines[i + 1])
                and _BANNER_RE.match(lines[i + 2])):
            title = _SECTION_TITLE_RE.match(lines[i + 1]).group(1)  # type: ignore[union-attr]
            sections.append(_Section(title, i + 2, []))
            i += 3
            continue
        target = sections[-1].lines if sections else header
        target.append(_Line(i + 1, lines[i]))
        i += 1
    return header, sections


def _find_section(path: Path, sections: list[_Section], *keys: str, what: str, last_line: int) -> _Section:
    for s in sections:
        t = _norm(s.title)
        if all(_norm(k) in t for k in keys):
            return s
    raise InputError(path, f"structure de référentiel BTS non reconnue : section « {what} » introuvable "
                     "jusqu'à la fin du fichier (ligne « ## ... » entre deux lignes de #)", line=last_line)


# ---------------------------------------------------------------------------
# Annexe I b: professional blocs
# ---------------------------------------------------------------------------


@dataclass
class _ProCompetence:
    title: str
    line: int
    activities: list[list[str]] = field(default_factory=list)
    criteria: list[list[str]] = field(default_factory=list)


@dataclass
class _ProBloc:
    number: int
    title: str
    line: int
    competences: list[_ProCompetence] = field(default_factory=list)
    criteria: list[list[str]] = field(default_factory=list)
    savoir_lines: list[str] = field(default_factory=list)


@dataclass
class _ProState:
    """Where the reader of a professional bloc is: which list the next bullets go to."""

    mode: str = ""  # "activities" | "comp_criteria" | "bloc_criteria" | "savoirs" | ""
    target: list[list[str]] | None = None
    comp: _ProCompetence | None = None


def _parse_certification_section(path: Path, section: _Section) -> list[_ProBloc]:
    blocs: list[_ProBloc] = []
    lines = section.lines
    state = _ProState()
    for k, ln in enumerate(lines):
        raw = ln.text.rstrip()
        stripped = raw.strip()
        header = _PRO_BLOC_HEADER_RE.match(stripped) if k > 0 and _RULE_RE.match(lines[k - 1].text) else None
        if header:
            blocs.append(_ProBloc(int(header.group(1)), header.group(2), ln.no))
            state = _ProState()
            continue
        if _RULE_RE.match(stripped) or not stripped:
            state.mode, state.target = "", None  # a blank line ends any list
            continue
        if not blocs:
            continue  # introduction of the annex
        if not _pro_marker(path, ln, stripped, blocs[-1], state):
            _pro_list_line(raw, stripped, blocs[-1], state)
    _check_pro_blocs(path, blocs, section)
    return blocs


def _pro_marker(path: Path, ln: _Line, stripped: str, bloc: _ProBloc, state: _ProState) -> bool:
    """Open the list a marker line announces (competence, criteria, savoirs); False for other lines."""
    m = _COMPETENCE_RE.match(stripped)
    if m:
        state.comp = _ProCompetence(m.group(1), ln.no)
        bloc.competences.append(state.comp)
        state.mode, state.target = "activities", state.comp.activities
    elif _COMP_CRITERIA_RE.match(stripped):
        if state.comp is None or state.mode not in ("activities", "comp_criteria"):
            raise InputError(path, "« Critères de performance » hors d'une compétence", line=ln.no)
        state.mode, state.target = "comp_criteria", state.comp.criteria
    elif _BLOC_CRITERIA_RE.match(stripped):
        state.mode, state.target, state.comp = "bloc_criteria", bloc.criteria, None
    elif _SAVOIRS_RE.match(stripped):
        state.mode, state.target, state.comp = "savoirs", None, None
    else:
        return False
    return True


def _pro_list_line(raw: str, stripped: str, bloc: _ProBloc, state: _ProState) -> None:
    """A line inside the current list: a new item, a wrapped line, or free text that ends the list."""
    if state.mode == "savoirs":
        bloc.savoir_lines.append(stripped)
    elif state.target is not None:
        if _is_bullet(stripped):
            state.target.append([_strip_bullet(stripped)])
        elif state.target and raw.startswith((" ", "\t")):
            state.target[-1].append(stripped)  # wrapped line of the previous item
        else:
            state.mode, state.target, state.comp = "", None, None  # free text (conditions d'exercice...)
    # Otherwise free text: "Conditions d'exercice", context lists... not part of the model.


def _check_pro_blocs(path: Path, blocs: list[_ProBloc], section: _Section) -> None:
    if not blocs:
        raise InputError(path, "aucun bloc de compétences (« Bloc N de compétences — ... » entre deux lignes "
                         "de =) dans la section du référentiel de certification", line=section.line)
    for i, b in enumerate(blocs, start=1):
        if b.number != i:
            raise InputError(path, f"blocs professionnels mal numérotés : bloc {b.number} trouvé, bloc {i} attendu",
                             line=b.line)
        if not b.competences:
            raise InputError(path, f"bloc {b.number} « {b.title} » : aucune ligne « COMPÉTENCE : ... »",
                             line=b.line)


def _savoirs(bloc_lines: list[str]) -> list[tuple[str, str]]:
    """(category, item) pairs from a "Savoirs associés" list or its table cells."""
    if "---" not in bloc_lines:
        items: list[list[str]] = []
        for ln in bloc_lines:
            if _is_bullet(ln):
                items.append([_strip_bullet(ln)])
            elif items:
                items[-1].append(ln)
        return [("", join_wrapped(p)) for p in items]
    cells: list[list[str]] = [[]]
    for ln in bloc_lines:
        if ln == "---":
            cells.append([])
        else:
            cells[-1].append(ln)
    out: list[tuple[str, str]] = []
    for cell in cells:
        category, entries = _savoir_cell(cell)
        if entries:  # else the "Savoirs associés" header cell
            out.extend((category, join_wrapped(e)) for e in entries)
    return out


def _savoir_cell(cell: list[str]) -> tuple[str, list[list[str]]]:
    """A table cell of savoirs: its category (the lines before the first bullet) and its entries."""
    category: list[str] = []
    entries: list[list[str]] = []
    for ln in cell:
        if _is_bullet(ln) and not (entries and _CONTINUATION_BULLET_RE.match(_strip_bullet(ln))):
            entries.append([_strip_bullet(ln)])
        elif _is_bullet(ln):
            entries[-1].append(_strip_bullet(ln))  # a bullet the PDF put on a wrapped line
        elif entries:
            entries[-1].append(ln)
        else:
            category.append(ln)
    return join_wrapped(category).rstrip(" :"), entries


# ---------------------------------------------------------------------------
# synthesis table: general blocs and units
# ---------------------------------------------------------------------------


@dataclass
class _GeneralBloc:
    title: str
    line: int
    lines: list[_Line] = field(default_factory=list)
    units: list[str] = field(default_factory=list)


@dataclass
class _Synthesis:
    general: list[_GeneralBloc]
    pro_units: dict[int, list[str]]
    pro_numbers: dict[int, int]  # bloc number -> line


def _cells(section: _Section) -> list[tuple[str, int, list[_Line]]]:
    cells: list[tuple[str, int, list[_Line]]] = []
    current: list[_Line] | None = None
    for ln in section.lines:
        m = _CELL_LABEL_RE.match(ln.text.strip())
        if m:
            current = []
            cells.append((_norm(m.group(1)), ln.no, current))
        elif not ln.text.strip():
            current = None
        elif current is not None:
            current.append(_Line(ln.no, ln.text.strip()))
    return cells


def _take_title(lines: list[_Line]) -> tuple[str, int] | None:
    """A known general title at the start of a cell, and how many lines it spans."""
    for title in sorted(GENERAL_TITLES, key=len, reverse=True):
        target = _norm(title)
        acc: list[str] = []
        for i, ln in enumerate(lines):
            acc.append(ln.text)
            joined = _norm(join_wrapped(acc))
            if joined == target:
                return title, i + 1
            if not target.startswith(joined):
                break
    return None


# The synthesis row being read: a professional bloc number, a general bloc, an optional bloc, or none.
_OPTIONAL = "optional"
_Row = int | _GeneralBloc | str | None


def _parse_synthesis(path: Path, section: _Section) -> _Synthesis:
    general: dict[str, _GeneralBloc] = {}
    pro_units: dict[int, list[str]] = {}
    pro_numbers: dict[int, int] = {}
    current: _Row = None
    for label, _label_line, lines in _cells(section):
        if not lines:
            continue
        if _norm(join_wrapped([ln.text for ln in lines])) == label:
            current = None  # the table's header row
        elif label.startswith("bloc"):
            current = _synthesis_bloc(path, lines, current, general, pro_numbers)
        elif label.startswith("unit"):
            _synthesis_unit(lines, current, pro_units)
        else:
            current = None  # activity cells start a new table row
    return _Synthesis(list(general.values()), pro_units, pro_numbers)


def _synthesis_bloc(path: Path, lines: list[_Line], current: _Row, general: dict[str, _GeneralBloc],
                    pro_numbers: dict[int, int]) -> _Row:
    """Read a bloc cell; returns the row it starts (or continues)."""
    m = _SYNTH_PRO_RE.match(join_wrapped([ln.text for ln in lines[:2]]))
    if m:
        pro_numbers[int(m.group(1))] = lines[0].no
        return int(m.group(1))
    if _norm(lines[0].text).startswith(_norm(OPTIONAL_PREFIX)):
        return _OPTIONAL
    taken = _take_title(lines)
    if taken:
        title, span = taken
        gb = general.get(title)
        if gb is None:
            gb = general[title] = _GeneralBloc(title, lines[0].no)
        gb.lines.extend(lines[span:])
        return gb
    if current is None or _starts_upper(lines[0].text):
        # Only a cell cut by a page or row break may start without a title (in lower case).
        raise InputError(
            path,
            f"tableau de synthèse : intitulé de bloc non reconnu « {lines[0].text} » (attendus : "
            "« Bloc de compétences N », « Bloc facultatif ... » ou " + ", ".join(GENERAL_TITLES) + ")",
            line=lines[0].no,
        )
    if isinstance(current, _GeneralBloc):
        current.lines.extend(lines)
    return current


def _synthesis_unit(lines: list[_Line], current: _Row, pro_units: dict[int, list[str]]) -> None:
    m = _UNIT_RE.search(join_wrapped([ln.text for ln in lines]))
    if not m or current is None:
        return
    unit = re.sub(r"\s+", "", m.group(1)).upper()
    if isinstance(current, _GeneralBloc):
        current.units.append(unit)
    elif isinstance(current, int):
        pro_units.setdefault(current, []).append(unit)


@dataclass
class _GeneralItem:
    parts: list[str]
    heading: str


def _general_items(gb: _GeneralBloc) -> list[tuple[str, str]]:
    """(heading, competence) pairs of a general bloc's cell lines.

    A bullet starts a competence; a run of non-bullet lines that starts with a
    capital and ends with ":" is a heading for the bullets after it; other
    non-bullet lines continue the previous competence (layout wraps).
    """
    lines = [ln.text for ln in gb.lines]
    items: list[_GeneralItem] = []
    heading = ""
    i = 0
    while i < len(lines):
        ln = lines[i]
        if _is_bullet(ln):
            items.append(_GeneralItem([_strip_bullet(ln)], heading))
            i += 1
            continue
        run_end = i
        while run_end < len(lines) and not _is_bullet(lines[run_end]) and not lines[run_end].endswith(":"):
            run_end += 1
        if _starts_upper(ln) and run_end < len(lines) and lines[run_end].endswith(":"):
            heading = join_wrapped(lines[i:run_end + 1]).rstrip(" :")
            i = run_end + 1
            continue
        if items:
            items[-1].parts.append(ln)
        else:
            items.append(_GeneralItem([ln], heading))
        i += 1
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for it in items:
        text = join_wrapped(it.parts).rstrip(" ;.")
        key = _norm(text)
        if key in seen:
            continue  # the same competence printed again for another unit (LV1 written / oral)
        seen.add(key)
        out.append((it.heading, text))
    return out


# ---------------------------------------------------------------------------
# assembling
# ---------------------------------------------------------------------------


def _units_label(units: list[str]) -> str:
    if not units:
        return ""
    uniq = list(dict.fromkeys(units))
    return ("Unité " if len(uniq) == 1 else "Unités ") + ", ".join(uniq)


def _acronym(path: Path, title: str) -> str:
    am = _ACRONYM_RE.search(title)
    if am:
        return am.group(1)
    words = [w for w in re.split(r"[\s'’-]+", title[3:]) if w[:1].isupper()]
    acronym = "".join(w[0] for w in words).upper()
    acronym = unicodedata.normalize("NFKD", acronym).encode("ascii", "ignore").decode()
    if not acronym:
        raise InputError(path, f"sigle du BTS introuvable dans l'intitulé {title!r}", line=1)
    return acronym


def _certifier(head_text: str) -> str:
    cm = _CERTIFIER_RE.search(head_text)
    if not cm:
        return DEFAULT_CERTIFIER
    c = cm.group(1).strip()
    return c[:1].upper() + c[1:]


def _check_synthesis(path: Path, pro_blocs: list[_ProBloc], synthesis: _Synthesis, section: _Section) -> None:
    detailed = {b.number for b in pro_blocs}
    for number, line in synthesis.pro_numbers.items():
        if number not in detailed:
            raise InputError(path, f"le bloc de compétences {number} du tableau de synthèse n'est pas détaillé "
                             "dans le référentiel de certification", line=line)
    found_general = {g.title for g in synthesis.general}
    for required in GENERAL_TITLES[:3]:
        if required not in found_general:
            raise InputError(path, f"bloc « {required} » introuvable dans le tableau de synthèse",
                             line=section.line)


def parse(path: Path) -> list[Certification]:
    from crossref.parsing.reading import read_text

    path = Path(path)
    text = read_text(path)
    lines = text.splitlines()
    m = _TITLE_RE.match(lines[0].strip()) if lines else None
    if not m:
        raise InputError(path, "première ligne « RÉFÉRENTIEL — BTS ... » attendue", line=1)
    title = m.group(1)
    cert_id = f"BTS_{_acronym(path, title)}"

    header, sections = _sections(lines)
    head_text = "\n".join(ln.text for ln in header)
    lm = _LEVEL_RE.search(head_text)

    synth_section = _find_section(path, sections, "tableau de synthèse", what="TABLEAU DE SYNTHÈSE",
                                  last_line=len(lines))
    cert_section = _find_section(path, sections, "référentiel de certification",
                                 what="ANNEXE I b — RÉFÉRENTIEL DE CERTIFICATION", last_line=len(lines))
    pro_blocs = _parse_certification_section(path, cert_section)
    synthesis = _parse_synthesis(path, synth_section)
    _check_synthesis(path, pro_blocs, synthesis, synth_section)

    cert = Certification(
        id=cert_id,
        title=title,
        register="RNCP",
        number="",
        certifier=_certifier(head_text),
        level=lm.group(1) if lm else "",
        sources=[path.name],
    )
    for pb in pro_blocs:
        _add_pro_bloc(cert, pb, synthesis.pro_units.get(pb.number, []))
    number = len(pro_blocs)
    for gb in synthesis.general:
        number += 1
        _add_general_bloc(path, cert, gb, number)
    return [cert]


def _add_pro_bloc(cert: Certification, pb: _ProBloc, units: list[str]) -> None:
    """A professional bloc with its competences, criteria and savoirs."""
    cert_id = cert.id
    bloc_id = make_id(cert_id, f"B{pb.number}")
    cert.blocs.append(Bloc(id=bloc_id, certification=cert_id, code=f"B{pb.number}", title=pb.title,
                           description=_units_label(units)))
    for k, pc in enumerate(pb.competences, start=1):
        code = f"C{pb.number}.{k}"
        comp_id = make_id(cert_id, code)
        activities = [join_wrapped(a).rstrip(" ;.") for a in pc.activities]
        statement = pc.title + (" : " + " ; ".join(activities) if activities else "")
        cert.competences.append(Competence(id=comp_id, certification=cert_id, code=code, title=pc.title,
                                           statement=statement, bloc_id=bloc_id))
        for n, crit in enumerate(pc.criteria, start=1):
            cert.criteria.append(Criterion(id=f"{comp_id}/CR{n}", text=join_wrapped(crit), bloc_id=bloc_id,
                                           code=f"CR{n}", competence_ids=[comp_id]))
    for n, crit in enumerate(pb.criteria, start=1):
        cert.criteria.append(Criterion(id=f"{bloc_id}/CR{n}", text=join_wrapped(crit), bloc_id=bloc_id,
                                       code=f"CR{n}"))
    for n, (category, item) in enumerate(_savoirs(pb.savoir_lines), start=1):
        code = f"S{pb.number}.{n}"
        cert.savoirs.append(Competence(id=make_id(cert_id, code), certification=cert_id, code=code,
                                       title=item, statement=f"{category} : {item}" if category else item,
                                       bloc_id=bloc_id, kind="savoir"))


def _add_general_bloc(path: Path, cert: Certification, gb: _GeneralBloc, number: int) -> None:
    """A general bloc of the synthesis table, numbered after the professional ones."""
    items = _general_items(gb)
    if not items:
        raise InputError(path, f"bloc « {gb.title} » : aucune compétence dans le tableau de synthèse",
                         line=gb.line)
    cert_id = cert.id
    bloc_id = make_id(cert_id, f"B{number}")
    desc = "; ".join(x for x in (
        _units_label(gb.units),
        "compétences du tableau de synthèse (non détaillées dans le référentiel de certification)",
    ) if x)
    cert.blocs.append(Bloc(id=bloc_id, certification=cert_id, code=f"B{number}", title=gb.title,
                           description=desc))
    for k, (heading, item) in enumerate(items, start=1):
        code = f"C{number}.{k}"
        statement = f"{gb.title} — " + (f"{heading} : {item}" if heading else item)
        cert.competences.append(Competence(id=make_id(cert_id, code), certification=cert_id, code=code,
                                           title=item, statement=statement, bloc_id=bloc_id))


def derive_template(raw_path: str | Path, csv_path: str | Path) -> Path:
    """Write the template CSV (or xlsx) of a BTS référentiel text (data/extra/bts_*.csv)."""
    from crossref.parsing.template import write_template

    return write_template(parse(Path(raw_path)), csv_path)
