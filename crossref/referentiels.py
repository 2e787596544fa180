"""The built-in référentiels: rebuilt from data/raw by `crossref ingest`, read from data/referentiels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Iterable

from crossref.errors import CrossrefError, InputError
from crossref.io import atomic_write_many, certification_json, parse_json, read_certification_json
from crossref.model import Certification, Corpus, check_cert_id
from crossref.parsing import load_paths
from crossref.parsing.seeds import MANIFEST_NAME, ingest_manifest

NORMALISED_DIR = "referentiels"
INDEX_NAME = "index.json"


def raw_manifest(data_dir: str | Path) -> Path:
    return Path(data_dir) / "raw" / MANIFEST_NAME


def ingest(data_dir: str | Path, extra: Iterable[str | Path] = ()) -> list[Path]:
    """Parse every raw source, then write one JSON per certification and an index.

    All sources are parsed before anything is written, so a parse error leaves
    data/ untouched; each file is replaced atomically. ``extra`` files or folders
    (``--data``) are only checked: they must load and must not reuse a built-in
    certification id; they are never written to data/.
    """
    data_dir = Path(data_dir)
    manifest = raw_manifest(data_dir)
    certs = ingest_manifest(manifest)
    load_paths(extra, known={c.id: manifest for c in certs})
    if not certs:
        raise InputError(manifest, "manifeste vide : au moins une source est attendue")
    out_dir = data_dir / NORMALISED_DIR
    for c in certs:  # ids matched CERT_ID_RE (validate); still, never write outside out_dir
        if (out_dir / f"{c.id}.json").resolve().parent != out_dir.resolve():
            raise InputError(manifest, f"identifiant {c.id!r} : le fichier sortirait de {out_dir}")
    texts = [(out_dir / f"{c.id}.json", certification_json(c)) for c in certs]
    texts.append((out_dir / INDEX_NAME, json.dumps([c.id for c in certs], ensure_ascii=False, indent=2) + "\n"))
    # All files or none: a failed write leaves data/referentiels/ as it was.
    return atomic_write_many([(path, _text_writer(text)) for path, text in texts])


def _text_writer(text: str) -> Callable[[Path], object]:
    return lambda p: p.write_text(text, encoding="utf-8", newline="\n")


def load_builtin(data_dir: str | Path) -> list[Certification]:
    """The certifications listed in data/referentiels/index.json, checked for consistency."""
    from crossref.parsing import read_text

    out_dir = Path(data_dir) / NORMALISED_DIR
    index = out_dir / INDEX_NAME
    if not index.is_file():
        raise CrossrefError(
            f"{index} : référentiels pas encore construits ; lancer `crossref ingest` "
            "(ou vérifier data_dir dans la configuration)"
        )
    ids = parse_json(index, read_text(index))
    if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
        raise InputError(index, "une liste d'identifiants de certification est attendue")
    if not ids:
        raise InputError(index, "index vide : aucune certification ; relancer `crossref ingest`")
    for cert_id in ids:
        try:
            check_cert_id(cert_id)  # ids name files: "../x" must never be read
        except ValueError as exc:
            raise InputError(index, str(exc)) from None
    certs = []
    for cert_id in ids:
        path = out_dir / f"{cert_id}.json"
        if not path.is_file():
            raise InputError(path, f"fichier introuvable (certification {cert_id!r} listée dans {INDEX_NAME}) ; "
                                   "relancer `crossref ingest`")
        cert = read_certification_json(path)
        if cert.id != cert_id:
            raise InputError(path, f"identifiant {cert.id!r} au lieu de {cert_id!r} attendu par {INDEX_NAME}")
        try:
            cert.validate()
        except ValueError as exc:
            raise InputError(path, f"référentiel incohérent : {exc}") from None
        certs.append(cert)
    return certs


def load_corpus(data_dir: str | Path, extra: Iterable[str | Path] = (), builtin: bool = True) -> Corpus:
    """Built-in certifications plus those found in ``extra`` files or folders.

    A certification id found twice (in two extra files, or an extra file
    reusing a built-in id) is refused with an InputError naming the file.
    """
    certs = load_builtin(data_dir) if builtin else []
    builtin_dir = Path(data_dir) / NORMALISED_DIR
    known = {c.id: builtin_dir / f"{c.id}.json" for c in certs}
    certs.extend(load_paths(extra, known=known))
    return Corpus(certs)
