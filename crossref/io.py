"""Atomic file writing and the normalised référentiel JSON files in data/."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

from crossref.model import Certification


def atomic_write(path: str | Path, writer: Callable[[Path], None]) -> Path:
    """Call ``writer(tmp_path)`` then rename onto ``path``: readers never see a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        writer(tmp_path)
        os.chmod(tmp_path, 0o644)  # mkstemp creates 0600; published files are world-readable
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8", newline="\n"))


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    return atomic_write(path, lambda p: p.write_bytes(data))


def dumps_json(data: Any) -> str:
    """Deterministic JSON (same input, same bytes)."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def certification_json(cert: Certification) -> str:
    return dumps_json(cert.to_dict())


def read_certification_json(path: str | Path) -> Certification:
    from crossref.errors import InputError

    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(path, f"JSON invalide : {exc.msg}", line=exc.lineno) from None
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
