"""Per-text embedding store on disk, keyed by (embedder name, sha256 of the text).

One folder per embedder name holds:

* ``index.sqlite``: for every stored text its key (the 32-byte digest), the
  shard and row of its vector and the CRC-32 of the vector's bytes; the
  embedder name and vector width (table ``meta``);
* ``shard-<id>.f32``: raw little-endian float32 rows, written once and never
  modified, read through ``numpy.memmap``.

A lookup of a few texts costs one indexed SQLite query and reads only their
rows, whatever the size of the store (measured in benchmarks/bench_registry.py:
105 texts in a 300,000-row store). Adding texts writes a new shard (temporary
file, fsync, rename) and then registers its rows in one SQLite transaction, so
a process killed at any point leaves the store as it was, plus at worst an
unreferenced shard that a later writer removes. SQLite (WAL journal, immediate
transactions, busy timeout) serialises concurrent writers; a key written twice
keeps its first row. A store whose index cannot be read, or whose rows fail
their CRC, is reported as corrupt and rebuilt; a legacy ``.npz`` cache file
of the same embedder is imported once.

The folder must be on a file system where SQLite locking works (a local disk;
on a cluster, a shared POSIX file system such as Lustre or CephFS, not NFS
without locks).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import sqlite3
import sys
import tempfile
import time
import uuid
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from crossref.embed.base import Embedder, as_text_list

log = logging.getLogger(__name__)

# Below this many texts to embed, a progress bar is noise.
PROGRESS_MIN_TEXTS = 64
_TMP_SUFFIX = ".tmp"
_STALE_TMP_SECONDS = 3600
_SQL_VARS = 900  # keys per query (SQLite's default limit is 999 variables)
SCHEMA_VERSION = 1


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).hexdigest().encode("ascii")


def store_dir(cache_dir: str | Path, name: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9.=-]+", "_", name).strip("_")[:80]
    return Path(cache_dir) / f"{slug}-{hashlib.sha256(name.encode()).hexdigest()[:16]}"


class StoreCorrupt(Exception):
    """The index or a shard of a store cannot be trusted."""


class EmbeddingStore:
    """The vectors of one embedder name: keyed lookups, append-only shards, safe concurrent writers."""

    def __init__(self, cache_dir: str | Path, name: str) -> None:
        self.name = name
        self.dir = store_dir(cache_dir, name)
        self.index_path = self.dir / "index.sqlite"
        self._maps: dict[str, np.memmap] = {}

    # -- connection --------------------------------------------------------------

    def _create(self) -> None:
        """Create the index with its schema atomically: a file that exists always has its tables."""
        if self.index_path.exists():
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".index.", suffix=_TMP_SUFFIX)
        os.close(fd)
        try:
            con = sqlite3.connect(tmp, isolation_level=None)
            with contextlib.closing(con):
                con.execute("PRAGMA journal_mode = WAL")  # persistent: recorded in the file
                for stmt in _SCHEMA:
                    con.execute(stmt)
                con.execute("INSERT INTO meta VALUES ('name', ?)", (self.name,))
                con.execute("INSERT INTO meta VALUES ('version', ?)", (str(SCHEMA_VERSION),))
            with contextlib.suppress(FileExistsError):
                os.link(tmp, self.index_path)  # never replaces an index another process created
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)

    def _connect_create(self) -> sqlite3.Connection:
        """A connection to the index, created first when absent."""
        self._create()
        con = self._connect(False)
        if con is None:  # removed between creation and connection: a concurrent destroy()
            raise StoreCorrupt("index removed while opening it")
        return con

    def _connect(self, create: bool) -> sqlite3.Connection | None:
        if create:
            return self._connect_create()
        if not self.index_path.exists():
            return None
        con = sqlite3.connect(self.index_path, timeout=60, isolation_level=None)
        try:
            con.execute("PRAGMA busy_timeout = 60000")
            stored = dict(con.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.Error as exc:
            con.close()
            raise StoreCorrupt(f"{type(exc).__name__}: {exc}") from None
        if stored.get("name") != self.name:
            con.close()
            raise StoreCorrupt(f"it belongs to {stored.get('name')!r}")
        return con

    def _meta_dim(self, con: sqlite3.Connection) -> int | None:
        row = con.execute("SELECT value FROM meta WHERE key = 'dim'").fetchone()
        return int(row[0]) if row else None

    @property
    def dim(self) -> int | None:
        con = self._connect(False)
        if con is None:
            return None
        with contextlib.closing(con):
            return self._meta_dim(con)

    def __len__(self) -> int:
        con = self._connect(False)
        if con is None:
            return 0
        with contextlib.closing(con):
            return int(con.execute("SELECT COUNT(*) FROM rows").fetchone()[0])

    # -- reading -----------------------------------------------------------------

    def _shard(self, file: str, rows: int, dim: int) -> np.memmap:
        m = self._maps.get(file)
        if m is None:
            path = self.dir / file
            try:
                size = path.stat().st_size
            except OSError as exc:
                raise StoreCorrupt(f"shard {file} missing ({exc})") from None
            if size != rows * dim * 4:
                raise StoreCorrupt(f"shard {file} has {size} bytes, {rows * dim * 4} expected")
            m = np.memmap(path, dtype="<f4", mode="r", shape=(rows, dim))
            self._maps[file] = m
        return m

    def get(self, keys: Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
        """(found, vectors): a bool per key and a (n, dim) float32 array (zero rows where not found).

        Raises :class:`StoreCorrupt` when the index or a shard is damaged.
        """
        digests = [bytes.fromhex(k.decode("ascii")) for k in keys]
        con = self._connect(False)
        if con is None:
            return np.zeros(len(keys), bool), np.zeros((len(keys), 0), np.float32)
        with contextlib.closing(con):
            try:
                dim = self._meta_dim(con)
                shards = {sid: (f, n) for sid, f, n in con.execute("SELECT id, file, rows FROM shards")}
                hits: dict[bytes, tuple[int, int, int]] = {}
                unique = list(dict.fromkeys(digests))
                for start in range(0, len(unique), _SQL_VARS):
                    part = unique[start:start + _SQL_VARS]
                    sql = f"SELECT key, shard, row, crc FROM rows WHERE key IN ({','.join('?' * len(part))})"
                    for key, shard, row, crc in con.execute(sql, part):
                        hits[bytes(key)] = (shard, row, crc)
            except sqlite3.Error as exc:
                raise StoreCorrupt(f"{type(exc).__name__}: {exc}") from None
        if dim is None:
            return np.zeros(len(keys), bool), np.zeros((len(keys), 0), np.float32)
        found = np.zeros(len(keys), bool)
        out = np.zeros((len(keys), dim), np.float32)
        for i, d in enumerate(digests):
            hit = hits.get(d)
            if hit is None:
                continue
            shard, row, crc = hit
            if shard not in shards:
                raise StoreCorrupt(f"row of unknown shard {shard}")
            file, n = shards[shard]
            if not 0 <= row < n:
                raise StoreCorrupt(f"row {row} outside shard {file}")
            vec = np.asarray(self._shard(file, n, dim)[row], dtype=np.float32)
            if zlib.crc32(vec.astype("<f4").tobytes()) != crc:
                raise StoreCorrupt(f"row {row} of shard {file} fails its checksum")
            out[i] = vec
            found[i] = True
        return found, out

    def items(self) -> tuple[list[bytes], np.ndarray]:
        """Every (hex key, vector), in shard and row order (checksums verified)."""
        con = self._connect(False)
        if con is None:
            return [], np.zeros((0, 0), np.float32)
        with contextlib.closing(con):
            rows = con.execute("SELECT key FROM rows ORDER BY shard, row").fetchall()
        keys = [bytes(r[0]).hex().encode("ascii") for r in rows]
        found, vecs = self.get(keys)
        return keys, vecs[found]

    # -- writing -----------------------------------------------------------------

    def put(self, keys: Sequence[bytes], vecs: np.ndarray) -> int:
        """Store the rows whose key is not stored yet; returns how many were added.

        A width other than the stored one means the model changed under the same
        name: the store is emptied first.
        """
        vecs = np.ascontiguousarray(vecs, dtype="<f4")
        if not len(keys):
            return 0
        con = self._connect_create()
        with contextlib.closing(con):
            dim = self._meta_dim(con)
            if dim is not None and dim != vecs.shape[1]:
                log.warning("embedding store %s holds %d-d rows, the model gives %d-d; rebuilding",
                            self.dir, dim, vecs.shape[1])
                self._clear(con)
            digests = [bytes.fromhex(k.decode("ascii")) for k in keys]
            present: set[bytes] = set()
            for start in range(0, len(digests), _SQL_VARS):
                part = digests[start:start + _SQL_VARS]
                sql = f"SELECT key FROM rows WHERE key IN ({','.join('?' * len(part))})"
                present.update(bytes(r[0]) for r in con.execute(sql, part))
            fresh: dict[bytes, int] = {}
            for i, d in enumerate(digests):
                if d not in present and d not in fresh:
                    fresh[d] = i
            if not fresh:
                return 0
            rows = vecs[list(fresh.values())]
            _remove_stale_temps(self.dir)
            self._remove_orphans(con)
            file = f"shard-{uuid.uuid4().hex}.f32"
            _write_shard(self.dir / file, rows)
            try:
                con.execute("BEGIN IMMEDIATE")
                con.execute("INSERT OR IGNORE INTO meta VALUES ('dim', ?)", (str(rows.shape[1]),))
                cur = con.execute("INSERT INTO shards (file, rows) VALUES (?, ?)", (file, len(rows)))
                sid = cur.lastrowid
                con.executemany("INSERT OR IGNORE INTO rows VALUES (?, ?, ?, ?)",
                                [(d, sid, r, zlib.crc32(rows[r].tobytes())) for r, d in enumerate(fresh)])
                con.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    con.execute("ROLLBACK")
                with contextlib.suppress(OSError):
                    os.unlink(self.dir / file)
                raise
            return len(fresh)

    def _remove_orphans(self, con: sqlite3.Connection) -> None:
        """Shards a killed writer renamed but never registered (old enough not to be in flight)."""
        known = {f for (f,) in con.execute("SELECT file FROM shards")}
        now = time.time()
        for p in self.dir.glob("shard-*.f32"):
            if p.name not in known:
                with contextlib.suppress(OSError):
                    if now - p.stat().st_mtime > _STALE_TMP_SECONDS:
                        p.unlink()

    def _clear(self, con: sqlite3.Connection) -> None:
        con.execute("BEGIN IMMEDIATE")
        files = [f for (f,) in con.execute("SELECT file FROM shards")]
        con.execute("DELETE FROM rows")
        con.execute("DELETE FROM shards")
        con.execute("DELETE FROM meta WHERE key = 'dim'")
        con.execute("COMMIT")
        self._maps.clear()
        for f in files:
            with contextlib.suppress(OSError):
                os.unlink(self.dir / f)

    def destroy(self) -> None:
        """Remove the whole store (used to rebuild a corrupt one)."""
        import shutil

        self._maps.clear()
        shutil.rmtree(self.dir, ignore_errors=True)


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS shards (id INTEGER PRIMARY KEY, file TEXT UNIQUE NOT NULL, rows INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS rows (key BLOB PRIMARY KEY, shard INTEGER NOT NULL, row INTEGER NOT NULL, "
    "crc INTEGER NOT NULL) WITHOUT ROWID",
)


def _write_shard(path: Path, rows: np.ndarray) -> None:
    """Write a shard atomically: temporary file in the same folder, fsync, rename."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix="." + path.stem + ".", suffix=_TMP_SUFFIX)
    tmp: str | None = tmp_name
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(rows.tobytes())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
        tmp = None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


class CachedEmbedder:
    """Wraps an embedder; only texts never seen under ``inner.name`` are embedded.

    Missing texts are embedded in batches of ``batch_size``; a progress bar goes
    to stderr when ``progress`` is True, or by default (None) when stderr is a
    terminal and at least PROGRESS_MIN_TEXTS texts are missing. Long runs are
    checkpointed to the store every ``flush_seconds``. An embedder whose
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
        self._stores: dict[str, EmbeddingStore] = {}

    @property
    def name(self) -> str:
        return self.inner.name

    def __getattr__(self, item: str):
        # Forward backend extras (dim, tokens, fit, ...) to the wrapped embedder.
        if item.startswith("_") or item == "inner":
            raise AttributeError(item)
        return getattr(self.inner, item)

    def store_for(self, name: str) -> EmbeddingStore:
        store = self._stores.get(name)
        if store is None:
            store = self._stores[name] = EmbeddingStore(self.cache_dir, name)
        return store

    def path_for(self, name: str) -> Path:
        """The store's index file (its folder holds the shards)."""
        return self.store_for(name).index_path

    @property
    def path(self) -> Path:
        return self.path_for(self.name)

    @property
    def store(self) -> EmbeddingStore:
        return self.store_for(self.name)

    # -- reading and writing, corruption handled -----------------------------------

    def _lookup(self, name: str, keys: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
        store = self.store_for(name)
        try:
            if not store.index_path.exists():
                self._import_legacy(name)
            return store.get(keys)
        except StoreCorrupt as exc:
            log.warning("embedding store %s is corrupt (%s); it will be rebuilt", store.dir, exc)
            store.destroy()
            return np.zeros(len(keys), bool), np.zeros((len(keys), 0), np.float32)
        except OSError as exc:
            log.warning("embedding store %s unreadable (%s); embedding without it", store.dir, exc)
            return np.zeros(len(keys), bool), np.zeros((len(keys), 0), np.float32)

    def _write(self, name: str, keys: list[bytes], vecs: list[np.ndarray]) -> None:
        if not keys:
            return
        store = self.store_for(name)
        try:
            store.put(keys, np.concatenate(vecs))
        except StoreCorrupt as exc:
            log.warning("embedding store %s is corrupt (%s); it will be rebuilt", store.dir, exc)
            store.destroy()
            with contextlib.suppress(OSError, StoreCorrupt, sqlite3.Error):
                store.put(keys, np.concatenate(vecs))
        except (OSError, sqlite3.Error) as exc:
            log.warning("cannot write embedding store %s (%s); continuing without it", store.dir, exc)

    def _import_legacy(self, name: str) -> None:
        """Rows of the former single-file cache (``<slug>-<hash>.npz``), imported once."""
        legacy = self.store_for(name).dir.with_suffix(".npz")
        if not legacy.is_file():
            return
        try:
            with np.load(legacy, allow_pickle=False) as z:
                stored_name, keys, vecs = str(z["name"]), z["keys"], z["vecs"]
            problem = _validate(stored_name, name, keys, vecs)
        except Exception as exc:  # truncated zip, bad CRC...
            problem = f"{type(exc).__name__}: {exc}"
        if problem:
            log.warning("legacy embedding cache %s ignored (%s)", legacy, problem)
            return
        self.store_for(name).put(keys.tolist(), vecs)

    # -- embedding -------------------------------------------------------------

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = as_text_list(texts)
        if not getattr(self.inner, "cacheable", True):
            return self.inner.embed(texts)
        name = self.inner.name
        if not texts:
            dim = None
            with contextlib.suppress(StoreCorrupt, OSError):
                dim = self.store_for(name).dim
            return np.zeros((0, dim), np.float32) if dim is not None else self.inner.embed([])
        keys = [text_key(t) for t in texts]
        found, stored = self._lookup(name, keys)
        todo: dict[bytes, str] = {}
        for k, t, f in zip(keys, texts, found.tolist()):
            if not f and k not in todo:
                todo[k] = t
        new = self._embed_missing(name, todo)
        changed = self.inner.name != name
        if changed or (todo and found.any() and new.shape[1] != stored.shape[1]):
            # The backend's state changed during the call (its name moved), or the
            # model changed under the same name (other width): stored rows cannot
            # be trusted, so embed everything afresh under the current name.
            if not changed:
                log.warning("embedding store for %s holds %d-d rows, the model gives %d-d; rebuilding",
                            name, stored.shape[1], new.shape[1])
            name = self.inner.name
            found = np.zeros(len(keys), bool)
            todo = dict(zip(keys, texts))
            new = self._embed_missing(name, todo)
        return _assemble(keys, found, stored, list(todo), new)

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


def _assemble(keys: list[bytes], found: np.ndarray, stored: np.ndarray, new_keys: list[bytes],
              new: np.ndarray) -> np.ndarray:
    dim = new.shape[1] if len(new_keys) else stored.shape[1]
    out = np.empty((len(keys), dim), np.float32)
    if found.any():
        out[found] = stored[found]
    new_index = {k: i for i, k in enumerate(new_keys)}
    for row in np.nonzero(~found)[0].tolist():
        out[row] = new[new_index[keys[row]]]
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
