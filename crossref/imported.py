"""The store of imported référentiels: ``<data_dir>/imported/``, read by the dashboard and the CLI.

The dashboard's import page validates an upload (:func:`validate_upload`,
nothing written) and adds it (:func:`save_upload`, atomically, under a lock
shared by every session and process); every command of the CLI loads the
same files (:func:`imported_files`), ``--data`` adding files on top.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING


from crossref.config import Config
from crossref.errors import CrossrefError, InputError

if TYPE_CHECKING:
    import pandas as pd

IMPORTED_DIR = "imported"
# What the import page accepts: the crossref template (CSV / Excel) and France Compétences XML.
UPLOAD_SUFFIXES = (".csv", ".xlsx", ".xml", ".txt")  # .txt: a BTS référentiel, as the command line reads it
MAX_FILENAME = 80


def data_dir(config: Config) -> Path:
    return Path(config.data_dir)


def imported_dir(config: Config) -> Path:
    return data_dir(config) / IMPORTED_DIR


def imported_files(config: Config) -> list[Path]:
    """The référentiels added through the import page, by name."""
    folder = imported_dir(config)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in UPLOAD_SUFFIXES)


def files_signature(files: list[Path]) -> tuple[tuple[str, int, int], ...]:
    out = []
    for p in files:
        st_ = p.stat()
        out.append((p.name, st_.st_size, st_.st_mtime_ns))
    return tuple(out)


def sanitize_filename(name: str) -> str:
    """A safe base name for an uploaded file: no folder, no hidden file, ASCII letters, digits, ``._-``.

    Raises InputError when the suffix is not one the import page accepts.
    """
    base = re.split(r"[\\/]", str(name))[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    suffix = "." + suffix.lower() if suffix else ""
    if suffix not in UPLOAD_SUFFIXES:
        raise InputError(name or "(sans nom)",
                         f"extension non acceptée (attendu : {', '.join(UPLOAD_SUFFIXES)})")
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("._-") or "referentiel"
    return stem[: MAX_FILENAME - len(suffix)] + suffix


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def _relabel(exc: InputError, staged: Path, name: str) -> InputError:
    """The same error, naming the uploaded file instead of its staging copy."""
    path = name if Path(exc.path) == staged else exc.path
    return InputError(path, exc.detail.replace(str(staged), name), line=exc.line, row=exc.row, column=exc.column)


@dataclass
class Upload:
    """A validated upload waiting to be added: nothing of it is on disk yet."""

    original_name: str
    filename: str
    data: bytes
    certifications: list  # list[crossref.model.Certification]


def validate_upload(config: Config, name: str, data: bytes) -> Upload:
    """Parse an uploaded référentiel and check it joins the corpus; raises InputError (naming ``name``).

    The bytes are parsed from a private staging folder inside the data folder
    that is removed before returning, whatever happens: nothing is kept on error
    (nor on success: :func:`save_upload` writes the file).
    """
    from crossref.labels import french_mb
    from crossref.parsing import MAX_INPUT_BYTES, load_file
    from crossref.referentiels import load_corpus

    display = Path(re.split(r"[\\/]", str(name))[-1] or "fichier").name
    filename = sanitize_filename(display)
    if not data:
        raise InputError(display, "fichier vide")
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(display, f"fichier trop volumineux ({french_mb(len(data))}, "
                                  f"maximum {french_mb(MAX_INPUT_BYTES)})")
    root = data_dir(config)
    if not root.is_dir():
        raise CrossrefError(f"dossier de données introuvable : {root}")
    staging = Path(tempfile.mkdtemp(prefix=".upload-", dir=root))
    staged = staging / filename
    try:
        staged.write_bytes(data)
        try:
            certs = load_file(staged)
            if not certs:
                raise InputError(staged, "aucune certification trouvée")
            # Joins the corpus? (an id already loaded, built-in or imported, is refused)
            load_corpus(config.data_dir, [*imported_files(config), staged])
        except InputError as exc:
            raise _relabel(exc, staged, display) from None
        except CrossrefError as exc:
            raise CrossrefError(str(exc).replace(str(staged), display)) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if (imported_dir(config) / filename).exists():
        raise InputError(display, f"un référentiel importé porte déjà le nom {filename} : supprimez-le d'abord")
    return Upload(display, filename, data, certs)


IMPORT_LOCK = ".import.lock"  # in imported/: hidden files are not référentiels (imported_files)
LOCK_TIMEOUT_S = 60.0


def _import_lock(config: Config):
    """A file lock shared by every session and process adding or removing imported référentiels."""
    from filelock import FileLock

    folder = imported_dir(config)
    folder.mkdir(parents=True, exist_ok=True)
    return FileLock(str(folder / IMPORT_LOCK), timeout=LOCK_TIMEOUT_S)


def _locked(config: Config):
    from filelock import Timeout

    lock = _import_lock(config)
    try:
        lock.acquire()
    except Timeout:
        raise CrossrefError("un autre import est en cours : réessayez dans un instant") from None
    return lock


def save_upload(config: Config, upload: Upload) -> Path:
    """Write a validated upload into <data_dir>/imported/ (atomically; never elsewhere).

    Several sessions may validate uploads at the same time: under a lock shared by
    all of them, the name and the certification ids are checked again against what
    is imported *now*, so two sessions adding the same certification cannot both
    succeed (the corpus would no longer load for anyone).
    """
    from crossref.io import atomic_write_bytes
    from crossref.referentiels import load_corpus

    folder = imported_dir(config)
    target = folder / sanitize_filename(upload.filename)
    if not _inside(target, folder) or target.parent.resolve() != folder.resolve():
        raise CrossrefError(f"nom de fichier refusé : {upload.filename!r}")
    lock = _locked(config)
    try:
        if target.exists():
            raise InputError(upload.original_name, f"un référentiel importé porte déjà le nom {target.name}")
        corpus = load_corpus(config.data_dir, imported_files(config))
        taken = [c.id for c in upload.certifications if c.id in corpus.ids]
        if taken:
            raise InputError(upload.original_name,
                             f"certification {', '.join(taken)} déjà présente dans le corpus (ajoutée entre-temps "
                             "depuis une autre session ?) : rien n'a été enregistré")
        return atomic_write_bytes(target, upload.data)
    finally:
        lock.release()


def remove_imported(config: Config, filename: str) -> None:
    folder = imported_dir(config)
    target = folder / Path(filename).name
    if not _inside(target, folder) or target.name.startswith(".") or not target.is_file():
        raise CrossrefError(f"référentiel importé introuvable : {filename}")
    lock = _locked(config)
    try:
        target.unlink(missing_ok=True)
    finally:
        lock.release()


def imported_summary(config: Config) -> pd.DataFrame:
    """One row per imported file: name, certifications found, size, date (a broken file is reported)."""
    from datetime import datetime

    import pandas as pd

    from crossref.parsing import load_file

    rows = []
    for p in imported_files(config):
        try:
            certs = ", ".join(c.id for c in load_file(p))
            problem = ""
        except CrossrefError as exc:
            certs, problem = "", str(exc)
        stat = p.stat()
        rows.append({"Fichier": p.name, "Certifications": certs, "Taille (ko)": round(stat.st_size / 1024, 1),
                     "Ajouté le": datetime.fromtimestamp(stat.st_mtime).strftime("%d/%m/%Y %H:%M"),
                     "Problème": problem})
    return pd.DataFrame(rows, columns=["Fichier", "Certifications", "Taille (ko)", "Ajouté le", "Problème"])
