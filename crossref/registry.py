"""The registry: every RNCP and RS fiche of a France Compétences export, indexed for search.

Three steps, each incremental:

1. :meth:`Registry.ingest` streams the XML export (and optionally the CSV
   blocs file) into ``registry.sqlite``: fiches, blocs and one *unit* per
   competence (its text is the pipeline's ``text`` view, « intitulé. énoncé »).
   A fiche whose content hash is unchanged is reported unchanged. The database
   is written to a temporary file and moved into place: an export that fails
   to parse leaves the previous registry untouched.
2. :meth:`Registry.index` embeds the units through the embedding store (only
   texts it has never seen are embedded: the store is keyed by the text), then
   writes the vector matrix (``vectors.f32``, memory-mapped, one row per unit,
   the units of a fiche contiguous) and, beyond
   :data:`crossref.retrieval.ANN_THRESHOLD` units, a FAISS index. With a Dask
   scheduler address the embedding runs on the cluster's workers, which write
   their shards to the store themselves (:mod:`crossref.distributed`).
3. :meth:`Registry.search` lists the fiches that overlap most with one fiche
   of the registry or with a local certification: candidate fiches come from
   the top-k neighbours of its competences (:func:`crossref.retrieval.candidates`),
   then the coverage of every bloc is computed both ways on the exact
   similarities between the two fiches' competences.

:meth:`Registry.candidate_pairs` is the registry-wide "retrieve" stage (every
competence's top-k competences of other fiches, O(N·k) rows), run in query
shards in process or on a Dask cluster, with identical results.

Coverage uses one channel, the cosine of the registry's embedding backend:
a competence counts as covered (credit 1) at ``equivalent`` or above, partly
(credit 0.5) at ``partial`` or above, as in passerelles. These two cosine
thresholds are plain defaults, not calibrated on reference pairs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from crossref.errors import InputError
from crossref.io import atomic_write_bytes
from crossref.model import Certification

DB_NAME = "registry.sqlite"
VECTORS = "vectors.f32"
GROUPS = "groups.i32"
VECTORS_META = "vectors.json"
ANN_FILE = "index.faiss"
CANDIDATES = "candidates.npz"
# Query rows per shard of the registry-wide candidate job (a multiple of BLOCK).
BLOCK = 256
DEFAULT_PARTIAL = 0.55
DEFAULT_EQUIVALENT = 0.70


def unit_text(title: str, statement: str) -> str:
    """The pipeline's ``text`` view of a competence (title kept: measured)."""
    return f"{title}. {statement}" if title else statement


def _text_key(text: str) -> bytes:
    from crossref.embed.cache import text_key

    return text_key(text)


@dataclass
class IngestReport:
    fiches: int = 0
    units: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)
    csv_blocs: int = 0
    seconds: float = 0.0


@dataclass
class IndexReport:
    units: int = 0
    embedded: int = 0       # texts the backend had to embed (the rest came from the store)
    ann: bool = False
    workers: int = 0        # Dask workers used (0: in process)
    seconds: float = 0.0


@dataclass
class BlocCoverage:
    bloc: str
    title: str
    coverage: float


@dataclass
class Overlap:
    fiche: str
    title: str
    units: int
    overlap: float            # mean of both directions
    covers: float             # share of this fiche covered by the searched one
    covered_by: float         # share of the searched one covered by this fiche
    blocs_covered: list[BlocCoverage]     # this fiche's blocs, covered by the searched one
    blocs_covering: list[BlocCoverage]    # the searched one's blocs, covered by this fiche


@dataclass
class SearchResult:
    fiche: str
    title: str
    units: int
    registry_fiches: int
    registry_units: int
    exact: bool
    seconds: float
    overlaps: list[Overlap]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class RegistryError(InputError):
    pass


class Registry:
    """A registry folder: ``registry.sqlite``, the vectors and the optional ANN index."""

    def __init__(self, directory: str | Path, cache_dir: str | Path = "models/cache") -> None:
        self.dir = Path(directory)
        self.cache_dir = Path(cache_dir)
        self.db_path = self.dir / DB_NAME

    # ------------------------------------------------------------------ ingest

    def ingest(self, xml_path: str | Path, *, blocs_csv: str | Path | None = None,
               active_only: bool = True) -> IngestReport:
        """Read an export into a fresh database, then replace the previous one atomically."""
        from crossref.parsing.fc_stream import StreamStats, iter_blocs_csv, iter_fiches

        t0 = time.perf_counter()
        report = IngestReport()
        previous = self._fiche_hashes()
        csv_titles: dict[str, list[tuple[str, str]]] = {}
        if blocs_csv is not None:
            for bloc in iter_blocs_csv(blocs_csv):
                csv_titles.setdefault(bloc.fiche, []).append((bloc.code, bloc.title))
                report.csv_blocs += 1
        self.dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self.dir, prefix=".registry.", suffix=".tmp")
        tmp: str | None = tmp_name
        os.close(fd)
        stats = StreamStats()
        try:
            con = sqlite3.connect(tmp_name, isolation_level=None)
            with contextlib.closing(con):
                _create_schema(con)
                con.execute("BEGIN")
                row = 0
                seen = set()
                for cert in iter_fiches(xml_path, active_only=active_only, stats=stats):
                    row = self._insert_fiche(con, cert, row, csv_titles.get(cert.id, []), previous, report)
                    seen.add(cert.id)
                # A fiche of the CSV blocs file absent from the XML has no competence to index.
                report.removed = len(set(previous) - seen)
                report.fiches, report.units = len(seen), row
                con.execute("INSERT INTO meta VALUES ('source', ?)", (str(Path(xml_path).name),))
                con.execute("COMMIT")
            os.replace(tmp_name, self.db_path)
            tmp = None
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        report.skipped = [asdict(s) for s in stats.skipped]
        report.seconds = time.perf_counter() - t0
        return report

    def _insert_fiche(self, con, cert: Certification, row: int, csv_blocs: list[tuple[str, str]],
                      previous: dict[str, str], report: IngestReport) -> int:
        units = [(c.id, c.bloc_id, unit_text(c.title, c.statement)) for c in cert.competences]
        # The CSV blocs file names the blocs whose XML gives no LIBELLE (fc_xml then
        # titles them with their France Compétences code, or « Bloc n »).
        by_code = {code: title for code, title in csv_blocs if title}
        blocs = []
        for b in cert.blocs:
            fc_code = b.description.removeprefix("Code France Compétences : ") if b.description else ""
            untitled = b.title in (fc_code, f"Bloc {b.code[1:]}")
            blocs.append((b.id, b.code, by_code[fc_code] if untitled and fc_code in by_code else b.title))
        digest = hashlib.sha256(json.dumps([cert.title, blocs, units], ensure_ascii=False).encode()).hexdigest()
        old = previous.get(cert.id)
        if old is None:
            report.added += 1
        elif old != digest:
            report.changed += 1
        else:
            report.unchanged += 1
        con.execute("INSERT INTO fiches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (cert.id, cert.title, cert.register, cert.level, cert.certifier, int(cert.indivisible),
                     digest, row, len(units)))
        con.executemany("INSERT INTO blocs VALUES (?, ?, ?, ?, ?)",
                        [(cert.id, bid, code, title, i) for i, (bid, code, title) in enumerate(blocs)])
        con.executemany("INSERT INTO units VALUES (?, ?, ?, ?, ?, ?)",
                        [(row + i, uid, cert.id, bid, text, bytes.fromhex(_text_key(text).decode()))
                         for i, (uid, bid, text) in enumerate(units)])
        return row + len(units)

    def _connect(self) -> sqlite3.Connection:
        if not self.db_path.is_file():
            raise RegistryError(self.db_path, "registre absent : lancez d'abord « crossref registry index "
                                              "--export FICHIER.xml »")
        return sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)

    def _fiche_hashes(self) -> dict[str, str]:
        if not self.db_path.is_file():
            return {}
        with contextlib.closing(self._connect()) as con:
            return dict(con.execute("SELECT id, hash FROM fiches").fetchall())

    # ------------------------------------------------------------------ index

    def unit_texts(self) -> list[str]:
        with contextlib.closing(self._connect()) as con:
            return [t for (t,) in con.execute("SELECT text FROM units ORDER BY row")]

    def index(self, embedder, *, scheduler: str | None = None, shard_texts: int = 2000,
              ann_threshold: int | None = None) -> IndexReport:
        """Embed every unit (only texts new to the store), write the matrix, build the ANN index if large."""
        from crossref.embed.cache import CachedEmbedder, EmbeddingStore, text_key
        from crossref.retrieval import ANN_THRESHOLD

        t0 = time.perf_counter()
        report = IndexReport()
        texts = self.unit_texts()
        report.units = len(texts)
        if not texts:
            raise RegistryError(self.db_path, "aucune compétence dans le registre : rien à indexer")
        name = embedder.name
        threshold = ANN_THRESHOLD if ann_threshold is None else ann_threshold
        if self._up_to_date(name, len(texts) > threshold):
            report.seconds = time.perf_counter() - t0
            report.ann = len(texts) > threshold
            return report
        store = EmbeddingStore(self.cache_dir, name)
        keys = [text_key(t) for t in texts]
        found = self._found(store, keys)
        missing = list(dict.fromkeys(t for t, f in zip(texts, found) if not f))
        report.embedded = len(missing)
        if missing:
            if scheduler:
                from crossref.distributed import embed_on_cluster

                report.workers = embed_on_cluster(scheduler, embedder, missing, self.cache_dir, shard_texts)
            else:
                cached = CachedEmbedder(embedder, self.cache_dir)
                for start in range(0, len(missing), shard_texts):
                    cached.embed(missing[start:start + shard_texts])
            if embedder.name != name:
                raise RuntimeError("the embedder changed its name while indexing (an unfitted backend?)")
        self._write_matrix(store, keys)
        ann_path = self.dir / ANN_FILE
        if len(texts) > threshold:
            from crossref.ann import AnnIndex

            AnnIndex.build(self.vectors()).save(ann_path)
            report.ann = True
        elif ann_path.exists():
            ann_path.unlink()
        report.seconds = time.perf_counter() - t0
        return report

    def _up_to_date(self, name: str, needs_ann: bool) -> bool:
        """The matrix (and index) already match this database and embedder: nothing to redo."""
        try:
            meta = json.loads((self.dir / VECTORS_META).read_text())
        except (OSError, ValueError):
            return False
        return (meta.get("embedder") == name and meta.get("db") == _file_hash(self.db_path)
                and (self.dir / VECTORS).is_file() and (self.dir / ANN_FILE).is_file() == needs_ann)

    @staticmethod
    def _found(store, keys: list[bytes], batch: int = 50_000) -> np.ndarray:
        parts = [store.get(keys[s:s + batch])[0] for s in range(0, len(keys), batch)]
        return np.concatenate(parts) if parts else np.zeros(0, bool)

    def _write_matrix(self, store, keys: list[bytes], batch: int = 50_000) -> None:
        dim = store.dim
        with contextlib.closing(self._connect()) as con:
            fiche_rows = con.execute("SELECT first_unit, n_units FROM fiches ORDER BY first_unit").fetchall()
        groups = np.zeros(len(keys), np.int32)
        for g, (first, n) in enumerate(fiche_rows):
            groups[first:first + n] = g
        fd, tmp_name = tempfile.mkstemp(dir=self.dir, prefix=".vectors.", suffix=".tmp")
        tmp: str | None = tmp_name
        os.close(fd)
        try:
            out = np.memmap(tmp_name, dtype="<f4", mode="w+", shape=(len(keys), dim))
            for s in range(0, len(keys), batch):
                found, vecs = store.get(keys[s:s + batch])
                if not found.all():
                    raise RuntimeError("embedding store lost rows while indexing")
                out[s:s + len(vecs)] = vecs
            out.flush()
            del out
            atomic_write_bytes(self.dir / GROUPS, groups.astype("<i4").tobytes())
            os.replace(tmp_name, self.dir / VECTORS)
            tmp = None
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        meta = {"embedder": store.name, "dim": dim, "units": len(keys),
                "db": _file_hash(self.db_path)}
        atomic_write_bytes(self.dir / VECTORS_META, json.dumps(meta).encode())

    # ------------------------------------------------------------------ reading

    def meta(self) -> dict[str, Any]:
        path = self.dir / VECTORS_META
        if not path.is_file():
            raise RegistryError(self.dir, "registre non indexé : lancez « crossref registry index »")
        return json.loads(path.read_text())

    def vectors(self) -> np.ndarray:
        meta = self.meta()
        return np.memmap(self.dir / VECTORS, dtype="<f4", mode="r", shape=(meta["units"], meta["dim"]))

    def groups(self) -> np.ndarray:
        return np.fromfile(self.dir / GROUPS, dtype="<i4")

    def fiche_ids(self) -> list[str]:
        with contextlib.closing(self._connect()) as con:
            return [f for (f,) in con.execute("SELECT id FROM fiches ORDER BY first_unit")]

    def counts(self) -> tuple[int, int]:
        with contextlib.closing(self._connect()) as con:
            return con.execute("SELECT COUNT(*), COALESCE(SUM(n_units), 0) FROM fiches").fetchone()

    def _fiche(self, con, fiche: str):
        return con.execute("SELECT id, title, first_unit, n_units FROM fiches WHERE id = ?", (fiche,)).fetchone()

    def _units_of(self, con, fiche: str) -> tuple[list[str], dict[str, str]]:
        blocs = [b for (b,) in con.execute("SELECT bloc FROM units WHERE fiche = ? ORDER BY row", (fiche,))]
        titles = dict(con.execute("SELECT bloc, title FROM blocs WHERE fiche = ?", (fiche,)).fetchall())
        return blocs, titles

    def has_fiche(self, fiche: str) -> bool:
        if not self.db_path.is_file():
            return False
        with contextlib.closing(self._connect()) as con:
            return self._fiche(con, fiche) is not None

    # ------------------------------------------------------------------ search

    def search(self, fiche: str | Certification, embedder=None, *, top: int = 10, k: int = 50,
               partial: float = DEFAULT_PARTIAL, equivalent: float = DEFAULT_EQUIVALENT) -> SearchResult:
        """The ``top`` fiches that overlap most with ``fiche`` (a registry id, or a local Certification).

        A local certification's competences are embedded with ``embedder``
        (the backend the registry was indexed with). A registry fiche with the
        same id or number as the local certification is left out.
        """
        from crossref.retrieval import candidates

        t0 = time.perf_counter()
        meta = self.meta()
        vectors = self.vectors()
        groups = self.groups()
        fiche_ids = self.fiche_ids()
        with contextlib.closing(self._connect()) as con:
            if isinstance(fiche, Certification):
                if embedder is None or embedder.name != meta["embedder"]:
                    raise RegistryError(self.dir, f"le registre a été indexé avec {meta['embedder']!r} : "
                                                  f"la certification doit être projetée avec le même modèle")
                comps = fiche.competences
                if not comps:
                    raise RegistryError(self.dir, f"{fiche.id} n'a aucune compétence")
                from crossref.embed.cache import CachedEmbedder

                q = np.asarray(CachedEmbedder(embedder, self.cache_dir).embed(
                    [unit_text(c.title, c.statement) for c in comps]), np.float32)
                q_blocs = [c.bloc_id for c in comps]
                q_titles = {b.id: b.title for b in fiche.blocs}
                own_id = f"{fiche.register}{fiche.number}" if fiche.number else fiche.id
                own = {fiche.id, own_id}
                qid, qtitle = fiche.id, fiche.title
            else:
                found = self._fiche(con, fiche)
                if found is None:
                    raise RegistryError(self.db_path, f"fiche {fiche} absente du registre")
                qid, qtitle, first, n = found
                q = np.asarray(vectors[first:first + n])
                q_blocs, q_titles = self._units_of(con, qid)
                own = {qid}
            own_groups = [g for g, f in enumerate(fiche_ids) if f in own]
            q_group = own_groups[0] if own_groups else -1
            ann = self.dir / ANN_FILE
            index = None
            if ann.exists():
                from crossref.ann import AnnIndex

                index = AnnIndex.load(ann)
            qg = np.full(len(q), q_group, np.int64)
            cand = candidates(q, vectors, k, query_groups=qg, item_groups=groups.astype(np.int64),
                              per_group=False, method="ann" if index is not None else "exact", index=index)
            # Candidate fiches by the evidence of the neighbours: the best similarity per
            # (query, fiche), summed over queries.
            g = groups[cand.item]
            best: dict[int, dict[int, float]] = {}
            for qi, gi, s in zip(cand.query.tolist(), g.tolist(), cand.score.tolist()):
                d = best.setdefault(gi, {})
                if s > d.get(qi, -1.0):
                    d[qi] = s
            ranked = sorted(best, key=lambda gi: (-sum(best[gi].values()), fiche_ids[gi]))[:max(top * 3, top)]
            overlaps = []
            for gi in ranked:
                other = fiche_ids[gi]
                _, otitle, ofirst, on = self._fiche(con, other)
                x = np.asarray(vectors[ofirst:ofirst + on])
                sims = q @ x.T
                o_blocs, o_titles = self._units_of(con, other)
                credit_other = _credit(sims.max(axis=0), partial, equivalent)  # other's units, covered by q
                credit_q = _credit(sims.max(axis=1), partial, equivalent)      # q's units, covered by other
                covers, covered_by = float(credit_other.mean()), float(credit_q.mean())
                overlaps.append(Overlap(
                    other, otitle, int(on), (covers + covered_by) / 2, covers, covered_by,
                    _per_bloc(o_blocs, o_titles, credit_other), _per_bloc(q_blocs, q_titles, credit_q)))
        overlaps.sort(key=lambda o: (-o.overlap, o.fiche))
        n_fiches, n_units = len(fiche_ids), int(meta["units"])
        return SearchResult(qid, qtitle, len(q), n_fiches, n_units, index is None,
                            time.perf_counter() - t0, overlaps[:top])

    # ------------------------------------------------------------------ candidate pairs

    def candidate_pairs(self, k: int = 10, *, scheduler: str | None = None,
                        shard_rows: int = 20 * BLOCK) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every unit's top ``k`` units of other fiches: (query rows, item rows, scores), O(N·k).

        Computed in shards of query rows (multiples of :data:`BLOCK`), in
        process or on a Dask cluster; the same shards and blocks either way, so
        the results are identical. Saved to ``candidates.npz``.
        """
        n = int(self.meta()["units"])
        shard_rows = max(BLOCK, shard_rows // BLOCK * BLOCK)
        bounds = [(s, min(s + shard_rows, n)) for s in range(0, n, shard_rows)]
        if scheduler:
            from crossref.distributed import candidates_on_cluster

            parts = candidates_on_cluster(scheduler, candidate_shard, str(self.dir), bounds, k)
        else:
            parts = [candidate_shard(str(self.dir), a, b, k) for a, b in bounds]
        q = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
        i = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
        s = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, np.float32)
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".candidates.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, query=q, item=i, score=s, k=np.array(k))
        os.replace(tmp, self.dir / CANDIDATES)
        return q, i, s


_SHARD_LOCK = threading.Lock()


def candidate_shard(directory: str, start: int, stop: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidates of query rows [start, stop) against the whole registry (runs on a worker too).

    BLAS runs on one thread here, in process as on a Dask worker: a matrix
    product's last bits depend on how it is split between threads, and equal
    scores (duplicate competences are common) would then be ordered
    differently. Shards of one process run one at a time (measured: OpenBLAS
    called from several Python threads at once gave different last bits from
    run to run); parallelism comes from worker processes.
    """
    from crossref.neighbours import one_blas_thread

    with _SHARD_LOCK, one_blas_thread():
        return _candidate_shard(directory, start, stop, k)


def _candidate_shard(directory: str, start: int, stop: int, k: int):
    from crossref.retrieval import candidates

    reg = Registry(directory)
    vectors, groups = reg.vectors(), reg.groups().astype(np.int64)
    index = None
    if (reg.dir / ANN_FILE).exists():
        from crossref.ann import AnnIndex

        index = AnnIndex.load(reg.dir / ANN_FILE)
    c = candidates(np.asarray(vectors[start:stop]), vectors, k, query_groups=groups[start:stop],
                   item_groups=groups, per_group=False, method="ann" if index is not None else "exact",
                   index=index, block=BLOCK)
    return c.query + start, c.item, c.score


def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _credit(best: np.ndarray, partial: float, equivalent: float) -> np.ndarray:
    return np.where(best >= equivalent, 1.0, np.where(best >= partial, 0.5, 0.0))


def _per_bloc(blocs: Sequence[str], titles: dict[str, str], credit: np.ndarray) -> list[BlocCoverage]:
    out: dict[str, list[float]] = {}
    for b, c in zip(blocs, credit.tolist()):
        out.setdefault(b, []).append(c)
    return [BlocCoverage(b, titles.get(b, ""), float(np.mean(v))) for b, v in out.items()]


def _create_schema(con: sqlite3.Connection) -> None:
    con.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE fiches (id TEXT PRIMARY KEY, title TEXT NOT NULL, register TEXT, level TEXT,
                             certifier TEXT, indivisible INTEGER NOT NULL, hash TEXT NOT NULL,
                             first_unit INTEGER NOT NULL, n_units INTEGER NOT NULL);
        CREATE TABLE blocs (fiche TEXT NOT NULL, bloc TEXT NOT NULL, code TEXT, title TEXT, ord INTEGER,
                            PRIMARY KEY (fiche, bloc));
        CREATE TABLE units (row INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, fiche TEXT NOT NULL,
                            bloc TEXT NOT NULL, text TEXT NOT NULL, key BLOB NOT NULL);
        CREATE INDEX units_fiche ON units (fiche);
    """)


def registry_embedder(backend: str, config) -> Any:
    """The registry's embedding backend from the configuration (not wrapped: the registry uses the store)."""
    from crossref.embed import get_embedder
    from crossref.errors import CrossrefError

    if backend == "lexical":
        raise CrossrefError("le registre a besoin d'un modèle dense (use-multilingual, e5-small, "
                            "sentence-transformers), pas de « lexical »")
    options: dict[str, Any] = {}
    if backend == "sentence-transformers":
        options["model"] = config.embedding.st_model
    elif backend == "use-multilingual":
        options["threads"] = config.embedding.threads
    return get_embedder(backend, **options)


def default_dir(config) -> Path:
    return Path(config.data_dir) / "registry"


def load_certification(corpus_certs: Iterable[Certification], fiche: str) -> Certification | None:
    """A local certification by id (``ICD``) or by register number (``RNCP38938``)."""
    wanted = fiche.replace(" ", "").upper()
    for cert in corpus_certs:
        if cert.id.upper() == wanted or (cert.number and f"{cert.register}{cert.number}".upper() == wanted):
            return cert
    return None


__all__ = ["BlocCoverage", "IndexReport", "IngestReport", "Overlap", "Registry", "SearchResult",
           "candidate_shard", "default_dir", "load_certification", "registry_embedder", "unit_text"]
