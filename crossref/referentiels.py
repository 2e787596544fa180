"""The built-in référentiels: rebuilt from data/raw by `crossref ingest`, read from data/referentiels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable

from crossref.errors import CrossrefError, InputError
from crossref.io import atomic_write_text, certification_json, read_certification_json
from crossref.model import Certification, Corpus
from crossref.parsing import load_paths
from crossref.parsing.seeds import MANIFEST_NAME, ingest_manifest

NORMALISED_DIR = "referentiels"
INDEX_NAME = "index.json"


def raw_manifest(data_dir: str | Path) -> Path:
    return Path(data_dir) / "raw" / MANIFEST_NAME


def ingest(data_dir: str | Path) -> list[Path]:
    """Parse every raw source, then write one JSON per certification and an index.

    All sources are parsed before anything is written, so a parse error leaves
    data/ untouched; each file is replaced atomically.
    """
    data_dir = Path(data_dir)
    certs = ingest_manifest(raw_manifest(data_dir))
    out_dir = data_dir / NORMALISED_DIR
    written = [atomic_write_text(out_dir / f"{c.id}.json", certification_json(c)) for c in certs]
    index = json.dumps([c.id for c in certs], ensure_ascii=False, indent=2) + "\n"
    written.append(atomic_write_text(out_dir / INDEX_NAME, index))
    return written


def load_builtin(data_dir: str | Path) -> list[Certification]:
    out_dir = Path(data_dir) / NORMALISED_DIR
    index = out_dir / INDEX_NAME
    if not index.is_file():
        raise CrossrefError(f"{index}: référentiels not built yet; run `crossref ingest`")
    ids = json.loads(index.read_text(encoding="utf-8"))
    return [read_certification_json(out_dir / f"{i}.json") for i in ids]


def load_corpus(data_dir: str | Path, extra: Iterable[str | Path] = (), builtin: bool = True) -> Corpus:
    """Built-in certifications plus those found in ``extra`` files or folders."""
    certs = load_builtin(data_dir) if builtin else []
    known = {c.id for c in certs}
    for cert in load_paths(extra):
        if cert.id in known:
            raise InputError(cert.sources[0] if cert.sources else cert.id,
                             f"la certification {cert.id!r} existe déjà")
        known.add(cert.id)
        certs.append(cert)
    return Corpus(certs)
