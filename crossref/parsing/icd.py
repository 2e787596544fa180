"""ICD "Responsable marketing et de la relation client" (RNCP 38938) from two raw exports.

Sources (data/raw):

- ``icd_rncp38938_annee4.txt``: plain text of year 4 (blocs 1-2), one paragraph a line,
  criteria run together ("§ A.§ B." or "A.B.") and training hours glued to statements.
- ``icd_rncp38938_mindmap.txt``: a mind-map export of blocs 1-4, children in reverse
  order, paragraphs wrapped over several lines, Dutch export header.

Both files are read with one line grammar:

- ``Bloc <n> [:] <title>``
- ``Activité <n>`` followed by its title line (``A.2. ...``, ``Activité A1: ...``);
- ``[C][.]<bloc>.<n> <title>``: a competence, then its statement, an optional
  ``Critères d'évaluation`` line and its criteria (``§`` bullets, lines, or
  sentences glued as ``...fin.Début``), possibly grouped under ``Label :`` lines;
- ``Modalités d'évaluation ...``: a modality, its body up to the next heading.
  Text between a bloc heading and the next heading is an untitled modality (bloc 4).

Blocs found in both files are merged, the year-4 text first: a sentence printed
differently raises InputError; a sentence only one file prints is kept (the text
file's bloc 2 modality has one the mind map lacks); the layout is merged, so a
criterion boundary, a space or a line break present in either printing is kept
("dudiagnostic" in the text file, "du / diagnostic" in the mind map: "du diagnostic").

Ids: bloc ``ICD:B<n>``; activity ``ICD:A<n>`` (the source numbers activities across
the whole certification, A1..A11); competence ``ICD:C<b>.<n>``; criterion
``<competence id>/CR<k>``; modality ``<bloc id>/M<k>``, ordered by the first
competence they name.

The parser fails loudly (InputError with file and line) rather than return a
shorter référentiel: codes must be contiguous from 1 in every bloc of every file,
every competence needs a statement and at least one criterion, and every code a
modality names must exist.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from crossref.errors import InputError
from crossref.model import Activity, Bloc, Certification, Competence, Criterion, Modality, make_id
from crossref.parsing.reading import read_text

# -- line grammar -------------------------------------------------------------
_BLOC_RE = re.compile(r"^Bloc\s+(\d+)\s*:?\s*(\S.*)$")
_ACTIVITY_RE = re.compile(r"^Activit[ée]\s+(\d+)$")
# "Activité A1: Diagnostic...", "A.2. Etablissement...", "A. 10. Proposition..."
_ACTIVITY_TITLE_RE = re.compile(r"^(?:Activit[ée]\s+)?A\s*\.?\s*(\d+)\s*[.:]\s*(\S.*)$")
# "c1.1 Produire", "C 1.3 Définir", "C.3.4 Suivre", "4.3 Elaborer"; a capital must
# follow, so modality lines such as "C.3.4 : Mise en situation" are not headings.
_COMPETENCE_RE = re.compile(r"^(?:[Cc]\s*\.?\s*)?(\d{1,2})\s*\.\s*(\d{1,2})\s+([A-ZÀ-ÖØ-Þ].*)$")
_MODALITY_RE = re.compile(r"^Modalit[ée]s\s+d['’]\s*[ée]valuation\b\s*(.*)$")
_CRITERIA_MARK_RE = re.compile(r"^Crit[èe]res\s+d['’]\s*[ée]valuation\s*:?$")
# "Entretien annuel :" groups the criteria that follow it.
_SUBHEADING_RE = re.compile(r"^[^§\-–•].{0,78}\S\s*:$")
_BULLET_RE = re.compile(r"^[-–•]\s+")

# Export noise that may sit anywhere: year markers, the mind-map tool's Dutch
# metadata, repeated certification titles.
_NOISE_LINE_RES = (
    re.compile(r"^\d+\s*(?:e|è|ème|eme|ère|ere)\s+année$", re.IGNORECASE),
    re.compile(r"^Categorie[ëe]n\s*:"),
    re.compile(r"^door\s+.+\s+geleden$"),
    re.compile(r"^Titre\s+ICD\b.*\bRNCP\s*\d+$"),
)

# Training hours pasted into statements: "client16 heures de face à face8 heures
# d'autonomie", "envisagées16 de face à face", "ROI16 heures de face à face".
# A number or "heures"/"h" is required, so "Préparation en autonomie" stays.
_HOURS_RE = re.compile(
    r"(?:\d+\s*(?:heures?|h)?|\b(?:heures?|h))\s*"
    r"(?:de\s+|d['’]\s*|en\s+)?"
    r"(?:face\s*[àa]\s*face|autonomie|e-?learning|distanciel|pr[ée]sentiel)",
    re.IGNORECASE,
)

# "...déterminés.La stratégie...": a sentence glued to the previous one. The letter
# or ")" before the period keeps decimals (3.4) and codes (A.2., C.1.1) whole.
_GLUED_SENTENCE_RE = re.compile(r"(?<=[a-zà-ÿ)…»]\.)(?=[A-ZÀ-ÖØ-Þ])")

# A sentence end in whitespace-free text: "mener.Les", "persona…)Les", "[C.1.4].-Établir".
_SENTENCE_END_RE = re.compile(r"(?<=[.!?…)])(?=[A-ZÀ-ÖØ-Þ§«-])")

# Competence references in modalities: "3.4", "C.3.4", "C3.1", "[C.1.1]", "1.1 à 1.6".
_CODE_REF = r"(?:C\s*\.?\s*)?(\d{1,2})\s*\.\s*(\d{1,2})(?!\d)"
_CODE_RANGE_RE = re.compile(r"(?<![\w.])" + _CODE_REF + r"\s*à\s*" + _CODE_REF)
_CODE_REF_RE = re.compile(r"(?<![\w.])" + _CODE_REF)

UNTITLED_MODALITY = "Modalités d'évaluation"

# Layout gap strengths between two printed characters (see _merge_printings).
_NONE, _SPACE, _NEWLINE, _BOUNDARY = 0, 1, 2, 3


# -- intermediate records (one per file, then merged) -------------------------
@dataclass
class _Comp:
    path: Path
    line: int
    bloc: int
    n: int
    title: str
    statement: str
    criteria: list[str]
    activity: int | None

    @property
    def code(self) -> str:
        return f"C{self.bloc}.{self.n}"


@dataclass
class _Act:
    path: Path
    line: int
    bloc: int
    n: int
    title: str


@dataclass
class _Mod:
    path: Path
    line: int
    bloc: int
    title: str
    text: str


@dataclass
class _Source:
    path: Path
    blocs: dict[int, tuple[str, int]] = field(default_factory=dict)  # n -> (title, line)
    activities: dict[int, _Act] = field(default_factory=dict)
    comps: dict[tuple[int, int], _Comp] = field(default_factory=dict)
    mods: list[_Mod] = field(default_factory=list)


@dataclass
class _Section:
    kind: str  # "preamble" (text after a bloc heading), "activity", "competence", "modality"
    line: int
    bloc: int
    head: Any = None  # activity number, (n, title) of a competence, modality title
    activity: int | None = None
    lines: list[tuple[int, str]] = field(default_factory=list)


# -- text helpers ---------------------------------------------------------------
def _normalise(text: str) -> str:
    return " ".join(text.split())


def _loose(text: str) -> str:
    """Comparison key: printings differ only in whitespace and apostrophes."""
    return re.sub(r"\s+", "", text).replace("’", "'").casefold()


def _strip_hours(text: str) -> str:
    return _normalise(_HOURS_RE.sub(" ", text))


def _continues(prev: str, nxt: str) -> bool:
    """Whether line ``nxt`` carries on paragraph ``prev`` (a layout wrap, not a new item)."""
    if nxt.startswith("§") or _BULLET_RE.match(nxt):
        return False
    if prev.count("(") > prev.count(")") or prev[-1] in ",;/-–(":
        return True
    if nxt[0].islower() or nxt[0] in "(/…":
        return True
    if nxt[0] in "«\"" and prev[-1] not in ".!?…:":
        return True
    # A capital after a full sentence, or after a sentence lacking its period
    # ("...est manifeste" / "L'argumentation..."), starts a new item.
    return False


def _split_criteria(text: str) -> list[str]:
    pieces: list[str] = []
    for bullet in text.split("§"):
        pieces.extend(_normalise(p) for p in _GLUED_SENTENCE_RE.split(bullet))
    return [p for p in pieces if p]


def _modality_text(lines: list[tuple[int, str]]) -> str:
    """Paragraphs and "- " bullets, one a line."""
    paras: list[str] = []
    for _, text in lines:
        bullet = _BULLET_RE.match(text)
        if bullet:
            text = "- " + text[bullet.end():]
        if paras and _continues(paras[-1], text):
            paras[-1] += " " + text
        else:
            paras.append(text)
    return "\n".join(_GLUED_SENTENCE_RE.sub("\n", p) for p in paras)


# -- one file -------------------------------------------------------------------
def _parse_file(path: Path) -> _Source:
    src = _Source(path)
    section: _Section | None = None
    bloc: int | None = None
    activity: int | None = None

    def require_bloc(no: int, what: str) -> int:
        if bloc is None:
            raise InputError(path, f"{what} avant le premier « Bloc »", line=no)
        return bloc

    for no, raw in enumerate(read_text(path).splitlines(), start=1):
        line = _normalise(raw)
        if not line or any(r.match(line) for r in _NOISE_LINE_RES):
            continue
        if m := _BLOC_RE.match(line):
            _close(src, section)
            bloc, activity = int(m[1]), None
            _add_bloc(src, bloc, m[2], no)
            section = _Section("preamble", no, bloc)
        elif m := _ACTIVITY_RE.match(line):
            _close(src, section)
            activity = int(m[1])
            section = _Section("activity", no, require_bloc(no, "activité"), head=activity)
        elif _MODALITY_RE.match(line):
            _close(src, section)
            section = _Section("modality", no, require_bloc(no, "modalité"), head=line)
        elif m := _COMPETENCE_RE.match(line):
            _close(src, section)
            current = require_bloc(no, "compétence")
            if int(m[1]) != current:
                raise InputError(path, f"compétence C{m[1]}.{m[2]} sous le bloc {current}", line=no)
            section = _Section("competence", no, current, head=(int(m[2]), m[3]), activity=activity)
        elif section is not None:
            section.lines.append((no, line))
        # else: the export header before the first bloc, ignored.
    _close(src, section)
    return src


def _add_bloc(src: _Source, n: int, title: str, line: int) -> None:
    title = _normalise(title)
    if n in src.blocs and _loose(src.blocs[n][0]) != _loose(title):
        raise InputError(src.path, f"bloc {n} intitulé différemment ligne {src.blocs[n][1]}", line=line)
    src.blocs.setdefault(n, (title, line))


def _close(src: _Source, section: _Section | None) -> None:
    if section is None:
        return
    if section.kind == "activity":
        _close_activity(src, section)
    elif section.kind == "competence":
        _close_competence(src, section)
    elif section.lines or section.kind == "modality":
        title = section.head if section.kind == "modality" else UNTITLED_MODALITY
        text = _modality_text(section.lines)
        if not text:
            raise InputError(src.path, f"« {title} » sans contenu", line=section.line)
        mod = _Mod(src.path, section.line, section.bloc, title, text)
        key = (mod.bloc, _loose(mod.title), _loose(mod.text))
        if key not in {(m.bloc, _loose(m.title), _loose(m.text)) for m in src.mods}:
            src.mods.append(mod)


def _close_activity(src: _Source, section: _Section) -> None:
    n = section.head
    title = ""
    if section.lines:
        if len(section.lines) > 1:
            no, text = section.lines[1]
            raise InputError(src.path, f"texte inattendu après l'intitulé de l'activité {n} : « {text[:60]} »",
                             line=no)
        title = section.lines[0][1]
        m = _ACTIVITY_TITLE_RE.match(title)
        # The printed code is dropped: "Activité 7" is titled "A.8. ..." in the
        # mind map while "Activité 8" exists; the heading number is the reliable one.
        title = m[2] if m else title
    act = _Act(src.path, section.line, section.bloc, n, title)
    old = src.activities.get(n)
    if old and (old.bloc != act.bloc or _loose(old.title) != _loose(act.title)):
        raise InputError(src.path, f"activité {n} déjà définie différemment ligne {old.line}", line=act.line)
    src.activities.setdefault(n, act)


def _close_competence(src: _Source, section: _Section) -> None:
    n, title = section.head
    code = f"C{section.bloc}.{n}"
    paras: list[list[Any]] = []  # [line, text, is_subheading]
    marker: int | None = None  # paragraphs before "Critères d'évaluation" form the statement
    open_para = False
    for no, raw in section.lines:
        text = _strip_hours(raw)
        if not text:  # a line of training hours only: it ends the paragraph
            open_para = False
            continue
        if _CRITERIA_MARK_RE.match(text):
            marker, open_para = len(paras), False
            continue
        if open_para and _continues(paras[-1][1], text):
            paras[-1][1] += " " + text
            continue
        heading = bool(paras) and bool(_SUBHEADING_RE.match(text))
        paras.append([no, text, heading])
        open_para = not heading
    n_statement = 1 if marker is None else marker
    if not paras or n_statement == 0:
        raise InputError(src.path, f"{code} : énoncé de la compétence introuvable", line=section.line)
    statement = " ".join(p[1] for p in paras[:n_statement])
    criteria: list[str] = []
    label = ""
    for i, (no, text, heading) in enumerate(paras[n_statement:], start=n_statement):
        if heading:
            # The group label prefixes its criteria, so that nothing is lost.
            if i + 1 == len(paras) or paras[i + 1][2]:
                raise InputError(src.path, f"{code} : « {text} » n'est suivi d'aucun critère", line=no)
            label = text
            continue
        criteria.extend(f"{label} {c}" if label else c for c in _split_criteria(text))
    if not criteria:
        raise InputError(src.path, f"{code} : aucun critère d'évaluation trouvé", line=section.line)
    comp = _Comp(src.path, section.line, section.bloc, n, _strip_hours(title), statement, criteria,
                 section.activity)
    old = src.comps.get((comp.bloc, n))
    if old is not None:
        if _comp_key(old) != _comp_key(comp):
            raise InputError(src.path, f"{code} en double, différent de la ligne {old.line}", line=comp.line)
        return
    src.comps[(comp.bloc, n)] = comp


def _comp_key(c: _Comp) -> tuple[str, str, str]:
    return _loose(c.title), _loose(c.statement), _loose("".join(c.criteria))


# -- checks -----------------------------------------------------------------------
def _check_complete(src: _Source) -> None:
    """Blocs numbered 1..n, competence codes 1..n in each, each with a statement."""
    blocs = sorted(src.blocs)
    if not blocs:
        raise InputError(src.path, "aucun « Bloc <n> » trouvé")
    if blocs != list(range(1, blocs[-1] + 1)):
        raise InputError(src.path, f"blocs non consécutifs : {', '.join(map(str, blocs))}")
    for b in blocs:
        title, line = src.blocs[b]
        found = sorted(n for (bb, n) in src.comps if bb == b)
        if not found:
            raise InputError(src.path, f"bloc {b} : aucune compétence trouvée", line=line)
        missing = [f"C{b}.{n}" for n in range(1, found[-1] + 1) if n not in found]
        if missing:
            raise InputError(
                src.path,
                f"bloc {b} : compétence(s) {', '.join(missing)} introuvable(s) (trouvées : "
                f"{', '.join(f'C{b}.{n}' for n in found)}) ; intitulé de compétence mal formé ?",
                line=line,
            )
    for c in src.comps.values():
        if not c.statement.strip():
            raise InputError(c.path, f"{c.code} : énoncé vide", line=c.line)


# -- merging the two printings ----------------------------------------------------
def _layout(items: list[str]) -> tuple[str, list[int]]:
    """The printed characters, and the gap strength before each (none before the first)."""
    chars: list[str] = []
    gaps: list[int] = []
    pending = _NONE
    for item in items:
        if chars:
            pending = _BOUNDARY
        for ch in item:
            if ch.isspace():
                pending = max(pending, _NEWLINE if ch == "\n" else _SPACE)
                continue
            gaps.append(pending if chars else _NONE)
            chars.append(ch)
            pending = _NONE
    return "".join(chars), gaps


def _sentences(chars: str) -> list[str]:
    """Cut a whitespace-free text after each sentence end, to diff sentence by sentence."""
    return _SENTENCE_END_RE.split(chars)


def _merge_printings(primary: list[str], secondary: list[str], what: str,
                     first: tuple[Path, int], second: tuple[Path, int]) -> list[str]:
    """Merge two printings of the same items into one list of items.

    Where both hold the same sentence, the strongest gap of either is kept between
    its characters (item boundary > line break > space > none), so a word glued in
    one printing is separated by the other. A sentence only one printing has is kept
    too, with its own layout. A sentence printed differently raises InputError.
    """
    p_chars, p_gaps = _layout(primary)
    s_chars, s_gaps = _layout(secondary)
    # Diffing whole sentences, a changed word can never pass for an insertion.
    p_sents = _sentences(p_chars.replace("’", "'"))
    s_sents = _sentences(s_chars.replace("’", "'"))
    p_at = [0]
    for sent in p_sents:
        p_at.append(p_at[-1] + len(sent))
    s_at = [0]
    for sent in s_sents:
        s_at.append(s_at[-1] + len(sent))
    chars: list[str] = []
    gaps: list[int] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, p_sents, s_sents, autojunk=False).get_opcodes():
        pa, pb, sa, sb = p_at[i1], p_at[i2], s_at[j1], s_at[j2]
        if tag == "replace":
            raise InputError(
                second[0],
                f"{what} : texte différent de {first[0].name} (ligne {first[1]}) : "
                f"« {p_chars[pa:pb][:120]} » / « {s_chars[sa:sb][:120]} » (espaces retirés)",
                line=second[1],
            )
        if tag == "equal":
            chars.extend(p_chars[pa:pb])
            gaps.extend(max(a, b) for a, b in zip(p_gaps[pa:pb], s_gaps[sa:sb]))
        elif tag == "delete":  # only in the primary printing
            chars.extend(p_chars[pa:pb])
            gaps.extend(p_gaps[pa:pb])
        else:  # "insert": only in the secondary printing
            chars.extend(s_chars[sa:sb])
            gaps.extend(s_gaps[sa:sb])
    items: list[str] = []
    for ch, gap in zip(chars, gaps):
        if gap == _BOUNDARY or not items:
            items.append(ch)
        else:
            items[-1] += ("", " ", "\n")[gap] + ch
    return items


def _merge_text(a: str, b: str, what: str, first: tuple[Path, int], second: tuple[Path, int]) -> str:
    return "".join(_merge_printings([a], [b], what, first, second))


def _merge(primary: _Source, secondary: _Source) -> _Source:
    """One source from two: ``primary``'s wording, layout and data merged from both."""
    out = _Source(primary.path)
    for n in sorted(primary.blocs.keys() | secondary.blocs.keys()):
        p, s = primary.blocs.get(n), secondary.blocs.get(n)
        if p and s:
            title = _merge_text(p[0], s[0], f"intitulé du bloc {n}", (primary.path, p[1]), (secondary.path, s[1]))
            out.blocs[n] = (title, p[1])
        else:
            out.blocs[n] = p or s  # type: ignore[assignment]

    for n in sorted(primary.activities.keys() | secondary.activities.keys()):
        pa, sa = primary.activities.get(n), secondary.activities.get(n)
        if pa and sa:
            if pa.bloc != sa.bloc:
                raise InputError(sa.path, f"activité {n} sous le bloc {sa.bloc}, bloc {pa.bloc} dans "
                                          f"{pa.path.name}", line=sa.line)
            pa.title = _merge_text(pa.title, sa.title, f"intitulé de l'activité {n}",
                                   (pa.path, pa.line), (sa.path, sa.line))
        out.activities[n] = pa or sa  # type: ignore[assignment]

    for key in sorted(primary.comps.keys() | secondary.comps.keys()):
        pc, sc = primary.comps.get(key), secondary.comps.get(key)
        if pc and sc:
            _merge_comp(pc, sc)
        out.comps[key] = pc or sc  # type: ignore[assignment]

    out.mods = list(primary.mods)
    for sm in secondary.mods:
        twin = next((m for m in out.mods if m.bloc == sm.bloc and _loose(m.title) == _loose(sm.title)), None)
        if twin is None:
            out.mods.append(sm)
        else:
            twin.text = _merge_text(twin.text, sm.text, f"« {sm.title} » (bloc {sm.bloc})",
                                    (twin.path, twin.line), (sm.path, sm.line))
    return out


def _merge_comp(pc: _Comp, sc: _Comp) -> None:
    """Check a competence printed in both files and merge the second into the first."""
    first, second = (pc.path, pc.line), (sc.path, sc.line)
    if pc.activity != sc.activity:
        raise InputError(sc.path, f"{sc.code} sous l'activité {sc.activity}, activité {pc.activity} dans "
                                  f"{pc.path.name} (ligne {pc.line})", line=sc.line)
    pc.title = _merge_text(pc.title, sc.title, f"{pc.code} (intitulé)", first, second)
    pc.statement = _merge_text(pc.statement, sc.statement, f"{pc.code} (énoncé)", first, second)
    pc.criteria = _merge_printings(pc.criteria, sc.criteria, f"{pc.code} (critères)", first, second)


# -- competence references in modalities -------------------------------------------
def _named_codes(text: str) -> list[tuple[int, int]]:
    """Competence codes a modality names, ranges ("2.1 à 2.5") expanded."""
    codes: set[tuple[int, int]] = set()

    def take_range(m: re.Match[str]) -> str:
        b1, n1, b2, n2 = map(int, m.groups())
        if b1 == b2 and n1 <= n2:
            codes.update((b1, n) for n in range(n1, n2 + 1))
        else:
            codes.update({(b1, n1), (b2, n2)})
        return " "

    rest = _CODE_RANGE_RE.sub(take_range, text)
    codes.update((int(b), int(n)) for b, n in _CODE_REF_RE.findall(rest))
    return sorted(codes)


# -- entry point ----------------------------------------------------------------------
def parse_icd(text_path: Path, mindmap_path: Path, meta: dict[str, Any]) -> Certification:
    """Build the ICD certification from its year-4 text and its mind-map export."""
    text_path, mindmap_path = Path(text_path), Path(mindmap_path)
    sources = [_parse_file(text_path), _parse_file(mindmap_path)]
    for src in sources:
        _check_complete(src)  # per file, so a garbled heading is never hidden by the other file
    merged = _merge(*sources)
    _check_complete(merged)

    cert = Certification(**meta)
    cert.sources = [text_path.name, mindmap_path.name]
    cid = cert.id
    bloc_ids = {n: make_id(cid, f"B{n}") for n in merged.blocs}
    for n, (title, _) in sorted(merged.blocs.items()):
        cert.blocs.append(Bloc(id=bloc_ids[n], certification=cid, code=f"B{n}", title=title))
    for n, act in sorted(merged.activities.items()):
        cert.activities.append(Activity(id=make_id(cid, f"A{n}"), code=f"A{n}", title=act.title,
                                        bloc_id=bloc_ids[act.bloc]))

    comp_ids = {key: make_id(cid, c.code) for key, c in merged.comps.items()}
    for key, c in sorted(merged.comps.items()):
        cert.competences.append(Competence(
            id=comp_ids[key], certification=cid, code=c.code, title=c.title, statement=c.statement,
            bloc_id=bloc_ids[c.bloc], activity_id=make_id(cid, f"A{c.activity}") if c.activity else "",
        ))

    _add_modalities(cert, merged, bloc_ids, comp_ids)
    for key, c in sorted(merged.comps.items()):
        mods = [m.id for m in cert.modalities if comp_ids[key] in m.competence_ids]
        for k, text in enumerate(c.criteria, start=1):
            cert.criteria.append(Criterion(
                id=f"{comp_ids[key]}/CR{k}", text=text, bloc_id=bloc_ids[c.bloc], code=f"CR{k}",
                competence_ids=[comp_ids[key]], modality_ids=mods,
            ))

    try:
        cert.validate()
    except ValueError as exc:
        raise InputError(mindmap_path, f"référentiel incohérent : {exc}") from None
    return cert


def _add_modalities(cert: Certification, merged: _Source, bloc_ids: dict[int, str],
                    comp_ids: dict[tuple[int, int], str]) -> None:
    named: list[tuple[_Mod, list[tuple[int, int]]]] = []
    for mod in merged.mods:
        codes = _named_codes(f"{mod.title}\n{mod.text}")
        unknown = [f"C{b}.{n}" for b, n in codes if (b, n) not in comp_ids]
        if unknown:
            raise InputError(mod.path, f"« {mod.title} » cite des compétences inconnues : {', '.join(unknown)}",
                             line=mod.line)
        named.append((mod, codes))
    # Ordered by the first competence named: the mind map lists modalities in reverse.
    order = {id(m): i for i, (m, _) in enumerate(named)}
    named.sort(key=lambda mc: (mc[0].bloc, mc[1][0] if mc[1] else (999, 999), order[id(mc[0])]))
    counts: dict[int, int] = {}
    for mod, codes in named:
        k = counts[mod.bloc] = counts.get(mod.bloc, 0) + 1
        cert.modalities.append(Modality(
            id=f"{bloc_ids[mod.bloc]}/M{k}", text=mod.text, bloc_id=bloc_ids[mod.bloc], code=f"M{k}",
            title=mod.title, competence_ids=[comp_ids[c] for c in codes],
        ))
