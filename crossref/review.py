"""Reviewed decisions on suggested pairs: an append-only log in a database.

Officers accept, reject or amend a pair; every decision records the reviewer,
the date and the relation before it. The current state of a pair is its latest
decision, and it applies to both orientations (a, b) and (b, a). A rejected
pair is never proposed again; a validated one overrides the model everywhere
(:func:`apply_decisions` is the only place that merges decisions into pairs).

Storage goes through a SQLAlchemy URL (embedded SQLite by default, see
``Config.db_url``). The schema is versioned: ``schema_version`` lists the
applied migrations and :data:`MIGRATIONS` is the explicit ordered list of steps.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import pandera.pandas as pa
from sqlalchemy import (
    Column, Connection, Engine, Index, Integer, MetaData, String, Table, Text,
    create_engine, event, func, inspect, or_, select,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from crossref.errors import CrossrefError
from crossref.model import FORBIDDEN_CHARS_RE, split_id
from crossref.tables import ID, RELATIONS, register_schema

ACTIONS = ["accept", "reject", "amend"]
DECISION_COLUMNS = ["id", "source", "target", "action", "relation", "previous_relation",
                    "note", "reviewer", "decided_at"]
MAX_REVIEWER_CHARS = 200  # the reviewer column's declared size
MAX_NOTE_CHARS = 10_000
# Concurrent SQLite writers wait this long for the lock instead of failing.
BUSY_TIMEOUT_S = 60.0

register_schema("decisions", pa.DataFrameSchema(
    {
        "id": pa.Column(int, pa.Check.ge(1)),
        "source": pa.Column(str, ID),
        "target": pa.Column(str, ID),
        "action": pa.Column(str, pa.Check.isin(ACTIONS)),
        "relation": pa.Column(str, pa.Check.isin(RELATIONS)),
        "previous_relation": pa.Column(str, pa.Check.isin(RELATIONS + [""])),
        "note": pa.Column(str),
        "reviewer": pa.Column(str, pa.Check.str_length(min_value=1)),
        "decided_at": pa.Column(str),
    },
    strict=True,
    ordered=True,
))


# ---------------------------------------------------------------- schema
metadata = MetaData()

schema_version = Table(
    "schema_version", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", Text, nullable=False),
    Column("applied_at", String(32), nullable=False),
)

# Current shape of the decision log (the result of all migrations).
decisions = Table(
    "decisions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # The pair in canonical order (pair_a < pair_b): one key for both orientations.
    Column("pair_a", String(200), nullable=False),
    Column("pair_b", String(200), nullable=False),
    # The pair as the reviewer gave it.
    Column("source", String(200), nullable=False),
    Column("target", String(200), nullable=False),
    Column("action", String(16), nullable=False),
    Column("relation", String(16), nullable=False),
    Column("previous_relation", String(16), nullable=False, default=""),
    Column("note", Text, nullable=False, default=""),
    Column("reviewer", String(200), nullable=False),
    Column("decided_at", String(32), nullable=False),
)

# The advisors' decisions on VAE evidence (crossref.vae): one log per candidate's dossier.
VAE_ACTIONS = ["confirm", "reject", "add"]
VAE_DECISION_COLUMNS = ["id", "dossier", "competence", "action", "relation", "evidence", "note", "reviewer",
                        "decided_at"]
vae_decisions = Table(
    "vae_decisions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dossier", String(200), nullable=False),
    Column("competence", String(200), nullable=False),
    Column("action", String(16), nullable=False),
    Column("relation", String(16), nullable=False),
    Column("evidence", Text, nullable=False, default=""),
    Column("note", Text, nullable=False, default=""),
    Column("reviewer", String(200), nullable=False),
    Column("decided_at", String(32), nullable=False),
)
Index("ix_vae_decisions_dossier", vae_decisions.c.dossier, vae_decisions.c.id)


def _migration_1(conn: Connection) -> None:
    # Frozen copy of the version-1 tables: later migrations must not change it.
    md = MetaData()
    t = Table(
        "decisions", md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("pair_a", String(200), nullable=False),
        Column("pair_b", String(200), nullable=False),
        Column("source", String(200), nullable=False),
        Column("target", String(200), nullable=False),
        Column("action", String(16), nullable=False),
        Column("relation", String(16), nullable=False),
        Column("previous_relation", String(16), nullable=False),
        Column("note", Text, nullable=False),
        Column("reviewer", String(200), nullable=False),
        Column("decided_at", String(32), nullable=False),
    )
    Index("ix_decisions_pair", t.c.pair_a, t.c.pair_b, t.c.id)
    md.create_all(conn)


def _migration_2(conn: Connection) -> None:
    # Frozen copy of the version-2 addition: the VAE advisors' log (the pair log is unchanged).
    md = MetaData()
    t = Table(
        "vae_decisions", md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("dossier", String(200), nullable=False),
        Column("competence", String(200), nullable=False),
        Column("action", String(16), nullable=False),
        Column("relation", String(16), nullable=False),
        Column("evidence", Text, nullable=False),
        Column("note", Text, nullable=False),
        Column("reviewer", String(200), nullable=False),
        Column("decided_at", String(32), nullable=False),
    )
    Index("ix_vae_decisions_dossier", t.c.dossier, t.c.id)
    md.create_all(conn)


# The pair log reads the same from this version on (later ones only added tables).
PAIR_LOG_SINCE = 1


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    upgrade: Callable[[Connection], None]


# Explicit and ordered; append a new Migration to change the schema, never edit one.
MIGRATIONS: list[Migration] = [
    Migration(1, "decision log (initial schema)", _migration_1),
    Migration(2, "VAE advisors' decisions", _migration_2),
]
LATEST_VERSION = MIGRATIONS[-1].version


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _canonical(source: str, target: str) -> tuple[str, str]:
    return (source, target) if source <= target else (target, source)


# ---------------------------------------------------------------- store
class DecisionStore:
    """The decision log behind a database URL; creates or migrates the schema on open.

    An SQLite file that does not exist yet is only created (with its folder) by
    the first write: reading a missing store gives empty tables.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise CrossrefError(f"URL de base de données invalide : {_mask(url)!r}") from None
        # What messages show: never the password of a server database.
        self.shown_url = parsed.render_as_string(hide_password=True)
        self._sqlite = parsed.get_backend_name() == "sqlite"
        db = parsed.database or ""
        self._memory = self._sqlite and db in ("", ":memory:")
        self._path = Path(db) if self._sqlite and not self._memory else None
        kwargs: dict = {}
        if self._sqlite:
            kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_S}
            if self._memory:
                # One shared connection, or each connection sees its own empty database.
                kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        try:
            self._engine: Engine = create_engine(url, **kwargs)
        except (ArgumentError, NoSuchModuleError, ImportError) as exc:
            raise CrossrefError(f"base de données {self.shown_url!r} inutilisable : "
                                f"{_mask(str(exc)).replace(url, self.shown_url)}") from None
        if self._sqlite:
            _sqlite_hooks(self._engine)
        self._ready = False
        self._ident: tuple[int, int] | None = None  # (device, inode) of the SQLite file seen last
        if self._exists():
            # Refuses a foreign or newer database now, writing nothing.
            self._ready = self.version() == LATEST_VERSION

    # -- lifecycle -------------------------------------------------------------
    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> "DecisionStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _exists(self) -> bool:
        return self._path is None or self._path.exists()

    def _open(self) -> None:
        """Before a write: create or migrate the schema (a foreign database is refused first)."""
        if self.version() < LATEST_VERSION:
            self.migrate()
        self._ready = True
        self._ident = self._file_ident()

    def _file_ident(self) -> tuple[int, int] | None:
        try:
            st_ = self._path.stat() if self._path is not None else None
        except FileNotFoundError:
            return None
        return (st_.st_dev, st_.st_ino) if st_ is not None else None

    def _write_conn(self) -> Connection:
        if not self._ready:
            if self._path is not None:
                try:
                    self._path.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise CrossrefError(f"{self._path.parent}: dossier impossible à créer ({exc.strerror})") from None
            self._open()
        # The "begin" hook takes SQLite's write lock up front (BEGIN IMMEDIATE):
        # a read-then-write transaction can then never fail on a stale snapshot.
        return self._engine.connect().execution_options(crossref_write=True)

    def version(self) -> int:
        """Schema version of the database (0: no schema yet); refuses a newer one."""
        if not self._exists():
            return 0
        try:
            with self._engine.connect() as conn:
                if not _check_own_schema(conn, self.shown_url):
                    return 0
                v = conn.execute(select(func.max(schema_version.c.version))).scalar() or 0
        except SQLAlchemyError as exc:
            raise CrossrefError(f"base de décisions {self.shown_url!r} illisible : {_reason(exc)}") from None
        if v > LATEST_VERSION:
            raise CrossrefError(
                f"la base de décisions {self.shown_url!r} est au schéma version {v}, plus récent que "
                f"celui que cette version de crossref connaît ({LATEST_VERSION}) : mettez crossref à jour"
            )
        return int(v)

    def migrate(self) -> int:
        """Apply the missing migrations in order, in one transaction; idempotent. Returns the version."""
        if self._path is not None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._engine.connect().execution_options(crossref_write=True) as conn, conn.begin():
                # Checked again under the write lock, before the first statement that writes.
                _check_own_schema(conn, self.shown_url)
                schema_version.create(conn, checkfirst=True)
                # Re-read under the write lock: another process may have migrated meanwhile.
                current = conn.execute(select(func.max(schema_version.c.version))).scalar() or 0
                if current > LATEST_VERSION:
                    raise CrossrefError(
                        f"la base de décisions {self.shown_url!r} est au schéma version {current}, plus récent "
                        f"que celui que cette version de crossref connaît ({LATEST_VERSION}) : mettez crossref à jour"
                    )
                for m in MIGRATIONS:
                    if m.version > current:
                        m.upgrade(conn)
                        conn.execute(schema_version.insert().values(
                            version=m.version, description=m.description, applied_at=_now()))
                        current = m.version
        except SQLAlchemyError as exc:
            raise CrossrefError(f"migration de la base de décisions {self.shown_url!r} impossible : {_reason(exc)}") from None
        if self._sqlite and not self._memory:
            _enable_wal(self._engine)
        self._ready = True
        return int(current)

    # -- decisions -------------------------------------------------------------
    def accept(self, source: str, target: str, reviewer: str, note: str = "", *,
               model_relation: str | None = None) -> dict:
        """Validate the model's relation for the pair (or, without one, the currently decided one)."""
        if model_relation is not None:
            _check_relation(model_relation, "relation du modèle")
            relation = model_relation
        else:
            cur = self.decision(source, target)
            relation = cur["relation"] if cur and cur["action"] != "reject" else "none"
        if relation == "none":
            raise CrossrefError(
                f"aucune relation proposée pour {source} / {target} : rien à accepter, "
                "utilisez « amend --relation equivalent|partial »"
            )
        return self._record("accept", source, target, relation, reviewer, note, model_relation)

    def reject(self, source: str, target: str, reviewer: str, note: str = "", *,
               model_relation: str | None = None) -> dict:
        """Reject the pair: relation "none", never proposed again."""
        return self._record("reject", source, target, "none", reviewer, note, model_relation)

    def amend(self, source: str, target: str, relation: str, reviewer: str, note: str = "", *,
              model_relation: str | None = None) -> dict:
        """Set the pair's relation explicitly."""
        _check_relation(relation, "relation")
        return self._record("amend", source, target, relation, reviewer, note, model_relation)

    def _record(self, action: str, source: str, target: str, relation: str, reviewer: str,
                note: str, model_relation: str | None) -> dict:
        source, target = str(source).strip(), str(target).strip()
        for item in (source, target):
            try:
                split_id(item)
            except ValueError:
                raise CrossrefError(f"identifiant de compétence invalide : {item!r} (attendu CERT:CODE)") from None
        if source == target:
            raise CrossrefError(f"une compétence ne peut être appariée à elle-même : {source}")
        if split_id(source)[0] == split_id(target)[0]:
            raise CrossrefError(f"{source} et {target} appartiennent à la même certification")
        reviewer = (reviewer or "").strip()
        if not reviewer:
            raise CrossrefError("le nom de l'évaluateur est obligatoire")
        for what, text, limit in (("nom de l'évaluateur", reviewer, MAX_REVIEWER_CHARS),
                                  ("note", note or "", MAX_NOTE_CHARS)):
            # Decisions are exported (workbook, SSSOM, CSV): no control character, bounded length.
            if len(text) > limit or FORBIDDEN_CHARS_RE.search(text):
                raise CrossrefError(f"{what} refusé(e) : {limit} caractères au plus, sans caractère de contrôle")
        if model_relation is not None:
            _check_relation(model_relation, "relation du modèle")
        a, b = _canonical(source, target)
        try:
            # One transaction per decision, the previous value read under the write lock.
            with self._write_conn() as conn, conn.begin():
                prev = conn.execute(
                    select(decisions.c.relation)
                    .where(decisions.c.pair_a == a, decisions.c.pair_b == b)
                    .order_by(decisions.c.id.desc()).limit(1)
                ).scalar()
                row = dict(
                    pair_a=a, pair_b=b, source=source, target=target, action=action,
                    relation=relation, previous_relation=prev if prev is not None else (model_relation or ""),
                    note=note or "", reviewer=reviewer, decided_at=_now(),
                )
                key = conn.execute(decisions.insert().values(**row)).inserted_primary_key
                if key is None:  # never for an INSERT with an autoincrement key
                    raise CrossrefError(f"décision non enregistrée dans {self.url!r} : identifiant absent")
                row["id"] = key[0]
        except SQLAlchemyError as exc:
            raise CrossrefError(f"décision non enregistrée dans {self.shown_url!r} : {_reason(exc)}") from None
        return {k: row[k] for k in DECISION_COLUMNS}

    # -- queries -----------------------------------------------------------------
    def decision(self, source: str, target: str) -> dict | None:
        """Latest decision on the pair (either orientation), or None."""
        h = self.history(source, target)
        return None if h.empty else h.iloc[-1].to_dict()

    def history(self, source: str | None = None, target: str | None = None) -> pd.DataFrame:
        """Every decision, oldest first; with both ids, those on that pair (either
        orientation); with one, those involving that competence."""
        q = select(*[decisions.c[c] for c in DECISION_COLUMNS]).order_by(decisions.c.id)
        if source is not None and target is not None:
            a, b = _canonical(source, target)
            q = q.where(decisions.c.pair_a == a, decisions.c.pair_b == b)
        elif source is not None or target is not None:
            x = source if source is not None else target
            q = q.where(or_(decisions.c.pair_a == x, decisions.c.pair_b == x))
        return self._frame(q)

    def current(self) -> pd.DataFrame:
        """The latest decision of every reviewed pair, in decision order."""
        latest = (select(func.max(decisions.c.id))
                  .group_by(decisions.c.pair_a, decisions.c.pair_b).scalar_subquery())
        q = (select(*[decisions.c[c] for c in DECISION_COLUMNS])
             .where(decisions.c.id.in_(latest)).order_by(decisions.c.id))
        return self._frame(q)

    def log_version(self) -> tuple[int, int]:
        """(decisions in the log, last decision id): one small query, no schema check after the first.

        The log is append-only, so this changes with every decision, whoever records it (this
        process, another one, the CLI); the count also catches a log replaced by an older copy.
        A store that does not exist yet is (0, 0) and is not created.
        """
        if self._path is not None:
            ident = self._file_ident()
            if ident is None:
                return (0, 0)
            if self._ready and ident != self._ident:
                # The file was replaced: pooled connections still read the old one.
                self._engine.dispose()
                self._ready = False
        if not self._ready:
            self._open()
        try:
            with self._engine.connect() as conn:
                count, last = conn.execute(select(func.count(decisions.c.id), func.max(decisions.c.id))).one()
        except SQLAlchemyError as exc:
            raise CrossrefError(f"base de décisions {self.url!r} illisible : {_reason(exc)}") from None
        return int(count or 0), int(last or 0)

    # -- VAE advisors' decisions ---------------------------------------------------
    def vae_decide(self, dossier: str, competence: str, action: str, reviewer: str, *, relation: str = "",
                   evidence: str = "", note: str = "") -> dict:
        """Record an advisor's decision on one competence of a candidate's dossier: ``confirm``
        the evidence found (relation équivalente or partielle), ``reject`` it, or ``add`` evidence
        typed by hand (``evidence``, required). The latest decision per competence holds."""
        dossier, competence = str(dossier or "").strip(), str(competence or "").strip()
        if not dossier:
            raise CrossrefError("le nom du dossier (candidat) est obligatoire")
        try:
            split_id(competence)
        except ValueError:
            raise CrossrefError(f"identifiant de compétence invalide : {competence!r} (attendu CERT:CODE)") from None
        if action not in VAE_ACTIONS:
            raise CrossrefError(f"action inconnue : {action!r} (confirm, reject, add)")
        reviewer = (reviewer or "").strip()
        if not reviewer:
            raise CrossrefError("le nom de l'accompagnateur est obligatoire")
        evidence = str(evidence or "").strip()
        for what, text, limit in (("nom de l'accompagnateur", reviewer, MAX_REVIEWER_CHARS),
                                  ("nom du dossier", dossier, MAX_REVIEWER_CHARS),
                                  ("note", note or "", MAX_NOTE_CHARS), ("preuve", evidence, MAX_NOTE_CHARS)):
            # Exported in the VAE workbook: no control character, bounded length (as pair decisions).
            if len(text) > limit or FORBIDDEN_CHARS_RE.search(text):
                raise CrossrefError(f"{what} refusé(e) : {limit} caractères au plus, sans caractère de contrôle")
        if action == "reject":
            relation = "none"
        else:
            relation = relation or "partial"
            if relation not in ("equivalent", "partial"):
                raise CrossrefError(f"relation invalide : {relation!r} (equivalent ou partial)")
        if action == "add" and not evidence:
            raise CrossrefError("ajouter une preuve demande son texte")
        row: dict[str, Any] = dict(dossier=dossier, competence=competence, action=action, relation=relation,
                                   evidence=evidence, note=note or "", reviewer=reviewer, decided_at=_now())
        try:
            with self._write_conn() as conn, conn.begin():
                key = conn.execute(vae_decisions.insert().values(**row)).inserted_primary_key
                row["id"] = int(key[0]) if key else 0
        except SQLAlchemyError as exc:
            raise CrossrefError(f"décision non enregistrée dans {self.shown_url!r} : {_reason(exc)}") from None
        return {k: row[k] for k in VAE_DECISION_COLUMNS}

    def vae_history(self, dossier: str) -> pd.DataFrame:
        """Every decision on the dossier, oldest first (empty before the first one)."""
        empty = pd.DataFrame({c: pd.Series([], dtype="int64" if c == "id" else str) for c in VAE_DECISION_COLUMNS})
        if self.version() < 2:  # no VAE log yet: nothing decided (reading never migrates)
            return empty
        q = (select(*[vae_decisions.c[c] for c in VAE_DECISION_COLUMNS])
             .where(vae_decisions.c.dossier == str(dossier).strip()).order_by(vae_decisions.c.id))
        try:
            with self._engine.connect() as conn:
                rows = conn.execute(q).all()
        except SQLAlchemyError as exc:
            raise CrossrefError(f"base de décisions {self.shown_url!r} illisible : {_reason(exc)}") from None
        if not rows:
            return empty
        df = pd.DataFrame([tuple(r) for r in rows], columns=VAE_DECISION_COLUMNS)
        df["id"] = df["id"].astype("int64")
        return df

    def _frame(self, query) -> pd.DataFrame:
        # Reading never creates, migrates or otherwise writes the database.
        if not self._ready:
            version = self.version()
            if version == 0:  # no file, or an empty SQLite file: no decision yet
                return _empty_decisions()
            if version < PAIR_LOG_SINCE:
                raise CrossrefError(
                    f"la base de décisions {self.shown_url!r} est au schéma version {version} : elle sera mise à "
                    f"jour (version {LATEST_VERSION}) par la prochaine décision enregistrée ; rien n'a été lu")
            self._ready = version == LATEST_VERSION
        try:
            with self._engine.connect() as conn:
                rows = conn.execute(query).all()
        except SQLAlchemyError as exc:
            raise CrossrefError(f"base de décisions {self.shown_url!r} illisible : {_reason(exc)}") from None
        if not rows:
            return _empty_decisions()
        df = pd.DataFrame([tuple(r) for r in rows], columns=DECISION_COLUMNS)
        df["id"] = df["id"].astype("int64")
        for c in DECISION_COLUMNS[1:]:
            df[c] = df[c].fillna("").astype(str)
        return df


def _empty_decisions() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series([], dtype=str) for c in DECISION_COLUMNS})
    df["id"] = df["id"].astype("int64")
    return df


def _mask(text: str) -> str:
    """Hide the password of any URL in ``text`` (scheme://user:password@host)."""
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", text)


def _check_relation(relation: str, what: str) -> None:
    if relation not in RELATIONS:
        raise CrossrefError(f"{what} inconnue : {relation!r} (attendu : {', '.join(RELATIONS)})")


def _reason(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).splitlines()[0]


# Table -> columns the store needs; any other table makes the database foreign.
_OWN_TABLES = {t.name: {c.name for c in t.columns} for t in (schema_version, decisions, vae_decisions)}


def _check_own_schema(conn: Connection, url: str) -> bool:
    """True when the database holds crossref's schema, False when it holds no table at all;
    a database with other tables (or ours with missing columns) is refused, untouched."""
    insp = inspect(conn)
    tables = [t for t in insp.get_table_names() if not t.startswith("sqlite_")]
    if not tables:
        return False
    foreign = sorted(set(tables) - set(_OWN_TABLES))
    missing = {name: cols - {c["name"] for c in insp.get_columns(name)}
               for name, cols in _OWN_TABLES.items() if name in tables}
    if foreign or "schema_version" not in tables or any(missing.values()):
        found = ", ".join(sorted(tables))
        raise CrossrefError(
            f"{url} n'est pas une base de décisions crossref (tables trouvées : {found}) ; elle n'a pas été "
            "modifiée : indiquez une autre database_url (ou un fichier qui n'existe pas encore)")
    return True


def _enable_wal(engine: Engine) -> None:
    """WAL (readers never block the writer), set once on a store crossref created or migrated:
    the mode is persistent, and setting it writes to the file."""
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        if driver is not None:
            driver.execute("PRAGMA journal_mode = WAL")
    except sqlite3.OperationalError:
        pass  # read-only file or another process holding it: keep its journal mode
    finally:
        raw.close()


def _sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record) -> None:
        # Let SQLAlchemy's "begin" hook emit BEGIN itself (pysqlite's own is too late for DDL).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        cur.close()  # journal mode: see _enable_wal (setting it writes to the file)

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        if conn.get_execution_options().get("crossref_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


# ---------------------------------------------------------------- applying
def apply_decisions(pairs: pd.DataFrame, store: DecisionStore | pd.DataFrame) -> pd.DataFrame:
    """The pairs table with the reviewed decisions applied; a new frame, same columns and order.

    Decided pairs (either orientation): status "validated" and the decided relation
    (accept, amend) or status "rejected" and relation "none" (reject), with reviewer,
    decided_at and note. ``model_relation`` keeps the model's value. Other rows keep
    their relation, with status "suggested" and empty reviewer, decided_at and note.
    """
    current = store.current() if isinstance(store, DecisionStore) else store
    out = pairs.copy()
    n = len(out)
    status = pd.Series(["suggested"] * n, index=out.index, dtype=object)
    relation = out["relation"].astype(object).copy()
    reviewer = pd.Series([""] * n, index=out.index, dtype=object)
    decided_at = reviewer.copy()
    note = reviewer.copy()
    if n and len(current):
        cols = ["action", "relation", "reviewer", "decided_at", "note"]
        d = current[["source", "target", *cols]].astype(str)
        both = pd.concat([d, d.rename(columns={"source": "target", "target": "source"})], ignore_index=True)
        # A later decision (higher position in `current`) wins if a caller passes a full log.
        both = both.iloc[::-1].drop_duplicates(["source", "target"])
        keys = pd.MultiIndex.from_frame(out[["source", "target"]].astype(str))
        m = both.set_index(["source", "target"]).reindex(keys)
        m.index = out.index
        hit = m["action"].notna()
        rejected = hit & (m["action"] == "reject")
        validated = hit & ~rejected
        status[validated] = "validated"
        status[rejected] = "rejected"
        relation[validated] = m.loc[validated, "relation"]
        relation[rejected] = "none"
        reviewer[hit] = m.loc[hit, "reviewer"]
        decided_at[hit] = m.loc[hit, "decided_at"]
        note[hit] = m.loc[hit, "note"]
    for name, values in [("relation", relation), ("status", status), ("reviewer", reviewer),
                         ("decided_at", decided_at), ("note", note)]:
        out[name] = values.astype(pairs[name].dtype if name in pairs else str)
    return out[list(pairs.columns)]


def pending(pairs: pd.DataFrame) -> pd.DataFrame:
    """Suggested (not yet reviewed) equivalent/partial pairs, best first, one orientation per pair."""
    from crossref.pairs import first_of_each_pair, is_pending

    p = pairs[is_pending(pairs)]
    p = p.sort_values(["score", "source", "target"], ascending=[False, True, True], kind="stable")
    return first_of_each_pair(p).reset_index(drop=True)
