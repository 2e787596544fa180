"""France Compétences open-data XML export (fiches RNCP and RS).

Root ``FICHES`` (or a single ``FICHE``); each ``FICHE`` has ``NUMERO_FICHE``
(``RNCP38938``, ``RS5678``), ``INTITULE``, ``NOMENCLATURE_EUROPE/NIVEAU``
(``NIV7``), ``CERTIFICATEURS/CERTIFICATEUR/NOM_CERTIFICATEUR`` and
``BLOCS_COMPETENCES/BLOC_COMPETENCES`` with ``CODE`` (``RNCP38938BC01``),
``LIBELLE``, ``LISTE_COMPETENCES`` and ``MODALITES_EVALUATION`` as HTML (escaped,
CDATA or even literal child elements).

A fiche without blocs (RS fiches, old RNCP fiches) gets a single bloc made of
its ``CAPACITES_ATTESTEES`` and fiche-level ``MODALITES_EVALUATION``.

Ids: certification = NUMERO_FICHE; bloc ``CERT:B<n>`` in document order (the
France Compétences code is kept in the bloc description); competence
``CERT:<printed code>`` (``C1``, ``C1.2``) or ``CERT:B<n>C<k>`` when the list
prints no code; one modality ``<bloc id>/M1`` per bloc.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from xml.parsers import expat

from crossref.errors import InputError
from crossref.model import Bloc, Certification, Competence, Modality, make_id

# Elements nested deeper are refused: serialising and walking the tree is recursive.
MAX_XML_DEPTH = 100

_NUMERO_RE = re.compile(r"^(RNCP|RS)\s*0*(\d+)$", re.IGNORECASE)
_LEVEL_RE = re.compile(r"(\d+)")
# "C1.", "C1 -", "C1.2", "C1.2 :", "C12)", "Compétence C3 :"
_CODE_RE = re.compile(
    r"^(?:comp[ée]tence\s+)?(C\d+(?:\.\d+)*)(?:\s*[.:)\-–—]+\s*|\s+)(?=\S)(.*)$", re.IGNORECASE
)
_BULLET_RE = re.compile(r"^(?:[•●◦▪▫■□‣∙·*–—\-]|\d+\s*[).]\s)\s*")
_SPACE_RE = re.compile(r"\s+")
# Intro lines such as "Le candidat est capable de :" say nothing about the competences they introduce.
_GENERIC_INTRO_RE = re.compile(
    r"\b(capables?|capacités?|compétences?|candidate?s?|titulaires?|apprenants?|stagiaires?|"
    r"être en mesure|savoir-faire)\b",
    re.IGNORECASE,
)

_BLOCK_TAGS = {
    "p", "div", "li", "ul", "ol", "br", "tr", "td", "th", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "section", "article", "dd", "dt", "dl", "blockquote", "hr",
}


_EXPAT_FR = {
    "mismatched tag": "balise fermante qui ne correspond pas à la balise ouverte",
    "not well-formed (invalid token)": "caractère ou balise invalide",
    "no element found": "document vide ou incomplet",
    "unclosed token": "balise non fermée",
    "junk after document element": "contenu après l'élément racine",
    "undefined entity": "entité non définie (un « & » doit s'écrire &amp;amp;)",
    "unclosed CDATA section": "section CDATA non fermée",
    "unknown encoding": "encodage inconnu",
    "duplicate attribute": "attribut en double",
}


def sniff(path: Path, head: bytes) -> bool:
    if path.suffix.lower() == ".xml":
        return True
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return start.startswith(b"<?xml") and b"<FICHE" in head


# ---------------------------------------------------------------------------
# XML reading with line numbers
# ---------------------------------------------------------------------------


@dataclass
class _Doc:
    root: ET.Element
    lines: dict[int, int]  # id(element) -> line where it starts

    def line(self, elem: ET.Element) -> int | None:
        return self.lines.get(id(elem))


def _read_xml(path: Path) -> _Doc:
    from crossref.parsing.reading import check_size

    if not path.is_file():
        raise InputError(path, "fichier introuvable")
    check_size(path)
    data = path.read_bytes()
    builder = ET.TreeBuilder()
    lines: dict[int, int] = {}
    parser = expat.ParserCreate()

    depth = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_XML_DEPTH:  # later steps walk the tree recursively
            raise InputError(path, f"XML trop imbriqué (plus de {MAX_XML_DEPTH} niveaux d'éléments)",
                             line=parser.CurrentLineNumber)
        elem = builder.start(name, attrs)
        lines[id(elem)] = parser.CurrentLineNumber

    def end(name: str) -> None:
        nonlocal depth
        depth -= 1
        builder.end(name)

    def refuse_entity(*_args: object) -> None:
        raise InputError(path, "les déclarations d'entités XML (<!ENTITY>) ne sont pas acceptées",
                         line=parser.CurrentLineNumber)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    parser.EntityDeclHandler = refuse_entity
    parser.buffer_text = True
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        msg = expat.ErrorString(exc.code) if exc.code else str(exc)
        msg = f"{_EXPAT_FR[msg]} ({msg})" if msg in _EXPAT_FR else msg
        raise InputError(path, f"XML mal formé (colonne {exc.offset + 1}) : {msg}", line=exc.lineno) from None
    except (LookupError, ValueError) as exc:  # an encoding declaration expat cannot use (UnicodeError too)
        raise InputError(path, f"encodage déclaré inconnu ou non pris en charge ({exc}) : "
                               "enregistrez le fichier en UTF-8", line=1) from None
    root = builder.close()
    # Keep elements alive so that ids in `lines` stay unique.
    return _Doc(root, lines)


# ---------------------------------------------------------------------------
# HTML -> lines
# ---------------------------------------------------------------------------


class _HtmlLines(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._buf: list[str] = []

    def _flush(self) -> None:
        text = _SPACE_RE.sub(" ", "".join(self._buf)).strip()
        if text:
            self.lines.append(text)
        self._buf = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _BLOCK_TAGS:
            self._flush()

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag in _BLOCK_TAGS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        # A plain newline in the source text separates lines too (text exports use them).
        parts = data.split("\n")
        for i, part in enumerate(parts):
            if i:
                self._flush()
            self._buf.append(part)

    def close(self) -> None:
        super().close()
        self._flush()


def html_lines(html: str) -> list[str]:
    """Visible text lines of an HTML fragment: one per paragraph, list item or line break."""
    p = _HtmlLines()
    p.feed(html.replace("\r\n", "\n").replace("\r", "\n"))
    p.close()
    return p.lines


def _inner_markup(elem: ET.Element | None) -> str:
    """Text of an element; literal child elements (unescaped HTML) are serialised back."""
    if elem is None:
        return ""
    parts = [elem.text or ""]
    for child in elem:
        parts.append(ET.tostring(child, encoding="unicode"))
    return "".join(parts)


def _strip_bullet(line: str) -> str:
    return _BULLET_RE.sub("", line, count=1).strip()


@dataclass
class _Item:
    code: str
    title: str
    details: list[str]
    context: str = ""


def split_competences(html: str) -> list[_Item]:
    """Split a LISTE_COMPETENCES fragment into competences.

    Items are paragraphs, list items, line breaks or bullets. Lines that print a
    code (``C1.``, ``C1 -``, ``C1.2``) start a competence and the uncoded lines
    after them are its details. Without any printed code every line is a
    competence; a line ending with ":" introduces the following ones (kept as
    context of their statement unless it is a generic intro such as "Le
    candidat est capable de :").
    """
    lines = [_strip_bullet(raw) for raw in html_lines(html)]
    lines = [ln for ln in lines if ln and any(ch.isalnum() for ch in ln)]
    coded = [_CODE_RE.match(ln) for ln in lines]
    items: list[_Item] = []
    if any(coded):
        for ln, m in zip(lines, coded):
            if m:
                items.append(_Item(m.group(1).upper(), m.group(2).strip(), []))
            elif items:
                items[-1].details.append(ln)
            elif not ln.endswith(":"):
                items.append(_Item("", ln, []))
        return items
    context = ""
    for i, ln in enumerate(lines):
        if ln.endswith(":") and i + 1 < len(lines):
            heading = ln.rstrip(" :")
            context = "" if _GENERIC_INTRO_RE.search(heading) else heading
            continue
        items.append(_Item("", ln, [], context))
    return items


def _statement(item: _Item) -> str:
    text = item.title
    if item.details:
        text = text.rstrip(" :") + " : " + " ; ".join(d.rstrip(" ;.") for d in item.details)
    if item.context:
        text = f"{item.context} : {text}"
    return text


# ---------------------------------------------------------------------------
# fiches
# ---------------------------------------------------------------------------


def _text(elem: ET.Element | None, tag: str) -> str:
    if elem is None:
        return ""
    found = elem.find(tag)
    if found is None:
        return ""
    return _SPACE_RE.sub(" ", "".join(found.itertext())).strip()


def parse(path: Path) -> list[Certification]:
    path = Path(path)
    doc = _read_xml(path)
    root = doc.root
    if root.tag == "FICHE":
        fiches = [root]
    else:
        fiches = root.findall("FICHE")
    if not fiches:
        raise InputError(path, f"aucune fiche <FICHE> trouvée (élément racine <{root.tag}>)", line=doc.line(root))
    certs: list[Certification] = []
    seen: dict[str, int | None] = {}
    for fiche in fiches:
        cert = _parse_fiche(path, doc, fiche)
        if cert.id in seen:
            raise InputError(path, f"fiche {cert.id} présente deux fois (déjà ligne {seen[cert.id]})",
                             line=doc.line(fiche))
        seen[cert.id] = doc.line(fiche)
        certs.append(cert)
    return certs


def _parse_fiche(path: Path, doc: _Doc, fiche: ET.Element) -> Certification:
    line = doc.line(fiche)
    numero = _text(fiche, "NUMERO_FICHE")
    if not numero:
        raise InputError(path, "fiche sans NUMERO_FICHE", line=line)
    m = _NUMERO_RE.match(numero.replace(" ", ""))
    if not m:
        raise InputError(path, f"NUMERO_FICHE invalide {numero!r} (attendu RNCP<n> ou RS<n>)", line=line)
    register, number = m.group(1).upper(), m.group(2)
    cert_id = f"{register}{number}"
    title = _text(fiche, "INTITULE")
    if not title:
        raise InputError(path, f"fiche {cert_id} sans INTITULE", line=line)
    level_raw = _text(fiche.find("NOMENCLATURE_EUROPE"), "NIVEAU")
    lm = _LEVEL_RE.search(level_raw)
    certifiers = [
        _SPACE_RE.sub(" ", "".join(n.itertext())).strip()
        for n in fiche.findall("CERTIFICATEURS/CERTIFICATEUR/NOM_CERTIFICATEUR")
    ]
    cert = Certification(
        id=cert_id,
        title=title,
        register=register,
        number=number,
        certifier=" ; ".join(c for c in certifiers if c),
        level=lm.group(1) if lm else "",
        indivisible=register == "RS",
        sources=[path.name],
    )

    blocs = fiche.findall("BLOCS_COMPETENCES/BLOC_COMPETENCES")
    if blocs:
        for n, bloc_el in enumerate(blocs, start=1):
            fc_code = _text(bloc_el, "CODE")
            bloc_title = _text(bloc_el, "LIBELLE") or fc_code or f"Bloc {n}"
            _add_bloc(path, doc, cert, n, bloc_el, bloc_title, fc_code,
                      _inner_markup(bloc_el.find("LISTE_COMPETENCES")),
                      _inner_markup(bloc_el.find("MODALITES_EVALUATION")))
    else:
        capacities = fiche.find("CAPACITES_ATTESTEES")
        if capacities is None or not html_lines(_inner_markup(capacities)):
            raise InputError(
                path,
                f"fiche {cert_id} sans bloc de compétences (BLOCS_COMPETENCES) ni CAPACITES_ATTESTEES",
                line=line,
            )
        _add_bloc(path, doc, cert, 1, capacities, title, "", _inner_markup(capacities),
                  _inner_markup(fiche.find("MODALITES_EVALUATION")))
    return cert


def _add_bloc(path: Path, doc: _Doc, cert: Certification, n: int, bloc_el: ET.Element, title: str,
              fc_code: str, competences_html: str, modalities_html: str) -> None:
    bloc_code = f"B{n}"
    bloc_id = make_id(cert.id, bloc_code)
    description = f"Code France Compétences : {fc_code}" if fc_code else ""
    cert.blocs.append(Bloc(id=bloc_id, certification=cert.id, code=bloc_code, title=title,
                           description=description))
    items = split_competences(competences_html)
    if not items:
        raise InputError(
            path,
            f"fiche {cert.id}, bloc {fc_code or bloc_code} « {title} » : aucune compétence dans LISTE_COMPETENCES",
            line=doc.line(bloc_el),
        )
    used = {c.code for c in cert.competences}
    for k, item in enumerate(items, start=1):
        code = item.code or f"{bloc_code}C{k}"
        if code in used:
            # Printed codes restarting in each bloc (C1, C2 ... again): qualify with the bloc.
            code = f"{bloc_code}{code}"
        if code in used:
            raise InputError(path, f"fiche {cert.id} : code de compétence {code} en double",
                             line=doc.line(bloc_el))
        used.add(code)
        cert.competences.append(
            Competence(
                id=make_id(cert.id, code),
                certification=cert.id,
                code=code,
                title=item.title.rstrip(" ;.:"),
                statement=_statement(item),
                bloc_id=bloc_id,
            )
        )
    modality_text = "\n".join(html_lines(modalities_html))
    if modality_text:
        cert.modalities.append(
            Modality(id=f"{bloc_id}/M1", text=modality_text, bloc_id=bloc_id, code="M1",
                     title="Modalités d'évaluation")
        )
