"""Reviewed decisions: persistence, history, application to pairs, schema versions, concurrency, CLI."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

import crossref.pipeline
from crossref.cli import main
from crossref.config import Config
from crossref.errors import CrossrefError
from crossref.review import (
    LATEST_VERSION, DecisionStore, apply_decisions, pending,
)
from crossref.tables import PAIR_COLUMNS, validate


def _url(tmp_path: Path, name: str = "decisions.sqlite") -> str:
    return f"sqlite:///{tmp_path / name}"


@pytest.fixture
def store(decision_store: DecisionStore) -> DecisionStore:
    """An empty store in a temporary SQLite file (conftest), closed after the test."""
    return decision_store


def _pair(source: str, target: str, relation: str, score: float = 0.7) -> dict:
    return {
        "source": source, "target": target,
        "source_cert": source.split(":")[0], "target_cert": target.split(":")[0],
        "source_bloc": source.split(":")[0] + ":B1", "target_bloc": target.split(":")[0] + ":B1",
        "score": score, "semantic": score, "lexical": 0.5, "criteria": 0.4, "rank": 1,
        "relation": relation, "direction": "same", "model_relation": relation,
        "status": "suggested", "reviewer": "", "decided_at": "", "note": "",
        "source_phrase": "", "target_phrase": "", "shared_terms": "", "explanation": "",
    }


def _pairs(rows: list[dict]) -> pd.DataFrame:
    return validate(pd.DataFrame(rows, columns=PAIR_COLUMNS), "pairs")


# -- store -------------------------------------------------------------------------


def test_missing_file_is_not_created_by_reads(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "decisions.sqlite"
    s = DecisionStore(f"sqlite:///{db}")
    assert s.current().empty and s.history().empty
    assert list(s.current().columns) == ["id", "source", "target", "action", "relation",
                                         "previous_relation", "note", "reviewer", "decided_at"]
    assert not db.parent.exists()
    s.accept("A:C1", "B:C1", "alice", model_relation="partial")
    assert db.exists()
    s.close()


def test_persistence_across_reopen(tmp_path: Path) -> None:
    with DecisionStore(_url(tmp_path)) as s:
        d = s.accept("A:C1", "B:C2", "alice", "ok", model_relation="equivalent")
        assert d["relation"] == "equivalent" and d["action"] == "accept"
    with DecisionStore(_url(tmp_path)) as s:
        cur = s.current()
        assert len(cur) == 1
        row = cur.iloc[0]
        assert (row["source"], row["target"], row["relation"], row["reviewer"], row["note"]) == \
            ("A:C1", "B:C2", "equivalent", "alice", "ok")
        assert row["decided_at"].endswith("Z") and len(row["decided_at"]) == 20


def test_previous_value_recorded(store: DecisionStore) -> None:
    d1 = store.amend("A:C1", "B:C1", "partial", "alice", model_relation="none")
    assert d1["previous_relation"] == "none"
    d2 = store.amend("B:C1", "A:C1", "equivalent", "bob")  # other orientation, same pair
    assert d2["previous_relation"] == "partial"
    d3 = store.reject("A:C1", "B:C1", "carol", model_relation="partial")
    assert d3["previous_relation"] == "equivalent"  # the decided value beats the model's
    h = store.history("B:C1", "A:C1")
    assert list(h["action"]) == ["amend", "amend", "reject"]
    assert list(h["previous_relation"]) == ["none", "partial", "equivalent"]
    assert list(h["reviewer"]) == ["alice", "bob", "carol"]


def test_latest_wins(store: DecisionStore) -> None:
    store.reject("A:C1", "B:C1", "alice", model_relation="partial")
    store.amend("A:C1", "B:C1", "partial", "bob")
    store.accept("A:C2", "B:C2", "bob", model_relation="equivalent")
    cur = store.current()
    assert len(cur) == 2
    first = cur[cur["source"] == "A:C1"].iloc[0]
    assert (first["action"], first["relation"], first["reviewer"]) == ("amend", "partial", "bob")
    assert len(store.history()) == 3
    assert len(store.history("A:C1")) == 2 and len(store.history(target="B:C2")) == 1


def test_accept_without_model_relation(store: DecisionStore) -> None:
    with pytest.raises(CrossrefError, match="amend"):
        store.accept("A:C1", "B:C1", "alice", model_relation="none")
    with pytest.raises(CrossrefError, match="amend"):
        store.accept("A:C1", "B:C1", "alice")
    store.amend("A:C1", "B:C1", "partial", "alice")
    assert store.accept("A:C1", "B:C1", "bob")["relation"] == "partial"  # confirms the amendment


@pytest.mark.parametrize("call, message", [
    (lambda s: s.amend("A:C1", "B:C1", "similar", "alice"), "relation"),
    (lambda s: s.reject("A:C1", "B:C1", "  "), "évaluateur"),
    (lambda s: s.reject("A:C1", "A:C1", "alice"), "elle-même"),
    (lambda s: s.reject("A:C1", "A:C2", "alice"), "même certification"),
    (lambda s: s.reject("C1", "B:C1", "alice"), "invalide"),
    (lambda s: s.accept("A:C1", "B:C1", "alice", model_relation="maybe"), "modèle"),
])
def test_invalid_input(store: DecisionStore, call, message: str) -> None:
    with pytest.raises(CrossrefError, match=message):
        call(store)
    assert store.history().empty


# -- apply_decisions -----------------------------------------------------------------


def test_apply_decisions(store: DecisionStore) -> None:
    pairs = _pairs([
        _pair("A:C1", "B:C1", "partial"), _pair("B:C1", "A:C1", "partial"),
        _pair("A:C2", "B:C2", "equivalent"), _pair("B:C2", "A:C2", "equivalent"),
        _pair("A:C3", "B:C3", "none"), _pair("B:C3", "A:C3", "none"),
        _pair("A:C4", "B:C4", "partial"),
    ])
    store.amend("B:C1", "A:C1", "equivalent", "alice", "même périmètre")
    store.reject("A:C2", "B:C2", "bob", "hors sujet")
    store.accept("A:C4", "B:C4", "carol", model_relation="partial")
    out = apply_decisions(pairs, store)
    validate(out, "pairs")
    assert list(out.columns) == list(pairs.columns) and list(out.index) == list(pairs.index)
    by = {(r.source, r.target): r for r in out.itertuples()}
    for key in [("A:C1", "B:C1"), ("B:C1", "A:C1")]:  # symmetric
        r = by[key]
        assert (r.relation, r.model_relation, r.status, r.reviewer, r.note) == \
            ("equivalent", "partial", "validated", "alice", "même périmètre")
        assert r.decided_at
    for key in [("A:C2", "B:C2"), ("B:C2", "A:C2")]:  # rejected: never proposed again
        r = by[key]
        assert (r.relation, r.model_relation, r.status, r.reviewer) == ("none", "equivalent", "rejected", "bob")
    assert (by[("A:C4", "B:C4")].relation, by[("A:C4", "B:C4")].status) == ("partial", "validated")
    for key in [("A:C3", "B:C3"), ("B:C3", "A:C3")]:
        r = by[key]
        assert (r.relation, r.status, r.reviewer, r.decided_at, r.note) == ("none", "suggested", "", "", "")
    # Pure: the input is unchanged, and applying twice changes nothing.
    assert (pairs["status"] == "suggested").all()
    pd.testing.assert_frame_equal(apply_decisions(out, store.current()), out)
    todo = pending(out)
    assert todo.empty


def test_apply_decisions_no_decisions(tmp_path: Path) -> None:
    pairs = _pairs([_pair("A:C1", "B:C1", "partial")])
    out = apply_decisions(pairs, DecisionStore(_url(tmp_path)))
    pd.testing.assert_frame_equal(out, pairs)


def test_pending_one_orientation_best_first() -> None:
    pairs = _pairs([
        _pair("A:C1", "B:C1", "partial", 0.6), _pair("B:C1", "A:C1", "partial", 0.62),
        _pair("A:C2", "B:C2", "equivalent", 0.9), _pair("A:C3", "B:C3", "none", 0.2),
    ])
    todo = pending(pairs)
    assert list(zip(todo["source"], todo["target"])) == [("A:C2", "B:C2"), ("B:C1", "A:C1")]


# -- schema versions -----------------------------------------------------------------


def test_schema_version_table_and_idempotent_migration(tmp_path: Path) -> None:
    url = _url(tmp_path)
    s = DecisionStore(url)
    s.accept("A:C1", "B:C1", "alice", model_relation="partial")
    assert s.version() == LATEST_VERSION
    assert s.migrate() == LATEST_VERSION
    assert s.migrate() == LATEST_VERSION
    s.close()
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT version FROM schema_version ORDER BY version")).scalars().all()
        mode = conn.execute(sa.text("PRAGMA journal_mode")).scalar()
    engine.dispose()
    assert versions == list(range(1, LATEST_VERSION + 1))
    assert mode == "wal"
    with DecisionStore(url) as again:  # reopening migrates nothing and keeps the data
        assert again.version() == LATEST_VERSION and len(again.history()) == 1


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    url = _url(tmp_path)
    DecisionStore(url).migrate()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO schema_version (version, description, applied_at) "
                             "VALUES (:v, 'future', '2100-01-01T00:00:00Z')"), {"v": LATEST_VERSION + 1})
    engine.dispose()
    with pytest.raises(CrossrefError, match="plus récent"):
        DecisionStore(url)


def test_in_memory_url() -> None:
    s = DecisionStore("sqlite://")
    s.accept("A:C1", "B:C1", "alice", model_relation="partial")
    assert len(s.current()) == 1


def test_bad_url() -> None:
    with pytest.raises(CrossrefError):
        DecisionStore("not a url")


# -- the cheap version check (one store per dashboard process) -------------------------


def test_log_version_of_a_missing_store_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "sub" / "decisions.sqlite"
    s = DecisionStore(f"sqlite:///{db}")
    assert s.log_version() == (0, 0)
    assert not db.parent.exists()


def test_log_version_follows_every_decision_from_any_writer(tmp_path: Path) -> None:
    url = _url(tmp_path)
    reader = DecisionStore(url)  # opened before the file exists, kept open (as the dashboard does)
    assert reader.log_version() == (0, 0)
    other = DecisionStore(url)   # another process or the CLI
    d1 = other.accept("A:C1", "B:C1", "alice", model_relation="partial")
    assert reader.log_version() == (1, d1["id"])
    d2 = other.reject("A:C1", "B:C1", "bob")  # same pair again: still a new version
    assert reader.log_version() == (2, d2["id"])
    d3 = reader.amend("A:C2", "B:C3", "equivalent", "carol")
    assert other.log_version() == reader.log_version() == (3, d3["id"])
    assert len(reader.current()) == 2  # the version counts log rows, the decided pairs are 2
    other.close()
    reader.close()


def test_log_version_sees_a_replaced_store_file(tmp_path: Path) -> None:
    url = _url(tmp_path)
    reader = DecisionStore(url)
    w = DecisionStore(url)
    for i in range(3):
        w.amend(f"A:C{i}", "B:C1", "partial", "alice")
    w.close()
    assert reader.log_version()[0] == 3
    # Restored from an older copy: a new file with one decision.
    db = tmp_path / "decisions.sqlite"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    assert reader.log_version() == (0, 0)
    w = DecisionStore(url)
    d = w.amend("A:C9", "B:C9", "equivalent", "bob")
    w.close()
    assert reader.log_version() == (1, d["id"])
    assert list(reader.current()["source"]) == ["A:C9"]
    reader.close()


def test_log_version_is_one_small_query(tmp_path: Path) -> None:
    url = _url(tmp_path)
    s = DecisionStore(url)
    for i in range(20):
        s.amend(f"A:C{i}", "B:C1", "partial", "alice")
    s.log_version()  # the first call may check the schema
    statements: list[str] = []
    sa.event.listen(s._engine, "before_cursor_execute",
                    lambda conn, cursor, statement, *a: statements.append(statement))
    assert s.log_version() == (20, 20)
    queries = [q for q in statements if not q.startswith("BEGIN")]
    assert len(queries) == 1 and "count" in queries[0].lower() and "max" in queries[0].lower()
    s.close()


# -- concurrency ---------------------------------------------------------------------


def _writer(url: str, worker: int, n: int) -> None:
    store = DecisionStore(url)
    for i in range(n):
        # Every worker also hits one shared pair, to contend on the same rows.
        if i % 10 == 0:
            store.amend("A:SHARED", "B:SHARED", "partial", f"w{worker}")
        else:
            store.amend(f"A:W{worker}", f"B:N{i}", "equivalent", f"w{worker}", note=str(i))
    store.close()


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    url = _url(tmp_path, "race.sqlite")  # not created yet: the workers also race on the migration
    n, workers = 100, 4
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(url, w, n)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * workers
    with DecisionStore(url) as s:
        h = s.history()
        assert len(h) == n * workers
        assert h["id"].is_unique
        assert len(s.current()) == (n - n // 10) * workers + 1
        shared = s.history("A:SHARED", "B:SHARED")
        assert len(shared) == workers * (n // 10)
        # Each decision saw the one committed just before it.
        assert list(shared["previous_relation"]) == [""] + ["partial"] * (len(shared) - 1)
        assert s.version() == LATEST_VERSION


def test_one_store_shared_by_threads_loses_nothing(tmp_path: Path) -> None:
    # The dashboard keeps one store per process; every session writes and reads from its own thread.
    import threading

    store = DecisionStore(_url(tmp_path, "shared.sqlite"))
    errors: list[BaseException] = []
    versions: list[tuple[int, int]] = []

    def work(worker: int) -> None:
        try:
            for i in range(25):
                store.amend(f"A:T{worker}", f"B:N{i}", "partial", f"t{worker}")
                versions.append(store.log_version())
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert store.log_version() == (100, 100)
    assert len(store.current()) == 100
    assert all(v[0] >= 1 for v in versions)
    store.close()


# -- CLI -----------------------------------------------------------------------------


@pytest.fixture
def cli_config(tmp_path: Path) -> Path:
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"database_url": _url(tmp_path, "cli.sqlite")}), encoding="utf-8")
    return cfg


@pytest.fixture
def fake_run(monkeypatch):
    """Replace the model by a fixed pairs table over real competence ids."""
    from crossref.referentiels import load_corpus

    calls = []

    def run(config: Config, extra=(), *, use_cache=True, decisions=True):
        calls.append(list(extra))
        corpus = load_corpus(config.data_dir, extra)
        rows = [
            _pair("ICD:C1.1", "NEOMA:C1", "equivalent", 0.9), _pair("NEOMA:C1", "ICD:C1.1", "equivalent", 0.88),
            _pair("ICD:C1.2", "NEOMA:C2", "partial", 0.6), _pair("NEOMA:C2", "ICD:C1.2", "partial", 0.6),
            _pair("ICD:C1.3", "NEOMA:C3", "none", 0.2),
        ]
        return crossref.pipeline.Results(config=config, corpus=corpus, pairs=_pairs(rows))

    monkeypatch.setattr(crossref.pipeline, "run", run)
    return calls


def test_cli_accept_then_list(cli_config: Path, fake_run, capsys) -> None:
    assert main(["review", "accept", "ICD:C1.1", "NEOMA:C1", "--reviewer", "alice",
                 "--note", "vu", "--config", str(cli_config)]) == 0
    assert "enregistrée" in capsys.readouterr().err
    assert main(["review", "list", "--format", "json", "--config", str(cli_config)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1
    assert rows[0]["source"] == "ICD:C1.1" and rows[0]["target"] == "NEOMA:C1"
    assert (rows[0]["action"], rows[0]["relation"], rows[0]["previous_relation"]) == ("accept", "equivalent", "equivalent")
    assert (rows[0]["reviewer"], rows[0]["note"]) == ("alice", "vu")


def test_cli_reject_amend_and_history(cli_config: Path, fake_run, capsys, monkeypatch) -> None:
    monkeypatch.setenv("CROSSREF_REVIEWER", "bob")
    assert main(["--config", str(cli_config), "review", "reject", "NEOMA:C2", "ICD:C1.2"]) == 0
    assert main(["--config", str(cli_config), "review", "amend", "ICD:C1.2", "NEOMA:C2",
                 "--relation", "equivalent"]) == 0
    capsys.readouterr()
    assert main(["--config", str(cli_config), "review", "list", "--history"]) == 0
    df = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out), keep_default_na=False)
    assert list(df["action"]) == ["reject", "amend"]
    assert list(df["previous_relation"]) == ["partial", "none"]
    assert set(df["reviewer"]) == {"bob"}


def test_cli_pending(cli_config: Path, fake_run, capsys) -> None:
    assert main(["review", "list", "--pending", "--config", str(cli_config)]) == 0
    df = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out), keep_default_na=False)
    assert list(zip(df["source"], df["target"])) == [("ICD:C1.1", "NEOMA:C1"), ("ICD:C1.2", "NEOMA:C2")]
    assert main(["review", "reject", "ICD:C1.1", "NEOMA:C1", "--reviewer", "alice",
                 "--config", str(cli_config)]) == 0
    capsys.readouterr()
    assert main(["review", "list", "--pending", "--format", "json", "--config", str(cli_config)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["source"], r["target"]) for r in rows] == [("ICD:C1.2", "NEOMA:C2")]


@pytest.mark.parametrize("argv, message", [
    (["accept", "ICD:C9.9", "NEOMA:C1"], "ICD:C9.9"),
    (["reject", "ICD:C1.1", "ICD:C1.2"], "même certification"),
    (["amend", "ICD:C1.1", "NEOMA:C1"], "--relation"),
    (["accept", "ICD:C1.1"], "deux identifiants"),
    (["accept", "ICD:C1.3", "NEOMA:C3"], "amend"),  # the model proposed nothing
])
def test_cli_errors(cli_config: Path, fake_run, capsys, argv, message) -> None:
    assert main(["review", *argv, "--reviewer", "alice", "--config", str(cli_config)]) == 2
    err = capsys.readouterr().err
    assert "erreur" in err and message in err
    with DecisionStore(_url(cli_config.parent, "cli.sqlite")) as s:
        assert s.history().empty


def test_cli_lookups_read_the_store_without_running_the_model(cli_config: Path, fake_run, capsys) -> None:
    assert main(["review", "list", "--config", str(cli_config)]) == 0
    assert main(["review", "list", "--history", "--config", str(cli_config)]) == 0
    assert fake_run == []  # listing decisions never runs the model
    # A first decision needs the model's relation (recorded as the previous one)...
    assert main(["review", "reject", "ICD:C1.2", "NEOMA:C2", "--reviewer", "alice",
                 "--config", str(cli_config)]) == 0
    assert len(fake_run) == 1
    # ...a pair already decided is amended or rejected from the store alone.
    assert main(["review", "amend", "NEOMA:C2", "ICD:C1.2", "--relation", "partial", "--reviewer", "bob",
                 "--config", str(cli_config)]) == 0
    assert main(["review", "reject", "ICD:C1.2", "NEOMA:C2", "--reviewer", "bob",
                 "--config", str(cli_config)]) == 0
    assert len(fake_run) == 1
    capsys.readouterr()
    assert main(["review", "list", "--history", "--format", "json", "--config", str(cli_config)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["action"], r["previous_relation"]) for r in rows] == [
        ("reject", "partial"), ("amend", "none"), ("reject", "partial")]
