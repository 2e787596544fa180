"""The structured référentiel model every other module reads.

Hierarchy: Certification -> Bloc -> Activity -> Competence, with evaluation
criteria and modalities attached at the level the source attaches them
(a competence, several competences, or a whole bloc).

Ids are stable strings used everywhere (CLI, exports, dashboard, alignments):
competence ``CERT:CODE`` (``ICD:C1.1``), bloc ``CERT:B<n>``, activity
``CERT:A<n>`` or ``CERT:B<n>.A<n>``, criterion ``CERT:<code>`` or
``<competence id>/CR<n>``, modality ``CERT:M<n>`` or ``<bloc id>/M<n>``.
"""

from __future__ import annotations

import re
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any, Iterable, Iterator, Literal

# Relations of a competence pair (here, not in tables.py, so that light modules and the CLI
# can name them without importing pandas).
RELATIONS = ["equivalent", "partial", "none"]

SCHEMA_VERSION = 1

# One pattern for every certification id, whatever the source (manifest, template,
# XML, JSON): ids become file names (data/referentiels/<ID>.json) and id prefixes.
CERT_ID_RE = re.compile(r"\A[A-Z0-9_]+\Z")
CERT_ID_RULE = "lettres majuscules sans accent, chiffres ou « _ » (ex. RNCP38938, ICD, BTS_MCO)"
# Characters no référentiel text may hold: control characters (tab, line feed and
# carriage return apart), surrogates and the non-characters U+FFFE/U+FFFF. XML 1.0
# cannot carry them: one would make every GraphML or workbook export unreadable.
FORBIDDEN_CHARS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
COMPETENCE_KINDS = ("competence", "savoir")


def check_cert_id(cert_id: Any) -> str:
    """``cert_id`` if it is a valid certification id, else ValueError (in French)."""
    if not isinstance(cert_id, str) or not CERT_ID_RE.match(cert_id):
        raise ValueError(f"identifiant de certification invalide {cert_id!r} : {CERT_ID_RULE}")
    return cert_id

CompetenceKind = Literal["competence", "savoir"]


def make_id(cert: str, code: str) -> str:
    return f"{cert}:{code}"


def split_id(item_id: str) -> tuple[str, str]:
    cert, sep, code = item_id.partition(":")
    if not sep or not cert or not code:
        raise ValueError(f"not a crossref id (CERT:CODE): {item_id!r}")
    return cert, code


@dataclass
class Criterion:
    """A critère d'évaluation.

    ``competence_ids`` empty means the criterion is shared by the whole bloc
    (CPMC domains, RS activities); otherwise it belongs to those competences.
    """

    id: str
    text: str
    bloc_id: str
    code: str = ""
    competence_ids: list[str] = field(default_factory=list)
    modality_ids: list[str] = field(default_factory=list)


@dataclass
class Modality:
    """A modalité d'évaluation (épreuve, production, mise en situation)."""

    id: str
    text: str
    bloc_id: str
    code: str = ""
    title: str = ""
    competence_ids: list[str] = field(default_factory=list)


@dataclass
class Activity:
    id: str
    code: str
    title: str
    bloc_id: str
    description: str = ""


@dataclass
class Competence:
    """A competence (or, with kind="savoir", a savoir socioprofessionnel)."""

    id: str
    certification: str
    code: str
    title: str
    statement: str
    bloc_id: str
    activity_id: str = ""
    kind: CompetenceKind = "competence"


@dataclass
class Bloc:
    id: str
    certification: str
    code: str
    title: str
    description: str = ""


@dataclass
class Certification:
    id: str
    title: str
    register: str = ""  # "RNCP", "RS" or "" when unknown
    number: str = ""  # "38938"
    certifier: str = ""
    level: str = ""  # "7", "6", "5" ... when known
    indivisible: bool = False  # an RS is validated as a whole, not bloc by bloc
    sources: list[str] = field(default_factory=list)
    blocs: list[Bloc] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    competences: list[Competence] = field(default_factory=list)
    savoirs: list[Competence] = field(default_factory=list)
    criteria: list[Criterion] = field(default_factory=list)
    modalities: list[Modality] = field(default_factory=list)

    # -- lookups -----------------------------------------------------------
    @property
    def label(self) -> str:
        ref = f"{self.register} {self.number}".strip()
        return f"{self.id} — {self.title}" + (f" ({ref})" if ref else "")

    def bloc(self, bloc_id: str) -> Bloc:
        for b in self.blocs:
            if b.id == bloc_id:
                return b
        raise KeyError(bloc_id)

    def competence(self, comp_id: str) -> Competence:
        for c in self.competences:
            if c.id == comp_id:
                return c
        raise KeyError(comp_id)

    def activity(self, activity_id: str) -> Activity | None:
        for a in self.activities:
            if a.id == activity_id:
                return a
        return None

    def competences_of(self, bloc_id: str) -> list[Competence]:
        return [c for c in self.competences if c.bloc_id == bloc_id]

    def own_criteria(self, comp_id: str) -> list[Criterion]:
        """Criteria written for this competence (alone or with a few others)."""
        return [cr for cr in self.criteria if comp_id in cr.competence_ids]

    def shared_criteria(self, bloc_id: str) -> list[Criterion]:
        """Criteria attached to a whole bloc rather than to competences."""
        return [cr for cr in self.criteria if cr.bloc_id == bloc_id and not cr.competence_ids]

    def criteria_for(self, comp: Competence) -> list[Criterion]:
        """Every criterion a competence is evaluated by: its own, then its bloc's shared ones."""
        return self.own_criteria(comp.id) + self.shared_criteria(comp.bloc_id)

    def modalities_for(self, comp: Competence) -> list[Modality]:
        own = [m for m in self.modalities if comp.id in m.competence_ids]
        if own:
            return own
        return [m for m in self.modalities if m.bloc_id == comp.bloc_id and not m.competence_ids]

    # -- integrity -----------------------------------------------------------
    def validate(self) -> None:
        """Raise ValueError naming the first broken reference, duplicate id, bad id or forbidden character."""
        check_cert_id(self.id)
        for where, text in self._texts():
            bad = FORBIDDEN_CHARS_RE.search(text)
            if bad:
                raise ValueError(f"{where} : caractère de contrôle interdit (U+{ord(bad.group()):04X}) "
                                 f"à la position {bad.start() + 1}")
        self._check_unique_ids()
        blocs = {b.id for b in self.blocs}
        self._check_competences(blocs)
        for a in self.activities:
            if a.bloc_id not in blocs:
                raise ValueError(f"{a.id}: unknown bloc {a.bloc_id!r}")
        self._check_attachments(blocs)
        if not self.competences:
            raise ValueError(f"{self.id}: no competences")

    def _check_unique_ids(self) -> None:
        seen: set[str] = set()
        items: Iterable[Any] = [
            *self.blocs,
            *self.activities,
            *self.competences,
            *self.savoirs,
            *self.criteria,
            *self.modalities,
        ]
        for item in items:
            if item.id in seen:
                raise ValueError(f"{self.id}: duplicate id {item.id!r}")
            seen.add(item.id)

    def _check_competences(self, blocs: set[str]) -> None:
        acts = {a.id for a in self.activities}
        for c in [*self.competences, *self.savoirs]:
            if not c.id.startswith(self.id + ":"):
                raise ValueError(f"{self.id}: competence id {c.id!r} lacks the certification prefix")
            if c.bloc_id not in blocs:
                raise ValueError(f"{c.id}: unknown bloc {c.bloc_id!r}")
            if c.activity_id and c.activity_id not in acts:
                raise ValueError(f"{c.id}: unknown activity {c.activity_id!r}")
            if not c.statement.strip():
                raise ValueError(f"{c.id}: empty statement")

    def _check_attachments(self, blocs: set[str]) -> None:
        """Criteria and modalities name known blocs, competences and modalities."""
        comps = {c.id for c in self.competences} | {s.id for s in self.savoirs}
        mods = {m.id for m in self.modalities}
        attached: list[Criterion | Modality] = [*self.criteria, *self.modalities]
        for x in attached:
            if x.bloc_id not in blocs:
                raise ValueError(f"{x.id}: unknown bloc {x.bloc_id!r}")
            for cid in x.competence_ids:
                if cid not in comps:
                    raise ValueError(f"{x.id}: unknown competence {cid!r}")
        for cr in self.criteria:
            for mid in cr.modality_ids:
                if mid not in mods:
                    raise ValueError(f"{cr.id}: unknown modality {mid!r}")

    def _texts(self) -> Iterator[tuple[str, str]]:
        """(where, text) for every text of the certification and of its items."""
        items: list[Any] = [self, *self.blocs, *self.activities, *self.competences, *self.savoirs,
                            *self.criteria, *self.modalities]
        for item in items:
            for f in fields(item):
                value = getattr(item, f.name)
                if isinstance(value, str):
                    yield f"{item.id}.{f.name}" if item is not self else f"{self.id!r}.{f.name}", value
                elif isinstance(value, list):
                    for v in value:
                        if isinstance(v, str):
                            yield f"{getattr(item, 'id', self.id)}.{f.name}", v

    # -- serialisation -------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Certification":
        version = data.get("schema_version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise ValueError(f"unsupported référentiel schema_version {version} (expected {SCHEMA_VERSION})")
        d = {k: v for k, v in data.items() if k != "schema_version"}
        nested: dict[str, Any] = {}
        for name, item_cls in _NESTED.items():
            items = d.get(name, [])
            if not isinstance(items, list):
                raise TypeError(f"{name} : une liste est attendue (trouvé : {type(items).__name__})")
            nested[name] = [item_cls(**_checked(item_cls, x, f"{name}[{i}]")) for i, x in enumerate(items)]
        top = _checked(cls, {k: v for k, v in d.items() if k not in _NESTED}, "certification")
        return cls(**top, **nested)


def _checked(cls: type, data: Any, where: str) -> dict[str, Any]:
    """``data`` if it is an object with the fields of ``cls``, each of its declared type, else TypeError."""
    if not isinstance(data, dict):
        raise TypeError(f"{where} : un objet est attendu (trouvé : {type(data).__name__})")
    declared = {f.name: f for f in fields(cls)}
    unknown = sorted(str(k) for k in data if k not in declared)
    if unknown:
        raise TypeError(f"{where} : clé(s) inconnue(s) {', '.join(unknown)}")
    missing = [n for n, f in declared.items() if n not in data and n not in _NESTED
               and f.default is MISSING and f.default_factory is MISSING]
    if missing:
        raise TypeError(f"{where} : clé(s) manquante(s) {', '.join(missing)}")
    for name, value in data.items():
        kind = declared[name].type
        if kind in ("str", "CompetenceKind"):
            ok = isinstance(value, str) and (kind == "str" or value in COMPETENCE_KINDS)
        elif kind == "bool":
            ok = isinstance(value, bool)
        elif kind == "list[str]":
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        else:  # nested lists, checked by the caller
            ok = True
        if not ok:
            raise TypeError(f"{where}.{name} : valeur de type inattendu ({value!r:.60})")
    return data


@dataclass
class Corpus:
    """All certifications of one run, in a stable order, with id lookups."""

    certifications: list[Certification]

    def __post_init__(self) -> None:
        ids = [c.id for c in self.certifications]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"certification loaded twice: {', '.join(sorted(dup))}")
        self._comp = {c.id: c for cert in self.certifications for c in cert.competences}
        self._cert = {c.id: c for c in self.certifications}
        self._bloc = {b.id: b for cert in self.certifications for b in cert.blocs}

    def __iter__(self) -> Iterator[Certification]:
        return iter(self.certifications)

    def __len__(self) -> int:
        return len(self.certifications)

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.certifications]

    def certification(self, cert_id: str) -> Certification:
        try:
            return self._cert[cert_id]
        except KeyError:
            raise KeyError(f"unknown certification {cert_id!r} (known: {', '.join(self.ids)})") from None

    def competence(self, comp_id: str) -> Competence:
        try:
            return self._comp[comp_id]
        except KeyError:
            raise KeyError(f"unknown competence {comp_id!r}") from None

    def bloc(self, bloc_id: str) -> Bloc:
        try:
            return self._bloc[bloc_id]
        except KeyError:
            raise KeyError(f"unknown bloc {bloc_id!r}") from None

    def competences(self) -> list[Competence]:
        return [c for cert in self.certifications for c in cert.competences]

    def certification_of(self, item_id: str) -> Certification:
        return self.certification(split_id(item_id)[0])


_NESTED: dict[str, type] = {"blocs": Bloc, "activities": Activity, "competences": Competence,
                            "savoirs": Competence, "criteria": Criterion, "modalities": Modality}
