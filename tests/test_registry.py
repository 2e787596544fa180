"""The registry: streamed export parser, incremental indexing, search, the CLI and the Dask path."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from crossref.errors import InputError
from crossref.model import Bloc, Certification, Competence
from crossref.parsing import fc_xml
from crossref.parsing.fc_stream import StreamStats, iter_blocs_csv, iter_fiches
from crossref.registry import Registry
from crossref.synthetic import WordHashEmbedder, write_fc_export


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> tuple[Path, Path, object]:
    d = tmp_path_factory.mktemp("export")
    summary = write_fc_export(d / "export.xml", 120, blocs_csv=d / "blocs.csv", seed=7)
    return d / "export.xml", d / "blocs.csv", summary


# ---------------------------------------------------------------- streamed parser


def test_stream_reads_every_fiche_as_the_whole_file_parser_does(export) -> None:
    xml, _, summary = export
    stats = StreamStats()
    streamed = list(iter_fiches(xml, active_only=False, stats=stats))
    whole = fc_xml.parse(xml)  # the single-document parser (small export: fits its size limit)
    assert [c.to_dict() for c in streamed] == [c.to_dict() for c in whole]
    assert stats.fiches == stats.kept == summary.fiches == len(streamed)
    active = list(iter_fiches(xml))
    assert len(active) == summary.active_fiches
    assert sum(len(c.competences) for c in active) == summary.competences


def test_stream_memory_is_bounded_by_one_fiche(tmp_path: Path) -> None:
    summary = write_fc_export(tmp_path / "big.xml", 2500, seed=1)
    size = (tmp_path / "big.xml").stat().st_size
    stats = StreamStats()
    tracemalloc.start()
    n = sum(len(c.competences) for c in iter_fiches(tmp_path / "big.xml", stats=stats))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert n == summary.competences > 50_000
    assert stats.max_open_elements < 100          # elements alive at once: one fiche's
    assert peak < size / 2, (peak, size)          # a whole tree would take several times the file


def test_stream_errors_name_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text('<?xml version="1.0"?>\n<FICHES>\n<FICHE><NUMERO_FICHE>RNCP1</NUMERO_FICHE>\n'
                   "<INTITULE>x</FICHE>\n</FICHES>\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        list(iter_fiches(bad))
    assert err.value.path == str(bad) and err.value.line == 4
    twice = tmp_path / "twice.xml"
    fiche = ("<FICHE><NUMERO_FICHE>RS12</NUMERO_FICHE><INTITULE>T</INTITULE>"
             "<CAPACITES_ATTESTEES>&lt;p&gt;Accueillir les clients&lt;/p&gt;</CAPACITES_ATTESTEES></FICHE>\n")
    twice.write_text(f'<?xml version="1.0"?>\n<FICHES>\n{fiche}{fiche}</FICHES>\n', encoding="utf-8")
    with pytest.raises(InputError, match="deux fois"):
        list(iter_fiches(twice))


def test_unreadable_fiche_is_skipped_and_reported(tmp_path: Path) -> None:
    p = tmp_path / "x.xml"
    p.write_text('<?xml version="1.0"?>\n<FICHES>\n<FICHE><NUMERO_FICHE>RNCP5</NUMERO_FICHE>'
                 "<INTITULE>Sans compétence</INTITULE></FICHE>\n"
                 "<FICHE><NUMERO_FICHE>RS6</NUMERO_FICHE><INTITULE>T</INTITULE>"
                 "<CAPACITES_ATTESTEES>&lt;p&gt;Accueillir les clients&lt;/p&gt;</CAPACITES_ATTESTEES></FICHE>\n"
                 "</FICHES>\n", encoding="utf-8")
    stats = StreamStats()
    assert [c.id for c in iter_fiches(p, stats=stats)] == ["RS6"]
    (skipped,) = stats.skipped
    assert skipped.fiche == "RNCP5" and skipped.line == 3 and "CAPACITES_ATTESTEES" in skipped.reason


def test_blocs_csv(export, tmp_path: Path) -> None:
    _, csv_path, summary = export
    rows = list(iter_blocs_csv(csv_path))
    assert rows and all(r.fiche.startswith("RNCP") and r.code.startswith(r.fiche) for r in rows)
    bad = tmp_path / "bad.csv"
    bad.write_text("Numero_Fiche;Code\nRNCP1;X\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        list(iter_blocs_csv(bad))
    assert err.value.row == 1 and "Bloc_Competences_Code" in str(err.value)


# ---------------------------------------------------------------- registry


def _registry(tmp_path: Path, xml: Path, csv: Path | None = None) -> Registry:
    reg = Registry(tmp_path / "registry", cache_dir=tmp_path / "cache")
    reg.ingest(xml, blocs_csv=csv)
    return reg


class Counting(WordHashEmbedder):
    def __init__(self) -> None:
        super().__init__(dim=48)
        self.embedded = 0

    def embed(self, texts):
        self.embedded += len(texts)
        return super().embed(texts)


def test_index_is_incremental(export, tmp_path: Path) -> None:
    xml, csv, summary = export
    reg = _registry(tmp_path, xml, csv)
    emb = Counting()
    first = reg.index(emb)
    assert first.units == summary.competences and first.embedded == emb.embedded > 0
    assert reg.vectors().shape == (summary.competences, 48)
    again = Counting()
    assert reg.index(again).embedded == 0 and again.embedded == 0  # nothing new: nothing embedded
    # One fiche changes one competence: only that text is new.
    text = xml.read_text(encoding="utf-8")
    target = next(c.id for c in iter_fiches(xml) if c.register == "RNCP")
    at = text.index(f"<NUMERO_FICHE>{target}</NUMERO_FICHE>")
    at = text.index("C1.1. ", at) + len("C1.1. ")
    changed = tmp_path / "changed.xml"
    changed.write_text(text[:at] + "Superviser la flotte de drones agricoles ; " + text[at:], encoding="utf-8")
    rep = reg.ingest(changed)
    assert rep.changed == 1 and rep.unchanged == rep.fiches - 1
    third = Counting()
    assert reg.index(third).embedded == 1 == third.embedded


def test_failed_ingest_keeps_the_previous_registry(export, tmp_path: Path) -> None:
    xml, _, _ = export
    reg = _registry(tmp_path, xml)
    before = reg.db_path.read_bytes()
    broken = tmp_path / "broken.xml"
    broken.write_text(xml.read_text(encoding="utf-8")[:50_000], encoding="utf-8")
    with pytest.raises(InputError):
        reg.ingest(broken)
    assert reg.db_path.read_bytes() == before
    assert not list(reg.dir.glob("*.tmp"))


def test_search_finds_overlaps_both_ways(export, tmp_path: Path) -> None:
    xml, csv, _ = export
    reg = _registry(tmp_path, xml, csv)
    emb = WordHashEmbedder(dim=48)
    reg.index(emb)
    fiche = reg.fiche_ids()[3]
    res = reg.search(fiche, top=5)
    assert res.fiche == fiche and len(res.overlaps) == 5 and res.exact
    assert fiche not in [o.fiche for o in res.overlaps]
    assert [o.overlap for o in res.overlaps] == sorted((o.overlap for o in res.overlaps), reverse=True)
    for o in res.overlaps:
        assert 0 <= o.covers <= 1 and 0 <= o.covered_by <= 1
        assert o.blocs_covered and o.blocs_covering
    # A local certification made of another fiche's competences finds that fiche, fully covered.
    source = next(c for c in iter_fiches(xml) if c.id == reg.fiche_ids()[10])
    local = Certification(id="LOCAL", title="Copie locale", register="RNCP", number="",
                          blocs=[Bloc(id="LOCAL:B1", certification="LOCAL", code="B1", title="Tout")],
                          competences=[Competence(id=f"LOCAL:C{i}", certification="LOCAL", code=f"C{i}",
                                                  title=c.title, statement=c.statement, bloc_id="LOCAL:B1")
                                       for i, c in enumerate(source.competences, start=1)])
    res = reg.search(local, emb, top=3)
    assert res.overlaps[0].fiche == source.id
    assert res.overlaps[0].covers == res.overlaps[0].covered_by == 1.0
    with pytest.raises(InputError, match="même modèle"):
        reg.search(local, WordHashEmbedder(dim=8))


def test_ann_search_agrees_with_exact(export, tmp_path: Path) -> None:
    pytest.importorskip("faiss")
    xml, _, _ = export
    reg = _registry(tmp_path, xml)
    emb = WordHashEmbedder(dim=48)
    reg.index(emb)
    exact = reg.search(reg.fiche_ids()[0], top=5)
    assert reg.index(emb, ann_threshold=100).ann
    approx = reg.search(reg.fiche_ids()[0], top=5)
    assert not approx.exact
    assert [o.fiche for o in approx.overlaps][:3] == [o.fiche for o in exact.overlaps][:3]


def test_candidate_pairs_exclude_own_fiche(export, tmp_path: Path) -> None:
    xml, _, summary = export
    reg = _registry(tmp_path, xml)
    reg.index(WordHashEmbedder(dim=48))
    q, i, s = reg.candidate_pairs(5, shard_rows=512)
    groups = reg.groups()
    assert len(q) == 5 * summary.competences
    assert not np.any(groups[q] == groups[i])
    assert np.all(np.diff(q) >= 0)
    with np.load(reg.dir / "candidates.npz") as z:
        np.testing.assert_array_equal(z["item"], i)


# ---------------------------------------------------------------- CLI


def test_cli_index_and_search(export, tmp_path: Path, monkeypatch, capsys) -> None:
    import crossref.commands.registry as cmd
    from crossref.cli import main

    xml, csv, _ = export
    monkeypatch.setattr(cmd, "make_registry_embedder", lambda backend, config: WordHashEmbedder(dim=48))
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[embedding]\ncache_dir = "{tmp_path / "cache"}"\n', encoding="utf-8")
    d = tmp_path / "reg"
    assert main(["--config", str(cfg), "registry", "index", "--export", str(xml), "--blocs-csv", str(csv),
                 "--dir", str(d)]) == 0
    err = capsys.readouterr().err
    assert "fiches" in err and "indexé" in err
    fiche = Registry(d).fiche_ids()[0]
    assert main(["--config", str(cfg), "registry", "search", "--fiche", fiche, "--dir", str(d), "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert f"plus proches de {fiche}" in out and len([ln for ln in out.splitlines() if ln.startswith(("RNCP", "RS"))]) == 3
    assert main(["--config", str(cfg), "registry", "search", "--fiche", fiche, "--dir", str(d),
                 "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["fiche"] == fiche and len(data["overlaps"]) == 10
    # The built-in ICD (RNCP 38938) is a local certification: searched by its number.
    assert main(["--config", str(cfg), "registry", "search", "--fiche", "RNCP38938", "--dir", str(d),
                 "--top", "2"]) == 0
    assert "plus proches de ICD" in capsys.readouterr().out
    assert main(["--config", str(cfg), "registry", "search", "--fiche", "RNCP1", "--dir", str(d)]) == 2
    assert "RNCP1" in capsys.readouterr().err
    bad = tmp_path / "bad.xml"
    bad.write_text("<FICHES><FICHE>", encoding="utf-8")
    assert main(["--config", str(cfg), "registry", "index", "--export", str(bad), "--dir", str(d)]) == 2
    assert "bad.xml" in capsys.readouterr().err
    assert Registry(d).fiche_ids()[0] == fiche  # the previous registry is intact


# ---------------------------------------------------------------- Dask


def test_dask_cluster_gives_the_single_process_results(export, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    xml, _, _ = export
    local = _registry(tmp_path / "local", xml)
    local.index(WordHashEmbedder(dim=48))
    want = local.candidate_pairs(5, shard_rows=512)
    results = {}
    for workers in (1, 2):
        reg = _registry(tmp_path / f"dask{workers}", xml)
        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster, distributed.Client(cluster) as client:
            rep = reg.index(WordHashEmbedder(dim=48), scheduler=client, shard_texts=300)
            assert rep.workers == workers and rep.embedded > 0
            results[workers] = reg.candidate_pairs(5, scheduler=client, shard_rows=512)
        # The workers wrote the shards to the store: several shards, and the same vectors.
        assert len(list((tmp_path / f"dask{workers}" / "cache").glob("*/shard-*.f32"))) > 1
        np.testing.assert_array_equal(np.asarray(reg.vectors()), np.asarray(local.vectors()))
    for workers in (1, 2):
        for got, exp in zip(results[workers], want):
            np.testing.assert_array_equal(got, exp)


# ---------------------------------------------------------------- dashboard page


def test_registre_page(export, tmp_path: Path, monkeypatch) -> None:
    import shutil

    from streamlit.testing.v1 import AppTest

    from crossref.config import Config
    from crossref.registry import default_dir
    from crossref.ui import PAGES, state

    import sys

    # AppTest leaves the page as sys.modules["__main__"]: restore it, or a later test's
    # spawned processes (multiprocessing re-imports __main__) would run the page.
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    root = Path(__file__).resolve().parent.parent
    data = tmp_path / "data"
    shutil.copytree(root / "data" / "referentiels", data / "referentiels")
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"data_dir": str(data), "database_url": f"sqlite:///{tmp_path / 'd.sqlite'}",
                               "embedding": {"cache_dir": str(tmp_path / "cache")}}), encoding="utf-8")
    monkeypatch.setenv(state.ENV_CONFIG, str(cfg))
    page = next(p for p in PAGES if p.file == "registre.py")

    def open_registre() -> AppTest:
        # The page alone (the app's first page would run the whole pipeline first).
        at = AppTest.from_file(str(page.path), default_timeout=60)
        at.run()
        assert not at.exception and [t.value for t in at.title] == [page.title]
        return at

    at = open_registre()  # no registry yet: says how to build one
    assert any("crossref registry index" in i.value for i in at.info)
    xml, _, _ = export
    reg = Registry(default_dir(Config.load(cfg)), cache_dir=tmp_path / "cache")
    reg.ingest(xml)
    reg.index(WordHashEmbedder(dim=48))
    fiche = reg.fiche_ids()[2]
    at = open_registre()
    at.text_input(key="reg_fiche").input(fiche).run()
    at.button(key="reg_go").click().run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert len(table) == 10 and fiche not in set(table["Fiche"])
    assert list(table["Recouvrement"]) == sorted(table["Recouvrement"], reverse=True)


def test_csv_blocs_name_untitled_blocs(tmp_path: Path) -> None:
    xml = tmp_path / "e.xml"
    xml.write_text('<?xml version="1.0"?>\n<FICHES><FICHE><NUMERO_FICHE>RNCP77</NUMERO_FICHE>'
                   "<INTITULE>Titre</INTITULE><BLOCS_COMPETENCES>"
                   "<BLOC_COMPETENCES><CODE>RNCP77BC01</CODE><LISTE_COMPETENCES>&lt;p&gt;Accueillir les clients"
                   "&lt;/p&gt;</LISTE_COMPETENCES></BLOC_COMPETENCES>"
                   "<BLOC_COMPETENCES><CODE>RNCP77BC02</CODE><LIBELLE>Vendre</LIBELLE><LISTE_COMPETENCES>"
                   "&lt;p&gt;Conclure la vente&lt;/p&gt;</LISTE_COMPETENCES></BLOC_COMPETENCES>"
                   "</BLOCS_COMPETENCES></FICHE></FICHES>\n", encoding="utf-8")
    csv = tmp_path / "b.csv"
    csv.write_text("Numero_Fiche;Bloc_Competences_Code;Bloc_Competences_Libelle\n"
                   "RNCP77;RNCP77BC02;Autre intitulé\nRNCP77;RNCP77BC01;Accueil de la clientèle\n", encoding="utf-8")
    reg = Registry(tmp_path / "r", cache_dir=tmp_path / "c")
    rep = reg.ingest(xml, blocs_csv=csv)
    assert rep.csv_blocs == 2
    import sqlite3

    with sqlite3.connect(reg.db_path) as con:
        titles = dict(con.execute("SELECT bloc, title FROM blocs").fetchall())
    # The untitled bloc takes the CSV's title; a titled one keeps the XML's.
    assert titles == {"RNCP77:B1": "Accueil de la clientèle", "RNCP77:B2": "Vendre"}
