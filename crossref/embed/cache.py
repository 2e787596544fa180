"""Per-text embedding cache on disk, keyed by (embedder name, sha256 of the text).

One ``.npz`` file per embedder name holds every cached vector (``keys``: hex
digests, ``vecs``: float32 rows, ``name``: the full embedder name), so a warm run
reads one file whatever the number of texts. Files are written to a temporary
file in the same folder and moved into place with ``os.replace``: a process
killed mid-write leaves the previous file intact. Before writing, the file on
disk is re-read and merged, so concurrent processes never corrupt it; at worst
one's new rows are lost and recomputed later. A file that cannot be read or
fails validation is reported, ignored and rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from crossref.embed.base import Embedder, as_text_list

log = logging.getLogger(__name__)

# Below this many texts to embed, a progress bar is noise.
PROGRESS_MIN_TEXTS = 64
_TMP_SUFFIX = ".tmp"
_STALE_TMP_SECONDS = 3600


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).hexdigest().encode("ascii")


class _Store:
    """The rows of one cache file, with a digest -> row index."""

    def __init__(self, keys: np.ndarray, vecs: np.ndarray) -> None:
        self.keys = keys
        self.vecs = vecs
        self.index = {k: i for i, k in enumerate(keys.tolist())}

    @classmethod
    def empty(cls) -> "_Store":
        return cls(np.zeros(0, dtype="S64"), np.zeros((0, 0), np.float32))

    @property
    def dim(self) -> int | None:
        return self.vecs.shape[1] if len(self.keys) else None


class CachedEmbedder:
    """Wraps an embedder; only texts never seen under ``inner.name`` are embedded.

    Missing texts are embedded in batches of ``batch_size``; a progress bar goes
    to stderr when ``progress`` is True, or by default (None) when stderr is a
    terminal and at least PROGRESS_MIN_TEXTS texts are missing. Long runs are
    checkpointed to disk every ``flush_seconds``. An embedder whose
    ``cacheable`` attribute is False (the lexical one) is passed through.
    """

    def __init__(self, inner: Embedder, cache_dir: str | Path = "models/cache", *,
                 batch_size: int = 64, progress: bool | None = None,
                 flush_seconds: float = 60.0) -> None:
        self.inner = inner
        self.cache_dir = Path(cache_dir)
        self.batch_size = max(1, int(batch_size))
        self.progress = progress
        self.flush_seconds = flush_seconds
        self._memo: tuple[str, tuple[int, int, int], _Store] | None = None

    @property
    def name(self) -> str:
        return self.inner.name

    def __getattr__(self, item: str):
        # Forward backend extras (dim, tokens, fit, ...) to the wrapped embedder.
        if item.startswith("_") or item == "inner":
            raise AttributeError(item)
        return getattr(self.inner, item)

    def path_for(self, name: str) -> Path:
        slug = re.sub(r"[^A-Za-z0-9.=-]+", "_", name).strip("_")[:80]
        return self.cache_dir / f"{slug}-{hashlib.sha256(name.encode()).hexdigest()[:16]}.npz"

    @property
    def path(self) -> Path:
        return self.path_for(self.name)

    # -- reading ---------------------------------------------------------------

    def _read(self, name: str) -> _Store:
        path = self.path_for(name)
        try:
            st = path.stat()
        except FileNotFoundError:
            return _Store.empty()
        except OSError as exc:
            log.warning("embedding cache %s unreadable (%s); embedding without it", path, exc)
            return _Store.empty()
        sig = (st.st_mtime_ns, st.st_size, st.st_ino)
        if self._memo and self._memo[0] == name and self._memo[1] == sig:
            return self._memo[2]
        try:
            with np.load(path, allow_pickle=False) as z:
                stored_name = str(z["name"])
                keys = z["keys"]
                vecs = z["vecs"]
            problem = _validate(stored_name, name, keys, vecs)
        except Exception as exc:  # truncated zip, bad CRC, missing member, bad header...
            problem = f"{type(exc).__name__}: {exc}"
        if problem:
            log.warning("embedding cache %s is corrupt (%s); it will be rebuilt", path, problem)
            return _Store.empty()
        store = _Store(keys, vecs)
        self._memo = (name, sig, store)
        return store

    # -- writing ---------------------------------------------------------------

    def _write(self, name: str, keys: list[bytes], vecs: list[np.ndarray]) -> None:
        """Merge new rows with the file as it is now on disk and replace it atomically."""
        if not keys:
            return
        new_vecs = np.concatenate(vecs).astype(np.float32, copy=False)
        current = self._read(name)
        if current.dim is not None and current.dim != new_vecs.shape[1]:
            current = _Store.empty()  # the model changed under the same name: start over
        fresh = [i for i, k in enumerate(keys) if k not in current.index]
        if not fresh:
            return
        all_keys = np.concatenate([current.keys, np.array([keys[i] for i in fresh], dtype="S64")])
        all_vecs = (np.concatenate([current.vecs, new_vecs[fresh]]) if current.dim is not None
                    else new_vecs[fresh])
        path = self.path_for(name)
        tmp = None
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            _remove_stale_temps(self.cache_dir)
            fd, tmp = tempfile.mkstemp(dir=self.cache_dir, prefix="." + path.stem + ".", suffix=_TMP_SUFFIX)
            with os.fdopen(fd, "wb") as f:
                np.savez(f, name=np.array(name), keys=all_keys, vecs=all_vecs)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
            tmp = None
            st = path.stat()
            # What we just wrote is what is on disk: the next call needs no read.
            self._memo = (name, (st.st_mtime_ns, st.st_size, st.st_ino), _Store(all_keys, all_vecs))
        except OSError as exc:
            self._memo = None
            log.warning("cannot write embedding cache %s (%s); continuing without it", path, exc)
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    # -- embedding -------------------------------------------------------------

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = as_text_list(texts)
        if not getattr(self.inner, "cacheable", True):
            return self.inner.embed(texts)
        name = self.inner.name
        store = self._read(name)
        if not texts:
            if store.dim is not None:
                return np.zeros((0, store.dim), np.float32)
            return self.inner.embed([])
        keys = [text_key(t) for t in texts]
        todo: dict[bytes, str] = {}
        for k, t in zip(keys, texts):
            if k not in store.index and k not in todo:
                todo[k] = t
        new = self._embed_missing(name, todo)
        changed = self.inner.name != name
        if changed or (todo and store.dim is not None and new.shape[1] != store.dim):
            # The backend's state changed during the call (its name moved), or the
            # model changed under the same name (other width): cached rows cannot
            # be trusted, so embed everything afresh under the current name.
            if not changed:
                log.warning("embedding cache %s holds %d-d rows, the model gives %d-d; rebuilding",
                            self.path, store.dim, new.shape[1])
            name, store = self.inner.name, _Store.empty()
            todo = dict(zip(keys, texts))
            new = self._embed_missing(name, todo)
        return _assemble(keys, store, list(todo), new)

    def _embed_missing(self, name: str, todo: dict[bytes, str]) -> np.ndarray:
        """Embed ``todo`` in batches and store the rows, unless the backend's name moved."""
        if not todo:
            return np.zeros((0, 0), np.float32)
        from tqdm import tqdm

        todo_keys, todo_texts = list(todo), list(todo.values())
        show = self.progress
        if show is None:
            show = len(todo_texts) >= PROGRESS_MIN_TEXTS and _stderr_is_tty()
        parts: list[np.ndarray] = []
        pending_keys: list[bytes] = []
        pending: list[np.ndarray] = []
        last_flush = time.monotonic()
        with tqdm(total=len(todo_texts), desc=f"embedding ({name.split(':')[0]})", unit="text",
                  file=sys.stderr, disable=not show, leave=False) as bar:
            for start in range(0, len(todo_texts), self.batch_size):
                batch = todo_texts[start:start + self.batch_size]
                vecs = np.asarray(self.inner.embed(batch), dtype=np.float32)
                if vecs.ndim != 2 or vecs.shape[0] != len(batch):
                    raise RuntimeError(f"{name} returned shape {vecs.shape} for {len(batch)} texts")
                parts.append(vecs)
                pending_keys += todo_keys[start:start + len(batch)]
                pending.append(vecs)
                bar.update(len(batch))
                if time.monotonic() - last_flush > self.flush_seconds and self.inner.name == name:
                    # Checkpoint, so that an interrupted long run keeps its work.
                    self._write(name, pending_keys, pending)
                    pending_keys, pending, last_flush = [], [], time.monotonic()
        if self.inner.name == name:
            self._write(name, pending_keys, pending)
        return np.concatenate(parts)


def _assemble(keys: list[bytes], store: _Store, new_keys: list[bytes], new: np.ndarray) -> np.ndarray:
    dim = new.shape[1] if len(new_keys) else store.dim
    assert dim is not None, "nothing new to embed implies a stored matrix"
    out = np.empty((len(keys), dim), np.float32)
    new_index = {k: i for i, k in enumerate(new_keys)}
    for row, k in enumerate(keys):
        j = new_index.get(k)
        out[row] = new[j] if j is not None else store.vecs[store.index[k]]
    return out


def _validate(stored_name: str, name: str, keys: np.ndarray, vecs: np.ndarray) -> str | None:
    if stored_name != name:
        return f"it belongs to {stored_name!r}"
    if keys.ndim != 1 or keys.dtype != np.dtype("S64"):
        return "bad key array"
    if vecs.ndim != 2 or vecs.dtype != np.float32 or len(vecs) != len(keys) or vecs.shape[1] == 0:
        return "bad vector array"
    if not np.isfinite(vecs).all():
        return "non-finite values"
    norms = np.linalg.norm(vecs, axis=1)
    if not np.all((np.abs(norms - 1) < 1e-3) | (norms == 0)):
        return "rows are not unit vectors"
    return None


def _stderr_is_tty() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _remove_stale_temps(folder: Path) -> None:
    """Temp files left by killed writers; recent ones may belong to a live writer."""
    now = time.time()
    for p in folder.glob("*" + _TMP_SUFFIX):
        with contextlib.suppress(OSError):
            if now - p.stat().st_mtime > _STALE_TMP_SECONDS:
                p.unlink()
