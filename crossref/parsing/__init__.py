"""Read référentiels in every supported format into model objects.

One module per source format; each exposes ``sniff(path, head) -> bool`` and
``parse(path) -> list[Certification]``. Parsers never embed or write anything.
``load_paths`` is the single entry point used by the CLI, the pipeline and the UI; parsers
read files through ``crossref.parsing.reading`` (never this package: no import cycle).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Iterable, Mapping

from crossref.errors import InputError
from crossref.model import Certification
from crossref.labels import french_int
from crossref.parsing.limits import MAX_COMPETENCES, MAX_INPUT_BYTES
from crossref.parsing.reading import check_size, read_text

# Order matters: specific formats before generic ones.
FORMATS: list[str] = [
    "crossref.parsing.normalized",  # our own JSON
    "crossref.parsing.template",  # CSV / Excel template
    "crossref.parsing.fc_xml",  # France Compétences open-data XML
    "crossref.parsing.bts",  # BTS référentiel text extracted from PDF
]

SUPPORTED_SUFFIXES = {".json", ".csv", ".xlsx", ".xml", ".txt"}


def load_file(path: str | Path) -> list[Certification]:
    """Parse one file of any supported format (sniffed from suffix and content)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "fichier introuvable")
    check_size(path)
    head = path.read_bytes()[:4096]
    for mod_name in FORMATS:
        mod = importlib.import_module(mod_name)
        if mod.sniff(path, head):
            certs = mod.parse(path)
            n = sum(len(c.competences) for c in certs)
            if n > MAX_COMPETENCES:
                raise InputError(path, f"trop de compétences ({french_int(n)}, maximum {french_int(MAX_COMPETENCES)})")
            for cert in certs:
                try:
                    cert.validate()
                except ValueError as exc:
                    raise InputError(path, f"référentiel incohérent : {exc}") from None
            return certs
    raise InputError(
        path,
        "format non reconnu (formats acceptés : modèle CSV/Excel crossref, XML France Compétences, "
        "JSON crossref, texte de référentiel BTS)",
    )


def iter_input_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders (non-recursive, sorted) into their supported files."""
    files: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir() and (p / "sources.json").is_file():
            files.append(p / "sources.json")  # raw files listed there are not loaded twice
        elif p.is_dir():
            files.extend(sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES))
        elif p.exists():
            files.append(p)
        else:
            raise InputError(p, "fichier ou dossier introuvable")
    return files


def load_paths(
    paths: Iterable[str | Path], known: Mapping[str, str | Path] | None = None
) -> list[Certification]:
    """Load every certification found in the given files and folders.

    ``known`` maps certification ids already loaded elsewhere (the built-in
    référentiels) to where they come from: loading one of them again is refused.
    """
    from crossref.parsing.seeds import MANIFEST_NAME, ingest_manifest

    certs: list[Certification] = []
    origin: dict[str, str | Path] = dict(known or {})
    for f in iter_input_files(paths):
        # A folder's manifest of raw sources (like data/raw) is ingested as a whole.
        loaded = ingest_manifest(f) if f.name == MANIFEST_NAME else load_file(f)
        for cert in loaded:
            if cert.id in origin:
                raise InputError(f, f"certification {cert.id!r} déjà chargée depuis {origin[cert.id]}")
            origin[cert.id] = f
            certs.append(cert)
    return certs


__all__ = ["FORMATS", "MAX_INPUT_BYTES", "SUPPORTED_SUFFIXES", "check_size", "iter_input_files", "load_file",
           "load_paths", "read_text"]
