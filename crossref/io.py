"""Atomic file writing and the normalised référentiel JSON files in data/."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

from crossref.errors import OutputError
from crossref.model import Certification


def check_destination(path: str | Path) -> Path:
    """Refuse an output path that cannot be written as a file, before any work or write.

    Refused with a French message naming the path (OutputError): an empty name,
    a folder, something that is not a regular file (a device, a socket), a path
    under a regular file, an unwritable folder.
    """
    text = str(path)
    if not text.strip():
        raise OutputError(text, "nom de fichier de sortie vide")
    p = Path(text)
    if text.endswith(("/", os.sep)) or p.is_dir():
        raise OutputError(p, "c'est un dossier : indiquez un nom de fichier (ex. "
                             f"{p / 'resultats.csv'})")
    if p.exists() and not p.is_file():
        raise OutputError(p, "ce n'est pas un fichier ordinaire : indiquez un nom de fichier")
    ancestor = p.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        if ancestor.is_symlink():  # a dangling link: its target cannot be created safely
            raise OutputError(p, f"{ancestor} est un lien vers un dossier inexistant")
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(p, f"chemin impossible : {ancestor} est un fichier, pas un dossier")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputError(p, f"dossier {ancestor} non accessible en écriture")
    return p


def _make_parent(folder: Path, created: list[Path]) -> None:
    """mkdir -p that remembers which folders it created (to remove them if the write fails)."""
    missing = []
    d = folder
    while not d.exists() and d != d.parent:
        missing.append(d)
        d = d.parent
    for d in reversed(missing):
        d.mkdir()
        created.append(d)


def _remove_created(created: list[Path]) -> None:
    for d in reversed(created):
        try:
            d.rmdir()
        except OSError:
            pass


def atomic_write_many(items: list[tuple[str | Path, Callable[[Path], object]]]) -> list[Path]:
    """Write several files all or nothing: every ``writer(tmp_path)`` runs first, then each
    temporary file is renamed onto its path. Readers never see a half-written file; on
    any failure nothing is left behind (no temporary file, no new folder) and existing
    files are untouched. OS errors become an OutputError naming the file.
    """
    paths = [check_destination(p) for p, _ in items]
    created: list[Path] = []
    temps: list[Path] = []
    current = paths[0] if paths else Path()
    try:
        try:
            for path, (_, writer) in zip(paths, items):
                current = path
                _make_parent(path.parent, created)
                fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
                os.close(fd)
                temps.append(Path(tmp_name))
                writer(Path(tmp_name))
                os.chmod(tmp_name, 0o644)  # mkstemp creates 0600; published files are world-readable
            for path, tmp in zip(paths, temps):
                current = path
                os.replace(tmp, path)
        except OSError as exc:
            raise OutputError(current, f"écriture impossible ({exc.strerror or exc})") from None
    except BaseException:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
        _remove_created(created)
        raise
    return paths


def atomic_write(path: str | Path, writer: Callable[[Path], object]) -> Path:
    """Call ``writer(tmp_path)`` then rename onto ``path``: readers never see a half-written file."""
    return atomic_write_many([(path, writer)])[0]


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8", newline="\n"))


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    return atomic_write(path, lambda p: p.write_bytes(data))


def dumps_json(data: Any) -> str:
    """Deterministic JSON (same input, same bytes)."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def parse_json(path: str | Path, text: str) -> Any:
    """``json.loads`` with errors as InputError naming the file (line of a syntax error; too deep nesting)."""
    from crossref.errors import InputError

    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"JSON invalide : {exc.msg}", line=exc.lineno) from None
    except RecursionError:
        raise InputError(path, "JSON invalide : imbrication trop profonde") from None


def certification_json(cert: Certification) -> str:
    return dumps_json(cert.to_dict())


def read_certification_json(path: str | Path) -> Certification:
    from crossref.errors import InputError

    path = Path(path)
    try:
        data = parse_json(path, path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(path, "encodage invalide (UTF-8 attendu)") from None
    except OSError as exc:
        raise InputError(path, f"lecture impossible ({exc.strerror or exc})") from None
    if not isinstance(data, dict):
        raise InputError(path, "référentiel JSON invalide : un objet (certification) est attendu")
    try:
        return Certification.from_dict(data)
    except (TypeError, ValueError, AttributeError) as exc:
        raise InputError(path, f"référentiel JSON invalide : {exc}") from None
