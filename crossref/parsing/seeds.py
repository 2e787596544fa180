"""Build certifications from raw source files listed in a manifest (data/raw/sources.json).

The manifest names, for each certification, its parser, its raw files and the
metadata the raw text does not state (certifier, register number...).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from crossref.errors import InputError
from crossref.model import Certification

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
    from crossref.parsing import read_text

    try:
        entries = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise InputError(path, f"JSON invalide : {exc.msg}", line=exc.lineno) from None
    if not isinstance(entries, list):
        raise InputError(path, "une liste de sources est attendue")
    known = _parsers()
    sources = []
    for i, e in enumerate(entries, start=1):
        if not isinstance(e, dict) or not {"id", "parser", "files"} <= e.keys():
            raise InputError(path, "chaque source doit avoir id, parser et files", row=i)
        if e["parser"] not in known:
            raise InputError(path, f"parseur inconnu {e['parser']!r} (connus : {', '.join(known)})", row=i)
        files = [path.parent / f for f in e["files"]]
        for f in files:
            if not f.is_file():
                raise InputError(f, f"fichier source introuvable (déclaré dans {path.name}, source {i})")
        sources.append(Source(e["id"], e["parser"], files, {k: e[k] for k in META_KEYS if k in e}))
    return sources


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
