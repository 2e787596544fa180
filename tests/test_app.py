"""The dashboard, page by page, with Streamlit's AppTest (no browser).

Every test runs against a temporary configuration ($CROSSREF_CONFIG): a copy
of the built-in référentiels and a fresh SQLite decision store, so nothing is
ever written to data/. The model's results are computed once (the pipeline's
disk cache in models/cache, then Streamlit's in-process cache).
"""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from crossref import pipeline
from crossref.config import Config
from crossref.coverage import bloc_cell_pairs, bloc_matrix
from crossref.passerelles import passerelle
from crossref.review import DecisionStore
from crossref.ui import PAGES, state

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
TIMEOUT = 180  # a cold first run embeds the corpus; warm runs take a second or two
EXAMPLE_CSV = ROOT / "data" / "templates" / "exemple_modele.csv"
PAGE = {p.file: p for p in PAGES}


def make_data_dir(path: Path) -> Path:
    """A data folder with the built-in référentiels (and templates), nothing else."""
    path.mkdir(parents=True, exist_ok=True)
    for sub in ("referentiels", "templates"):
        shutil.copytree(ROOT / "data" / sub, path / sub)
    return path


def write_config(path: Path, data_dir: Path, db: Path) -> Path:
    path.write_text(json.dumps({"data_dir": str(data_dir), "database_url": f"sqlite:///{db}"}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def shared_data(tmp_path_factory) -> Path:
    data = make_data_dir(tmp_path_factory.mktemp("app") / "data")
    pipeline.run(Config(data_dir=str(data)), decisions=False)  # warms the disk cache once
    return data


@pytest.fixture
def app_config(shared_data: Path, tmp_path: Path, monkeypatch) -> Config:
    """A fresh decision store for each test; the shared data folder."""
    path = write_config(tmp_path / "config.json", shared_data, tmp_path / "decisions.sqlite")
    monkeypatch.setenv(state.ENV_CONFIG, str(path))
    return Config.load(path)


@pytest.fixture
def own_data(tmp_path: Path, monkeypatch) -> Config:
    """A private data folder (the import tests add and remove files in it)."""
    data = make_data_dir(tmp_path / "data")
    path = write_config(tmp_path / "config.json", data, tmp_path / "decisions.sqlite")
    monkeypatch.setenv(state.ENV_CONFIG, str(path))
    return Config.load(path)


def open_page(file: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    if file != PAGES[0].file:
        at.switch_page(PAGE[file].app_relative)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == [PAGE[file].title]
    return at


def visible(markdown: str) -> str:
    """What a reader sees of a markdown source: user texts are escaped (crossref.mdsafe)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def texts(at: AppTest) -> str:
    """Every text the page shows (markdown, captions, alerts), one string to search."""
    parts = []
    for kind in ("markdown", "caption", "success", "info", "warning", "error", "subheader", "header"):
        parts += [visible(str(e.value)) for e in getattr(at, kind)]
    return "\n".join(parts)


# ---------------------------------------------------------------- every page
@pytest.mark.parametrize("page", PAGES, ids=[p.file for p in PAGES])
def test_every_page_renders_without_error(app_config, page):
    at = open_page(page.file)
    assert not at.error, [visible(e.value) for e in at.error]


def test_navigation_has_every_page_in_french():
    titles = [p.title for p in PAGES]
    assert titles == ["Vue d'ensemble", "Matrices de recouvrement", "Équivalences", "Graphe et clusters",
                      "Passerelles / VAE", "Exports", "Importer un référentiel"]
    assert all(p.path.is_file() for p in PAGES)
    assert len({p.url_path for p in PAGES}) == len(PAGES)


# ---------------------------------------------------------------- vue d'ensemble
def test_overview_counts_and_overlap(app_config):
    at = open_page("overview.py")
    metrics = {m.label: m.value for m in at.metric}
    results = pipeline.run(app_config)
    assert metrics["Certifications"] == str(len(results.corpus))
    assert metrics["Compétences"] == str(sum(len(c.competences) for c in results.corpus))
    certs = at.dataframe[0].value
    assert list(certs["Certification"]) == results.corpus.ids
    summary = at.dataframe[1].value
    n = len(results.corpus)
    assert len(summary) == n * (n - 1) // 2
    assert at.get("plotly_chart")


# ---------------------------------------------------------------- matrices
def test_matrices_cell_lists_its_pairs(app_config):
    results = pipeline.run(app_config)
    src, tgt = "NEOMA", "RS"
    m = bloc_matrix(results.pairs, results.corpus, src, tgt, results.config.passerelles)
    a, b = m.stack().idxmax()  # the most covered cell
    at = open_page("matrices.py")
    at.selectbox(key="mx_source").set_value(src).run()
    at.selectbox(key="mx_target").set_value(tgt).run()
    at.selectbox(key=f"mx_sbloc_{src}").set_value(a).run()
    at.selectbox(key=f"mx_tbloc_{tgt}").set_value(b).run()
    assert not at.exception
    expected = bloc_cell_pairs(results.pairs, a, b, results.config.passerelles)
    assert len(expected) > 0
    assert f"Couverture de {b} par {a} : {m.loc[a, b]:.0%}".replace("%", " %") in texts(at)
    cell = at.dataframe[0].value
    assert len(cell) == len(expected)
    assert set(cell["Compétence cible"].str.split(" — ").str[0]) == set(expected["target"])
    # only the pairs that make the number
    at.toggle(key="mx_counted").set_value(True).run()
    assert len(at.dataframe[0].value) == expected["target"].nunique()


# ---------------------------------------------------------------- équivalences
def test_select_a_pair_and_accept_it(app_config):
    at = open_page("equivalences.py")
    box = at.selectbox(key="eq_pair")
    options = box.options
    assert len(options) > 1
    chosen = options[1]
    box.set_value(chosen).run()
    source, target = chosen.split(" → ")[0], chosen.split(" → ")[1].split(" (")[0]
    # both full texts side by side, with the aligned phrase marked
    html = [h.proto.body for h in at.get("html")]
    assert len(html) == 2 and all("<mark>" in h or "Passage aligné" in h for h in html)
    assert "Critères d'évaluation" in html[0]
    assert {m.label for m in at.metric} >= {"Score", "Sémantique", "Lexical", "Critères"}

    at.text_input(key="eq_reviewer").input("Alice Martin")
    at.text_area(key="eq_note").input("Même compétence, critères proches")
    at.button(key="eq_accept").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("acceptée" in visible(s.value) for s in at.success), texts(at)

    store = DecisionStore(app_config.db_url)
    try:
        cur = store.current()
    finally:
        store.close()
    assert len(cur) == 1
    d = cur.iloc[0]
    assert (d["source"], d["target"], d["action"], d["reviewer"]) == (source, target, "accept", "Alice Martin")
    assert d["note"] == "Même compétence, critères proches"
    # the page now reads the decision back (results re-applied, not recomputed)
    assert "validée par Alice Martin" in texts(at)
    assert at.selectbox(key="eq_pair").value.startswith(f"{source}|{target}") or \
        at.selectbox(key="eq_pair").value == f"{source}|{target}"


def test_reject_and_amend_are_saved(app_config):
    at = open_page("equivalences.py")
    key = at.selectbox(key="eq_pair").value
    source, target = key.split("|")
    at.text_input(key="eq_reviewer").input("Bob")
    at.button(key="eq_reject").click().run()
    assert any("rejetée" in visible(s.value) for s in at.success)
    at.selectbox(key="eq_pair").set_value(key).run()  # still listed: the model proposed it
    at.selectbox(key=f"eq_amend_{source}_{target}").set_value("partial")
    at.button(key="eq_amend").click().run()
    assert any("modifiée" in visible(s.value) for s in at.success)
    store = DecisionStore(app_config.db_url)
    try:
        hist = store.history(source, target)
    finally:
        store.close()
    assert list(hist["action"]) == ["reject", "amend"]
    assert list(hist["relation"]) == ["none", "partial"]


def test_decision_without_reviewer_is_refused(app_config):
    at = open_page("equivalences.py")
    at.button(key="eq_accept").click().run()
    assert any("évaluateur" in visible(e.value) for e in at.error)
    assert not Path(app_config.db_url.removeprefix("sqlite:///")).exists()


def test_filters_narrow_the_table(app_config):
    at = open_page("equivalences.py")
    all_rows = len(at.dataframe(key="eq_table").value)
    at.slider(key="eq_score").set_value((0.9, 1.0)).run()
    high = at.dataframe(key="eq_table").value if at.dataframe else None
    assert high is None or len(high) <= all_rows
    at.slider(key="eq_score").set_value((0.0, 1.0)).run()
    at.multiselect(key="eq_relations").set_value(["equivalent"]).run()
    eq = at.dataframe(key="eq_table").value
    assert 0 < len(eq) < all_rows
    assert set(eq["Relation"]) <= {"équivalente"} or set(eq["Modèle"]) <= {"équivalente"}
    at.multiselect(key="eq_src_certs").set_value(["ICD"]).run()
    at.multiselect(key="eq_tgt_certs").set_value(["NEOMA"]).run()
    sub = at.dataframe(key="eq_table").value if at.dataframe else None
    if sub is not None and len(sub):
        assert set(sub["Source"].str.split(":").str[0]) == {"ICD"}
        assert set(sub["Cible"].str.split(":").str[0]) == {"NEOMA"}


# ---------------------------------------------------------------- passerelles / VAE
def test_compute_a_passerelle(app_config):
    results = pipeline.run(app_config)
    at = open_page("passerelles.py")
    at.selectbox(key="pa_from").set_value("NEOMA").run()
    at.selectbox(key="pa_to").set_value("RS").run()
    assert not at.exception
    expected = passerelle(results.pairs, results.corpus, "NEOMA", "RS", results.config.passerelles)
    shown = texts(at)
    assert expected["status"].capitalize() in shown
    assert expected["explanation"] in shown
    rs_blocs = [b.id for b in results.corpus.certification("RS").blocs]
    assert len([e for e in at.expander if any(b in visible(e.label) for b in rs_blocs)]) == len(rs_blocs)
    labels = [d.proto.label for d in at.get("download_button")]
    assert "Télécharger (Excel)" in labels
    # a subset of the held blocs
    first = results.corpus.certification("NEOMA").blocs[0].id
    at.multiselect(key="pa_blocs_NEOMA").set_value([first]).run()
    assert not at.exception
    sub = passerelle(results.pairs, results.corpus, "NEOMA", "RS", results.config.passerelles, blocs=[first])
    assert sub["explanation"] in texts(at)


def test_passerelle_workbook_is_excel(app_config):
    from openpyxl import load_workbook

    results = pipeline.run(app_config)
    result = passerelle(results.pairs, results.corpus, "ICD", "NEOMA", results.config.passerelles)
    wb = load_workbook(io.BytesIO(state.passerelle_workbook_bytes(result, results.corpus)))
    assert wb.sheetnames == ["Blocs", "Compétences"]
    assert wb["Blocs"].max_row == 1 + len(result["blocs"])
    assert wb["Compétences"].max_row == 1 + len(results.corpus.certification("NEOMA").competences)


def test_vae_from_an_experience(app_config):
    at = open_page("passerelles.py")
    at.selectbox(key="vae_to").set_value("RS").run()
    at.text_area(key="vae_text").input(
        "J'accueille les clients au téléphone et je traite leurs réclamations jusqu'à leur résolution. "
        "Je mesure la satisfaction des clients avec des enquêtes et je propose des actions d'amélioration. "
        "J'anime une équipe de conseillers et je suis leurs indicateurs de qualité de service.")
    at.button(key="vae_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    shown = texts(at)
    assert "attestée(s)" in shown and "phrase(s)" in shown
    assert any(e.label.startswith(("✅", "🟡", "⬜")) for e in at.expander)


def test_vae_without_text_shows_an_error(app_config):
    at = open_page("passerelles.py")
    at.button(key="vae_run").click().run()
    assert any("Décrivez" in visible(e.value) for e in at.error)


# ---------------------------------------------------------------- exports
def test_exports_offer_every_format(app_config):
    at = open_page("exports.py")
    keys = {d.proto.id for d in at.get("download_button")}
    assert len(at.get("download_button")) == 6, keys
    snap = state.snapshot(app_config)
    assert state.workbook_bytes(snap)[:2] == b"PK"
    assert state.pairs_csv_bytes(snap).decode().startswith("source,target,")
    assert json.loads(state.pairs_json_bytes(snap))["pairs"]
    assert state.sssom_bytes(snap).startswith(b"#")
    assert b"<graphml" in state.graphml_bytes(snap)


# ---------------------------------------------------------------- import
def _staging_left(config: Config) -> list[Path]:
    return [p for p in Path(config.data_dir).iterdir() if p.name.startswith(".upload-")]


@pytest.mark.parametrize("name, content, message", [
    ("vide.csv", b"", "fichier vide"),
    ("colonnes.csv", b"foo,bar\n1,2\n", "colonnes.csv"),
    ("fiche.xml", b"<?xml version='1.0'?><FICHES><FICHE><broken></FICHE>", "fiche.xml"),
    ("ICD_copie.csv", EXAMPLE_CSV.read_bytes().replace(b"EXEMPLE,", b"ICD,"), "ICD"),
])
def test_bad_upload_shows_the_error_and_saves_nothing(own_data, name, content, message):
    at = open_page("importer.py")
    at.file_uploader[0].upload(name, content, "text/csv").run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [visible(e.value) for e in at.error]
    assert errors and name in errors[0] and message in errors[0], errors
    assert "rien n'a été enregistré" in errors[0]
    assert not state.imported_files(own_data)
    assert not (Path(own_data.data_dir) / state.IMPORTED_DIR).exists()
    assert not _staging_left(own_data)
    assert not [b for b in at.button if b.key == "imp_add"]


def test_oversized_upload_is_refused(own_data):
    at = open_page("importer.py")
    big = b"certification,certification_title\n" + b"x" * (5 * 1024 * 1024 + 10)
    at.file_uploader[0].upload("gros.csv", big, "text/csv").run()
    assert any("trop volumineux" in e.value and "gros.csv" in visible(e.value) for e in at.error)
    assert not state.imported_files(own_data)


def test_upload_preview_add_and_remove(own_data):
    at = open_page("importer.py")
    at.file_uploader[0].upload("../../mon modèle.csv", EXAMPLE_CSV.read_bytes(), "text/csv").run()
    assert not at.error, [visible(e.value) for e in at.error]
    assert any("EXEMPLE" in visible(s.value) for s in at.success)
    assert not state.imported_files(own_data)  # previewed, not saved yet
    assert len(at.dataframe[0].value) > 0
    at.button(key="imp_add").click().run()
    assert not at.exception, [e.value for e in at.exception]
    files = state.imported_files(own_data)
    assert [f.name for f in files] == ["mon_modele.csv"]
    assert files[0].parent == Path(own_data.data_dir) / state.IMPORTED_DIR
    assert files[0].read_bytes() == EXAMPLE_CSV.read_bytes()
    assert any("ajouté" in visible(s.value) for s in at.success)
    # the new certification joins the corpus (matched against the others)
    at.switch_page(PAGES[0].app_relative).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "EXEMPLE" in list(at.dataframe[0].value["Certification"])
    # and can be removed
    at.switch_page(PAGE["importer.py"].app_relative).run()
    at.selectbox(key="imp_remove_name").set_value("mon_modele.csv")
    at.button(key="imp_remove").click().run()
    assert not state.imported_files(own_data)
    assert any("retiré" in visible(s.value) for s in at.success)


def test_filenames_are_sanitised():
    assert state.sanitize_filename("../../etc/passwd.csv") == "passwd.csv"
    assert state.sanitize_filename("C:\\Users\\x\\Référentiel BTS.XLSX") == "Referentiel_BTS.xlsx"
    assert state.sanitize_filename(".cache.xml") == "cache.xml"
    assert state.sanitize_filename("...csv") == "referentiel.csv"
    with pytest.raises(Exception):
        state.sanitize_filename("script.py")


def test_highlight_escapes_html():
    from crossref.ui.components import highlight_html

    out, found = highlight_html("Analyser <script>alert(1)</script> le marché & la concurrence.",
                                ["le marché & la concurrence"])
    assert found and "<script>" not in out and "&lt;script&gt;" in out
    assert "<mark>le marché &amp; la concurrence</mark>" in out
    out, found = highlight_html("Texte", ["absent"])
    assert not found and out == "Texte"


# ---------------------------------------------------------------- graphe et clusters
def test_graph_filters_and_clusters(app_config):
    from crossref.clusters import cluster_summary
    from crossref.graph import build_graph

    results = pipeline.run(app_config)
    at = open_page("graph.py")
    assert at.get("plotly_chart")
    edges = lambda g: sum(1 for *_, d in g.edges(data=True) if d.get("kind") == "equivalence")  # noqa: E731
    assert f"{edges(build_graph(results))} correspondance(s)" in texts(at)
    at.multiselect(key="gr_relations").set_value(["equivalent"]).run()
    at.slider(key="gr_min_score").set_value(0.5).run()
    assert not at.exception
    expected = edges(build_graph(results, min_score=0.5, relations=["equivalent"]))
    assert f"{expected} correspondance(s)" in texts(at)
    summary = cluster_summary(results.clusters)
    table = at.dataframe[0].value
    assert list(table["Libellé"]) == list(summary[summary["certifications"] >= 2]["label"])
    at.toggle(key="gr_shared").set_value(False).run()
    assert len(at.dataframe[0].value) == len(summary)
    first = int(summary["cluster"].iloc[0])
    at.selectbox(key="gr_cluster").set_value(first).run()
    assert len(at.dataframe[1].value) == int(summary["size"].iloc[0])


def test_bloc_filter_follows_the_certifications(app_config):
    at = open_page("equivalences.py")
    at.multiselect(key="eq_blocs").set_value(["ICD:B1"]).run()
    rows = at.dataframe(key="eq_table").value
    assert len(rows) and all(s.startswith("ICD:") or t.startswith("ICD:") for s, t in zip(rows["Source"], rows["Cible"]))
    at.multiselect(key="eq_src_certs").set_value(["NEOMA"]).run()
    at.multiselect(key="eq_tgt_certs").set_value(["RS"]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.multiselect(key="eq_blocs").value == []
    assert not at.warning
