"""Référentiel tables copied from France Compétences pages (NEOMA, RS, CPMC).

Sources (data/raw): ``neoma_manager_relation_client.txt``,
``rs_optimiser_relation_client.txt`` and ``cpmc.txt``. Each holds one HTML table
pasted as text: one table row a line, TAB-separated cells (activités |
compétences | modalités | critères; the RS has no activity column), cells in
``<p>``, ``<ul>`` (with ``<li>`` or inline " - " items) and ``<b>/<i>/<u>``.
Page breaks of the original PDF split a logical row over several lines, leave
``---\\t--\\t--`` separators and "ELEMENTS COMPLEMENTAIRES RELATIFS A LA DEMANDE"
banners between them, and cut cells mid-sentence.

Shared reading (``read_table`` -> ``html_blocks`` -> ``merge_column``):

- the table starts after the header line naming ``CRITÈRES`` and ends at the
  last tabbed line; blank lines, separators and banners are dropped, other
  untabbed lines are kept as headings (the RS prints two activity titles so);
- a cell becomes blocks, one per paragraph or list item (bullets flagged);
- the chunks of one column over the rows of a bloc are concatenated, and a
  block cut by a page break is re-joined to the first block of the next chunk
  when it does not end a sentence (``.:;!?``) and the next block is neither a
  bullet nor a new coded item ("afin" + "d'améliorer...", "(CSAT," + "NPS...").

Rules the sources do not state, chosen here:

- Competence title (no short form is printed): the first line of the statement
  when it is at most 80 characters; else its first clause, i.e. the prefix
  before the first " afin d", " en " + gerund, " pour ", " permettant ",
  " qui ", " notamment " or ":" found outside parentheses at least 20
  characters in (set phrases such as "mise en œuvre", "en fonction de", "en
  matière de" do not cut; a comma before the opener goes with it); a clause
  still over 100 characters is cut at its first comma (an enumeration is not
  cut otherwise). Trailing punctuation is stripped; short statements are their
  own title.
- NEOMA competence -> activity: every NEOMA bloc prints as many activities as
  competences (A1-A5/C1-C5 ... A19-A21/C19-C21), so they are paired in order
  (Cn <-> An). Should a bloc's counts differ, a competence takes the first
  activity printed in its own table row, else the last one printed above it.
- NEOMA criteria: "C2 - C3 Les ... (M1)" belongs to each competence named and
  each modality in parentheses; a criterion printed without a code ("Le plan
  d'actions ... intègre (M9) :") belongs to the competences of the criterion
  before it. A modality's competence_ids are those of the criteria naming it.
- RS: each "n° Activité" is a bloc ``RS:B<n>`` and an activity ``RS:A<n>``; its
  competences (uncoded bullets) are ``RS:A<n>.<k>``; its production is one
  modality ``RS:M<n>`` titled by the paragraph before "Comprenant :"; each
  bulleted criterion is ``RS:CR<k>`` (group headings are not criteria).
- CPMC: a domain starts at a row whose first activity paragraph is a short
  title without final punctuation (not the continuation of a cut sentence);
  it is bloc ``CPMC:B<n>`` and activity ``CPMC:A<n>`` (the prose as
  description). SC codes are savoirs (kind="savoir"). Criteria CE<n> belong to
  the domain (no competence_ids) and to the épreuve their "Critères de
  l'épreuve [n]" heading names. The source prints CE16 twice (last criterion
  of domain 2, first of domain 3): both are kept, the second as
  ``CPMC:CE16b`` with code "CE16".

Ids: NEOMA ``NEOMA:B<n>``, ``NEOMA:A<n>``, ``NEOMA:C<n>``, ``NEOMA:M<n>`` as printed,
criteria ``NEOMA:CR<k>`` in source order; bloc, activity and modality titles
lose a final period. Quirks kept as printed: CPMC C33 stops mid-sentence ("et
être capable") and is never continued; NEOMA's last C18 criterion names no
modality, so its modality_ids is empty.

Failing loudly: codes must run 1..n without gap or duplicate (bar that CE16),
statements must be non-empty, and a paragraph that is not a coded item where
one is expected raises InputError naming the file and line, so a garbled code
never yields a shorter référentiel.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable

from crossref.errors import InputError
from crossref.model import (
    Activity, Bloc, Certification, Competence, CompetenceKind, Criterion, Modality, make_id,
)
from crossref.parsing.reading import read_text

# -- shared table reading -----------------------------------------------------

NOISE_RE = re.compile(r"ELEMENTS\s+COMPLEMENTAIRES\s+RELATIFS\s+A\s+LA\s+DEMANDE", re.IGNORECASE)
_SEPARATOR_RE = re.compile(r"[\s\-|]*-[\s\-|]*")
_HEADER_RE = re.compile(r"CRIT[ÈE]RES")
_DESCRIPTION_CELL_RE = re.compile(r"\s*<i>[^<]*</i>\s*")
_BLOCK_TAG_RE = re.compile(r"<(/?)(p|ul|ol|li|br|div)\b[^>]*>", re.IGNORECASE)
_TAG_RE = re.compile(r"<[^>]*>")
_BULLET_RE = re.compile(r"^[-•–]\s*(?=\S)")
# A sentence is complete when it ends with one of these (closing marks allowed).
_TERMINAL_RE = re.compile(r"[.:;!?…][\s)»\"]*$")
# Blocks that start a new item, so never continue the previous block.
_NEW_ITEM_RE = re.compile(
    r"^(?:Bloc\s+\d|A\s*\d+\s*\.|C\s*\d+\b|CE\s*\d+|SC\s*\d+|\d+\s*°|"
    r"Modalit[ée]s?\b|[ÉE]preuves?\b|Crit[èe]res\b|Savoirs\b)"
)


@dataclass
class Row:
    """One table line (``cells``) or one untabbed text line inside the table (``heading``)."""

    line: int
    cells: list[str] = field(default_factory=list)
    heading: str = ""


@dataclass
class Block:
    """A paragraph or list item of a cell, as clean text."""

    text: str
    line: int
    bullet: bool = False

    def render(self) -> str:
        return f"- {self.text}" if self.bullet else self.text


def clean_inline(fragment: str) -> str:
    """HTML fragment -> one line of text: tags, entities, banners and extra spaces removed."""
    text = html.unescape(_TAG_RE.sub("", fragment))  # inline tags only: block tags are split earlier
    text = NOISE_RE.sub(" ", text.replace("\xa0", " "))
    return re.sub(r"\s+", " ", text).strip()


def ends_sentence(text: str) -> bool:
    return bool(_TERMINAL_RE.search(text))


def read_table(path: Path, text: str, ncols: int) -> list[Row]:
    """The table rows (and headings between them) of a pasted référentiel table."""
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if "\t" in ln and _HEADER_RE.search(ln)), None)
    if start is None:
        raise InputError(path, "en-tête du tableau (colonne CRITÈRES) introuvable")
    tabbed = [i for i, ln in enumerate(lines) if "\t" in ln and not _SEPARATOR_RE.fullmatch(ln)]
    rows: list[Row] = []
    for i in range(start + 1, max(tabbed) + 1):
        raw = lines[i]
        if not raw.strip() or _SEPARATOR_RE.fullmatch(raw) or NOISE_RE.fullmatch(raw.strip()):
            continue
        if "\t" not in raw:
            rows.append(Row(i + 1, heading=clean_inline(raw.lstrip().lstrip("#"))))
            continue
        cells = raw.split("\t")
        if len(cells) != ncols:
            raise InputError(path, f"{len(cells)} colonnes au lieu de {ncols}", line=i + 1)
        # The column descriptions under the header ("<i>décrit les situations...</i>").
        if all(not c.strip() or _DESCRIPTION_CELL_RE.fullmatch(c) for c in cells):
            continue
        rows.append(Row(i + 1, cells))
    return rows


def _list_items(text: str) -> list[str]:
    """Split an inline list "- a, - b - c" into items; "« X » - y" stays one item."""
    body = _BULLET_RE.sub("", text.strip())
    items: list[str] = []
    for piece in re.split(r"\s+-\s+", body):
        if items and items[-1].endswith("»"):
            items[-1] += " - " + piece
        else:
            items.append(piece)
    return [_BULLET_RE.sub("", p).strip() for p in items if p.strip()]


def html_blocks(cell: str, line: int) -> list[Block]:
    """A cell's paragraphs and list items, in order."""
    blocks: list[Block] = []
    mode = "text"  # "text" (paragraph or bare text), "list" (inside <ul>), "li"

    def emit(fragment: str) -> None:
        text = clean_inline(fragment)
        if not text:
            return
        if mode == "li":
            blocks.append(Block(_BULLET_RE.sub("", text), line, bullet=True))
        elif mode == "list" or _BULLET_RE.match(text):
            blocks.extend(Block(item, line, bullet=True) for item in _list_items(text))
        else:
            blocks.append(Block(text, line))

    pos = 0
    for m in _BLOCK_TAG_RE.finditer(cell):
        emit(cell[pos : m.start()])
        closing, tag = bool(m.group(1)), m.group(2).lower()
        if tag == "li":
            mode = "list" if closing else "li"
        elif tag in ("ul", "ol"):
            mode = "text" if closing else "list"
        elif tag in ("p", "div"):
            mode = "text"  # lists in these sources are never closed: a paragraph ends them
        pos = m.end()
    emit(cell[pos:])
    return blocks


def continues(prev: Block, nxt: Block) -> bool:
    """Whether ``nxt`` is the rest of ``prev``, cut by a page break."""
    return not ends_sentence(prev.text) and not nxt.bullet and not _NEW_ITEM_RE.match(nxt.text)


def merge_column(chunks: Iterable[list[Block]]) -> list[Block]:
    """Concatenate a column's chunks over several rows, re-joining cut sentences."""
    out: list[Block] = []
    for blocks in chunks:
        if not blocks:
            continue
        if out and continues(out[-1], blocks[0]):
            out[-1] = replace(out[-1], text=f"{out[-1].text} {blocks[0].text}")
            blocks = blocks[1:]
        out.extend(blocks)
    return out


@dataclass
class Group:
    """The rows of one bloc; ``key`` is what the start detector returned."""

    key: Any
    line: int
    rows: list[Row]

    def column(self, k: int, *, skip_title: bool = False) -> list[Block]:
        chunks = [html_blocks(r.cells[k], r.line) for r in self.rows if r.cells]
        if skip_title and self.rows[0].cells:
            chunks[0] = chunks[0][1:]  # the bloc title printed in the first cell
        return merge_column(chunks)


def split_groups(path: Path, rows: list[Row], start: Callable[[Row, list[Row]], Any]) -> list[Group]:
    """Cut the rows into blocs where ``start(row, rows_so_far)`` returns a key."""
    groups: list[Group] = []
    for row in rows:
        key = start(row, groups[-1].rows if groups else [])
        if key is not None:
            groups.append(Group(key, row.line, [row]))
        elif row.heading:
            raise InputError(path, f"ligne inattendue dans le tableau : {row.heading[:80]!r}", line=row.line)
        elif not groups:
            raise InputError(path, "contenu avant le premier bloc du tableau", line=row.line)
        else:
            groups[-1].rows.append(row)
    if not groups:
        raise InputError(path, "aucun bloc trouvé dans le tableau")
    return groups


@dataclass
class Item:
    """A coded item (competence, modality...) and the lines that follow it."""

    number: int
    head: str
    line: int
    lines: list[str] = field(default_factory=list)
    match: re.Match[str] | None = None

    @property
    def text(self) -> str:
        return "\n".join(x for x in [self.head, *self.lines] if x)


def collect_items(path: Path, blocks: list[Block], code_re: re.Pattern[str], what: str, *,
                  loose: bool = False) -> list[Item]:
    """Items opened by ``code_re`` (groups ``num`` and ``rest``); bullets (and, when
    ``loose``, any paragraph) extend the current item; anything else raises."""
    items: list[Item] = []
    for b in blocks:
        m = None if b.bullet else code_re.match(b.text)
        if m:
            items.append(Item(int(m.group("num") or 0), m.group("rest").strip(), b.line, match=m))
        elif items and (b.bullet or loose):
            items[-1].lines.append(b.render())
        else:
            raise InputError(path, f"{what} : paragraphe sans code {b.text[:80]!r} (code manquant ou mal formé ?)",
                             line=b.line)
    return items


def check_sequence(path: Path, numbered: list[tuple[int, int]], prefix: str, *,
                   repeats: Iterable[int] = ()) -> None:
    """Codes ``prefix1..n`` in source order, no gap or duplicate; ``numbered`` is (number, line)."""
    if not numbered:
        raise InputError(path, f"aucun code {prefix}<n> trouvé")
    expected = 1
    for num, line in numbered:
        if num == expected - 1 and num in repeats:
            continue
        if num != expected:
            raise InputError(path, f"code {prefix}{num} trouvé, {prefix}{expected} attendu "
                             "(code manquant, dupliqué ou mal formé)", line=line)
        expected += 1


def require_statement(path: Path, item: Item, label: str) -> str:
    if not item.head and not item.lines:
        raise InputError(path, f"{label} : énoncé vide", line=item.line)
    return item.text


# Clause openers a title is cut before; " en " only as a gerund, not in set phrases
# ("mise en œuvre", "en fonction de", "en matière de"...).
_TITLE_CUT_RE = re.compile(
    r" (?:afin d|pour |permettant |qui |notamment |en (?!(?:œuvre|oeuvre|place|pratique|compte|lumière|phase|"
    r"vigueur|matière|fonction|termes|lien)\b))|:"
)
_TITLE_MAX = 80  # a first line this short is the title
_TITLE_LONG = 100  # a clause longer than this is cut again at its first comma
_TITLE_MIN = 20  # never cut before this many characters ("Mettre en ...")


def _cut(text: str, pattern: re.Pattern[str]) -> str:
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and i >= _TITLE_MIN and pattern.match(text, i):
            return text[:i].rstrip(" .:;,")
    return text


def short_title(statement: str) -> str:
    """A competence title from its statement (rule in the module docstring)."""
    first = statement.split("\n", 1)[0].strip().rstrip(" .:;,")
    if len(first) <= _TITLE_MAX:
        return first
    title = _cut(first, _TITLE_CUT_RE)
    return _cut(title, re.compile(",")) if len(title) > _TITLE_LONG else title


def _strip_title(text: str) -> str:
    return text.strip().rstrip(" .:;")


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


# -- NEOMA ----------------------------------------------------------------------

_NEOMA_BLOC_RE = re.compile(r"^Bloc\s*(\d+)\s*:\s*(\S.*)$")
_NEOMA_ACTIVITY_RE = re.compile(r"^A\s*(?P<num>\d+)\s*\.\s*(?P<rest>\S.*)$")
_NEOMA_COMPETENCE_RE = re.compile(r"^C\s*(?P<num>\d+)\s*\.?\s*(?P<rest>.*)$")
_NEOMA_MODALITY_RE = re.compile(r"^Modalit[ée]\s*(?P<num>\d+)\s*:?\s*(?P<rest>.*)$")
# "C1 Les attentes...", "C6. La nature...", "C2 - C3 La proposition...", "C3 – C4 Les..."
_NEOMA_CRITERION_RE = re.compile(r"^(?P<codes>C\s*\d+(?:\s*[-–]\s*C\s*\d+)*)\s*\.?\s+(?P<rest>\S.*)$")
_MODALITY_REF_RE = re.compile(r"\(\s*M\s*(\d+)\s*\)")


def _neoma_start(row: Row, _rows: list[Row]) -> tuple[int, str] | None:
    if not row.cells:
        return None
    blocks = html_blocks(row.cells[0], row.line)
    m = _NEOMA_BLOC_RE.match(blocks[0].text) if blocks else None
    return (int(m.group(1)), _strip_title(m.group(2))) if m else None


def parse_neoma(path: str | Path, meta: dict[str, Any]) -> Certification:
    path = Path(path)
    cert = Certification(**meta)
    cid = cert.id
    groups = split_groups(path, read_table(path, read_text(path), 4), _neoma_start)
    check_sequence(path, [(g.key[0], g.line) for g in groups], "Bloc ")
    seen: dict[str, list[tuple[int, int]]] = {"A": [], "C": [], "M": []}
    for g in groups:
        num, title = g.key
        bloc_id = make_id(cid, f"B{num}")
        cert.blocs.append(Bloc(bloc_id, cid, f"B{num}", title))

        activities = collect_items(path, g.column(0, skip_title=True), _NEOMA_ACTIVITY_RE, f"Bloc {num}, activités")
        competences = collect_items(path, g.column(1), _NEOMA_COMPETENCE_RE, f"Bloc {num}, compétences")
        modalities = collect_items(path, g.column(2), _NEOMA_MODALITY_RE, f"Bloc {num}, modalités", loose=True)
        if not competences:
            raise InputError(path, f"Bloc {num} : aucune compétence", line=g.line)
        for it in activities:
            seen["A"].append((it.number, it.line))
            cert.activities.append(Activity(make_id(cid, f"A{it.number}"), f"A{it.number}",
                                            _strip_title(require_statement(path, it, f"A{it.number}")), bloc_id))
        for it in modalities:
            seen["M"].append((it.number, it.line))
            text = require_statement(path, it, f"Modalité {it.number}")
            cert.modalities.append(Modality(make_id(cid, f"M{it.number}"), text, bloc_id, f"M{it.number}",
                                            title=_strip_title(text.split("\n", 1)[0])))
        for k, it in enumerate(competences):
            seen["C"].append((it.number, it.line))
            statement = require_statement(path, it, f"C{it.number}")
            act = _neoma_activity(activities, competences, k)
            cert.competences.append(Competence(
                make_id(cid, f"C{it.number}"), cid, f"C{it.number}", short_title(statement), statement, bloc_id,
                activity_id=make_id(cid, f"A{act.number}") if act else "",
            ))
        _neoma_criteria(path, cert, g.column(3), bloc_id, {it.number for it in competences},
                        {it.number for it in modalities})
    check_sequence(path, seen["A"], "A")
    check_sequence(path, seen["C"], "C")
    check_sequence(path, seen["M"], "Modalité ")
    for comp in cert.competences:
        if not cert.own_criteria(comp.id):
            raise InputError(path, f"{comp.code} : aucun critère d'évaluation ne la nomme")
    for mod in cert.modalities:
        mod.competence_ids = _unique(c for cr in cert.criteria if mod.id in cr.modality_ids for c in cr.competence_ids)
    return cert


def _neoma_activity(activities: list[Item], competences: list[Item], k: int) -> Item | None:
    if len(activities) == len(competences):
        return activities[k]
    line = competences[k].line
    same_row = [a for a in activities if a.line == line]
    above = [a for a in activities if a.line < line]
    candidates = same_row or above[-1:] or activities[:1]
    return candidates[0] if candidates else None


def _neoma_criteria(path: Path, cert: Certification, blocks: list[Block], bloc_id: str,
                    competences: set[int], modalities: set[int]) -> None:
    cid = cert.id
    current: Criterion | None = None
    nums: list[int] = []
    for b in blocks:
        if b.bullet:
            if current is None:
                raise InputError(path, f"critère sans code : {b.text[:80]!r}", line=b.line)
            current.text += "\n" + b.render()
        else:
            m = _NEOMA_CRITERION_RE.match(b.text)
            if m:
                nums = [int(n) for n in re.findall(r"\d+", m.group("codes"))]
                text = m.group("rest")
            elif current is not None:
                text = b.text  # uncoded: same competences as the criterion before
            else:
                raise InputError(path, f"critère sans code de compétence : {b.text[:80]!r}", line=b.line)
            for n in nums:
                if n not in competences:
                    raise InputError(path, f"critère pour C{n}, absente de ce bloc", line=b.line)
            code = f"CR{len(cert.criteria) + 1}"
            current = Criterion(make_id(cid, code), text, bloc_id, code,
                                competence_ids=[make_id(cid, f"C{n}") for n in nums])
            cert.criteria.append(current)
        refs = [int(n) for n in _MODALITY_REF_RE.findall(b.text)]
        for n in refs:
            if n not in modalities:
                raise InputError(path, f"critère pour la modalité M{n}, absente de ce bloc", line=b.line)
        current.modality_ids = _unique([*current.modality_ids, *(make_id(cid, f"M{n}") for n in refs)])
    if current is None:
        raise InputError(path, f"{bloc_id} : aucun critère d'évaluation")


# -- RS "Optimiser la relation client" --------------------------------------------

_RS_ACTIVITY_RE = re.compile(r"^(\d+)\s*°\s*Activit[ée]\s*:\s*(\S.*)$")


def _rs_start(row: Row, _rows: list[Row]) -> tuple[int, str] | None:
    if row.heading or not row.cells:  # a heading line can be empty once cleaned ("#", a banner)
        text = row.heading
    else:
        blocks = html_blocks(row.cells[0], row.line)
        text = blocks[0].text if blocks else ""
    m = _RS_ACTIVITY_RE.match(text)
    return (int(m.group(1)), _strip_title(m.group(2))) if m else None


def parse_rs(path: str | Path, meta: dict[str, Any]) -> Certification:
    path = Path(path)
    cert = Certification(**meta)
    cid = cert.id
    groups = split_groups(path, read_table(path, read_text(path), 3), _rs_start)
    check_sequence(path, [(g.key[0], g.line) for g in groups], "Activité ")
    for g in groups:
        num, title = g.key
        bloc_id, act_id, mod_id = (make_id(cid, f"{p}{num}") for p in ("B", "A", "M"))
        cert.blocs.append(Bloc(bloc_id, cid, f"B{num}", title))
        cert.activities.append(Activity(act_id, f"A{num}", title, bloc_id))

        comps = g.column(0, skip_title=True)
        if not comps:
            raise InputError(path, f"Activité {num} : aucune compétence", line=g.line)
        for k, b in enumerate(comps, start=1):
            if not b.bullet:
                raise InputError(path, f"Activité {num} : paragraphe inattendu parmi les compétences "
                                 f"{b.text[:80]!r}", line=b.line)
            code = f"A{num}.{k}"
            cert.competences.append(Competence(make_id(cid, code), cid, code, short_title(b.text), b.text,
                                               bloc_id, activity_id=act_id))

        production = g.column(1)
        if not production:
            raise InputError(path, f"Activité {num} : modalité d'évaluation absente", line=g.line)
        titles = [production[i - 1].text for i, b in enumerate(production)
                  if i and re.match(r"^Comprenant\s*:?$", b.text)]
        cert.modalities.append(Modality(mod_id, "\n".join(b.render() for b in production), bloc_id, f"M{num}",
                                        title=_strip_title(titles[0] if titles else production[0].text)))

        criteria = [b for b in g.column(2) if b.bullet]  # non-bullets are group headings
        if not criteria:
            raise InputError(path, f"Activité {num} : aucun critère d'évaluation", line=g.line)
        for b in criteria:
            code = f"CR{len(cert.criteria) + 1}"
            cert.criteria.append(Criterion(make_id(cid, code), b.text, bloc_id, code, modality_ids=[mod_id]))
    return cert


# -- CPMC -------------------------------------------------------------------------

_CPMC_COMPETENCE_RE = re.compile(r"^C\s*(?P<num>\d+)\s*\.?\s*(?P<rest>.*)$")
_CPMC_SAVOIR_RE = re.compile(r"^SC\s*(?P<num>\d+)\s*\.?\s*(?P<rest>.*)$")
_CPMC_SAVOIRS_HEAD_RE = re.compile(r"^Savoirs\s+socio-?professionnels\s*:?$", re.IGNORECASE)
_CPMC_MODALITY_RE = re.compile(r"^[ÉE]preuve\s*(?P<num>\d*)\s*:\s*(?P<rest>.*)$")
_CPMC_CRITERIA_HEAD_RE = re.compile(r"^Crit[èe]res\s+de\s+l['’]\s*[ée]preuve\s*(?P<num>\d*)\s*:?$")
_CPMC_CRITERION_RE = re.compile(r"^CE\s*(?P<num>\d+)\s*\.?\s*(?P<rest>.*)$")
# CE16 is printed twice in the source (domains 2 and 3); both are kept.
_CPMC_REPEATED_CRITERIA = {16}
_CPMC_TITLE_MAX = 100


def _cpmc_start(row: Row, rows: list[Row]) -> str | None:
    """A domain title: a short first paragraph without final punctuation that does
    not continue a sentence cut at the end of the previous row."""
    if not row.cells:
        return None
    blocks = html_blocks(row.cells[0], row.line)
    if len(blocks) < 2:
        return None
    first = blocks[0].text
    if blocks[0].bullet or len(first) > _CPMC_TITLE_MAX or ends_sentence(first) or not first[0].isupper():
        return None
    above = [b for r in rows if r.cells for b in html_blocks(r.cells[0], r.line)]
    if above and not ends_sentence(above[-1].text):
        return None
    return first


def parse_cpmc(path: str | Path, meta: dict[str, Any]) -> Certification:
    path = Path(path)
    cert = Certification(**meta)
    cid = cert.id
    groups = split_groups(path, read_table(path, read_text(path), 4), _cpmc_start)
    seen: dict[str, list[tuple[int, int]]] = {"C": [], "SC": [], "CE": []}
    for num, g in enumerate(groups, start=1):
        bloc_id, act_id = make_id(cid, f"B{num}"), make_id(cid, f"A{num}")
        cert.blocs.append(Bloc(bloc_id, cid, f"B{num}", g.key))
        prose = g.column(0, skip_title=True)
        cert.activities.append(Activity(act_id, f"A{num}", g.key, bloc_id,
                                        description="\n".join(b.render() for b in prose)))
        _cpmc_competences(path, cert, g, bloc_id, act_id, seen)
        modalities = _cpmc_modalities(path, cert, g, bloc_id)
        _cpmc_criteria(path, cert, g, bloc_id, modalities, seen["CE"])
    check_sequence(path, seen["C"], "C")
    check_sequence(path, seen["SC"], "SC")
    check_sequence(path, seen["CE"], "CE", repeats=_CPMC_REPEATED_CRITERIA)
    return cert


def _cpmc_competences(path: Path, cert: Certification, g: Group, bloc_id: str, act_id: str,
                      seen: dict[str, list[tuple[int, int]]]) -> None:
    cid = cert.id
    blocks = g.column(1)
    # Split at "Savoirs socioprofessionnels :": competences before, savoirs after.
    heads = [i for i, b in enumerate(blocks) if not b.bullet and _CPMC_SAVOIRS_HEAD_RE.match(b.text)]
    cut = heads[0] if heads else len(blocks)
    comps = collect_items(path, blocks[:cut], _CPMC_COMPETENCE_RE, f"{bloc_id}, compétences")
    savoirs = collect_items(path, blocks[cut + 1:], _CPMC_SAVOIR_RE, f"{bloc_id}, savoirs") if heads else []
    if not comps:
        raise InputError(path, f"{bloc_id} : aucune compétence", line=g.line)
    groups: tuple[tuple[CompetenceKind, str, list[Item], list[Competence]], ...] = (
        ("competence", "C", comps, cert.competences), ("savoir", "SC", savoirs, cert.savoirs))
    for kind, prefix, items, target in groups:
        for it in items:
            seen[prefix].append((it.number, it.line))
            code = f"{prefix}{it.number}"
            statement = require_statement(path, it, code)
            target.append(Competence(make_id(cid, code), cid, code, short_title(statement), statement, bloc_id,
                                     activity_id=act_id, kind=kind))


def _cpmc_modalities(path: Path, cert: Certification, g: Group, bloc_id: str) -> dict[str, str]:
    """Add the domain's épreuves; return their ids by printed number ("" when unnumbered)."""
    items = collect_items(path, g.column(2), _CPMC_MODALITY_RE, f"{bloc_id}, modalités", loose=True)
    if not items:
        raise InputError(path, f"{bloc_id} : aucune épreuve", line=g.line)
    ids: dict[str, str] = {}
    for it in items:
        code = f"M{len(cert.modalities) + 1}"
        text = require_statement(path, it, f"{bloc_id}, épreuve")
        label = it.match.group("num") if it.match else ""
        ids[label] = make_id(cert.id, code)
        cert.modalities.append(Modality(ids[label], text, bloc_id, code, title=_strip_title(text.split("\n", 1)[0])))
    return ids


def _cpmc_criteria(path: Path, cert: Certification, g: Group, bloc_id: str, modalities: dict[str, str],
                   seen: list[tuple[int, int]]) -> None:
    cid = cert.id
    only = list(modalities.values()) if len(modalities) == 1 else []
    current_mod = only
    current: Criterion | None = None
    count = 0
    for b in g.column(3):
        head = None if b.bullet else _CPMC_CRITERIA_HEAD_RE.match(b.text)
        if head:
            label = head.group("num")
            if label not in modalities and not only:
                raise InputError(path, f"critères d'une épreuve {label or '(sans numéro)'} absente du domaine",
                                 line=b.line)
            current_mod = [modalities[label]] if label in modalities else only
            continue
        m = None if b.bullet else _CPMC_CRITERION_RE.match(b.text)
        if m:
            n = int(m.group("num"))
            if not m.group("rest").strip():
                raise InputError(path, f"CE{n} : critère vide", line=b.line)
            seen.append((n, b.line))
            code = f"CE{n}"
            crit_id = make_id(cid, code)
            taken = {cr.id for cr in cert.criteria}
            suffix = iter("bcdefgh")
            while crit_id in taken:  # the documented CE16 repeat
                crit_id = make_id(cid, code + next(suffix))
            current = Criterion(crit_id, m.group("rest").strip(), bloc_id, code, modality_ids=list(current_mod))
            cert.criteria.append(current)
            count += 1
        elif b.bullet and current is not None:
            current.text += "\n" + b.render()
        else:
            raise InputError(path, f"{bloc_id}, critères : paragraphe sans code {b.text[:80]!r} "
                             "(code manquant ou mal formé ?)", line=b.line)
    if not count:
        raise InputError(path, f"{bloc_id} : aucun critère d'évaluation", line=g.line)
