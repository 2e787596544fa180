"""Build certifications from raw source files listed in a manifest (data/raw/sources.json).

The manifest names, for each certification, its parser, its raw files and the
metadata the raw text does not state (certifier, register number...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from crossref.errors import InputError
from crossref.model import Certification, check_cert_id

MANIFEST_NAME = "sources.json"

META_KEYS = ("title", "register", "number", "certifier", "level", "indivisible")


@dataclass
class Source:
    id: str
    parser: str
    files: list[Path]
    meta: dict[str, Any] = field(default_factory=dict)


def _parsers() -> dict[str, Callable[..., Certification]]:
    from crossref.parsing import icd, rncp_table

    return {
        "icd": icd.parse_icd,
        "neoma": rncp_table.parse_neoma,
        "rs": rncp_table.parse_rs,
        "cpmc": rncp_table.parse_cpmc,
    }


def read_manifest(path: str | Path) -> list[Source]:
    path = Path(path)
    from crossref.parsing.reading import read_text

    from crossref.io import parse_json

    entries = parse_json(path, read_text(path))
    if not isinstance(entries, list):
        raise InputError(path, "une liste de sources est attendue")
    if not entries:
        # An empty manifest would empty the index of the built-in référentiels.
        raise InputError(path, "manifeste vide : au moins une source est attendue")
    known = _parsers()
    root = path.parent.resolve()
    seen: dict[str, int] = {}
    return [_source(path, i, e, known, root, seen) for i, e in enumerate(entries, start=1)]


def _source(path: Path, i: int, e: Any, known: dict[str, Any], root: Path, seen: dict[str, int]) -> Source:
    """Source n° ``i`` of the manifest, checked (``seen``: ids already declared, updated)."""
    if not isinstance(e, dict) or not {"id", "parser", "files", "title"} <= e.keys():
        raise InputError(path, f"source n° {i} : chaque source doit avoir id, parser, files et title", row=i)
    try:
        cert_id = check_cert_id(e["id"])
    except ValueError as exc:
        raise InputError(path, f"source n° {i} : {exc}", row=i) from None
    if cert_id in seen:
        raise InputError(path, f"source n° {i} : identifiant {cert_id} déjà déclaré (source n° {seen[cert_id]})",
                         row=i)
    seen[cert_id] = i
    if not isinstance(e["parser"], str) or e["parser"] not in known:
        raise InputError(path, f"source n° {i} : parseur inconnu {e['parser']!r} (connus : {', '.join(known)})",
                         row=i)
    files = _source_files(path, i, e["files"], root)
    return Source(cert_id, e["parser"], files, _source_meta(path, i, e))


def _source_files(path: Path, i: int, names: Any, root: Path) -> list[Path]:
    if not isinstance(names, list) or not names or not all(isinstance(f, str) and f.strip() for f in names):
        raise InputError(path, f"source n° {i} : files doit être une liste non vide de noms de fichiers", row=i)
    files = []
    for name in names:
        f = path.parent / name
        # Raw files stay inside the manifest's folder: no absolute path, no "..", no link out of it.
        if Path(name).is_absolute() or not _inside(f, root):
            raise InputError(path, f"source n° {i} : le fichier {name!r} sort du dossier {path.parent}", row=i)
        if not f.is_file():
            raise InputError(f, f"fichier source introuvable (déclaré dans {path.name}, source {i})")
        files.append(f)
    return files


def _source_meta(path: Path, i: int, e: dict[str, Any]) -> dict[str, Any]:
    meta = {}
    for k in META_KEYS:
        if k in e:
            expected = bool if k == "indivisible" else str
            if not isinstance(e[k], expected):
                raise InputError(path, f"source n° {i} : {k} doit être "
                                       f"{'true ou false' if expected is bool else 'un texte'}", row=i)
            meta[k] = e[k]
    if not meta["title"].strip():  # every parser builds its Certification with it
        raise InputError(path, f"source n° {i} : title vide", row=i)
    return meta


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def build(source: Source) -> Certification:
    cert = _parsers()[source.parser](*source.files, meta={"id": source.id, **source.meta})
    cert.sources = [f.name for f in source.files]
    try:
        cert.validate()
    except ValueError as exc:
        raise InputError(source.files[0], f"référentiel incohérent : {exc}") from None
    return cert


def ingest_manifest(path: str | Path) -> list[Certification]:
    return [build(s) for s in read_manifest(path)]
