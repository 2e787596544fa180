"""crossref's own normalised JSON (what `crossref ingest` writes to data/referentiels/)."""

from __future__ import annotations

from pathlib import Path

from crossref.io import read_certification_json
from crossref.model import Certification


def sniff(path: Path, head: bytes) -> bool:
    return path.suffix.lower() == ".json"


def parse(path: Path) -> list[Certification]:
    from crossref.parsing.reading import read_text

    read_text(path)  # size, emptiness and encoding checks with clear messages
    return [read_certification_json(path)]
