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
                      "Passerelles / VAE", "Exports", "Importer un référentiel", "Registre"]
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
    assert "du bloc B de RS couvertes par les compétences du bloc A de NEOMA" in texts(at)
    cell = at.dataframe[0].value
    assert len(cell) == len(expected)
    assert set(cell["Compétence cible"].str.split(" — ").str[0]) == set(expected["target"])
    # only the pairs that make the number
    at.toggle(key="mx_counted").set_value(True).run()
    assert len(at.dataframe[0].value) == expected["target"].nunique()
    at.selectbox(key="mx_source").set_value("ICD").run()
    assert "du bloc A d'ICD" in texts(at) and "de ICD" not in texts(at)  # « d'ICD », never « de ICD »


# ---------------------------------------------------------------- équivalences
def _clean(phrase: str) -> str:
    return phrase.strip().rstrip(".;,:")


def _offered_pair_with_literal_phrases(box, results) -> tuple[str, str, str, str]:
    """A pair offered in the selector whose aligned phrases occur word for word in both statements."""
    p = results.pairs.set_index(["source", "target"])
    for label in box.options:  # "SRC → TGT (relation, score)"
        source, target = label.split(" (")[0].split(" → ")
        sp, tp = (_clean(x) for x in p.loc[(source, target), ["source_phrase", "target_phrase"]])
        comp_s, comp_t = results.corpus.competence(source), results.corpus.competence(target)
        if sp and tp and sp in comp_s.statement and tp in comp_t.statement:
            return source, target, sp, tp
    raise AssertionError("no offered pair with literal aligned phrases")


def test_select_a_pair_and_accept_it(app_config):
    import html as html_lib

    results = pipeline.run(app_config)
    at = open_page("equivalences.py")
    box = at.selectbox(key="eq_pair")
    assert len(box.options) > 1
    source, target, phrase_s, phrase_t = _offered_pair_with_literal_phrases(box, results)
    box.set_value(f"{source}|{target}").run()
    assert at.selectbox(key="eq_pair").value == f"{source}|{target}"
    # both full texts side by side, the aligned phrase marked inside the statement itself
    # (the "Passage aligné" line below a statement is the fallback for a phrase not found in it)
    html = [h.proto.body for h in at.get("html")]
    assert len(html) == 2
    from crossref.views import whole_clause

    for body, phrase, comp in zip(html, (phrase_s, phrase_t), (source, target)):
        statement = body.split("<p style='line-height:1.5'>", 1)[1].split("</p>", 1)[0]
        # the whole clause around the aligned phrase is marked, not a fragment
        clause = whole_clause(results.corpus.competence(comp).statement, phrase)
        assert phrase in clause
        assert f"<mark>{html_lib.escape(clause, quote=True)}</mark>".lower() in statement.lower(), statement
        assert "Passage aligné" not in body
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
    assert at.selectbox(key="eq_pair").value == f"{source}|{target}"


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


def _unordered(pairs) -> set[tuple[str, str]]:
    return {tuple(sorted(p)) for p in zip(pairs["source"], pairs["target"])}


def _shown(at: AppTest) -> set[tuple[str, str]]:
    table = at.dataframe(key="eq_table").value
    return _unordered(table.rename(columns={"Source": "source", "Cible": "target"}))


def test_filters_narrow_the_table(app_config):
    pairs = pipeline.run(app_config).pairs  # fresh store: relation == model relation
    proposed = pairs[pairs["relation"] != "none"]
    at = open_page("equivalences.py")
    # default: equivalent and partial pairs, one row per pair
    assert _shown(at) == _unordered(proposed)
    # score range: a cut in the middle of the proposed scores
    cut = round(float(proposed["score"].median()), 2)
    at.slider(key="eq_score").set_value((cut, 1.0)).run()
    high = _unordered(proposed[proposed["score"] >= cut])
    assert 0 < len(high) < len(_unordered(proposed))
    assert _shown(at) == high
    shown_scores = at.dataframe(key="eq_table").value["Score"]
    assert all(re.fullmatch(r"[01],\d\d", x) for x in shown_scores)  # French decimals
    assert (shown_scores.str.replace(",", ".").astype(float) >= cut).all()
    # the slider writes its values with a point (Streamlit's): said again in French beside it
    assert f"Score de {cut:.2f} à 1,00".replace(".", ",") in texts(at)
    at.slider(key="eq_score").set_value((0.0, 1.0)).run()
    # relation
    at.multiselect(key="eq_relations").set_value(["equivalent"]).run()
    equivalent = pairs[pairs["relation"] == "equivalent"]
    assert 0 < len(_unordered(equivalent)) < len(_unordered(proposed))
    assert _shown(at) == _unordered(equivalent)
    assert set(at.dataframe(key="eq_table").value["Relation"]) == {"équivalente"}
    # certifications, source and target
    at.multiselect(key="eq_src_certs").set_value(["ICD"]).run()
    at.multiselect(key="eq_tgt_certs").set_value(["NEOMA"]).run()
    sub = equivalent[(equivalent["source_cert"] == "ICD") & (equivalent["target_cert"] == "NEOMA")]
    assert len(sub) > 0
    table = at.dataframe(key="eq_table").value
    assert set(zip(table["Source"], table["Cible"])) == set(zip(sub["source"], sub["target"]))


def test_equivalences_decisive_columns_first(app_config):
    at = open_page("equivalences.py")
    table = at.dataframe(key="eq_table").value
    assert list(table.columns[:4]) == ["Score", "Relation", "Statut", "Portée"]


def test_equivalences_states_the_matchers_out_of_sample_quality(app_config):
    from crossref.calibration import load_artifact

    metrics = load_artifact(app_config.matching.calibration).provenance["out_of_sample"]["metrics"]
    text = texts(open_page("equivalences.py"))
    assert "mesurée hors échantillon" in text
    for name, label in (("precision", "précision"), ("recall", "rappel"), ("f1", "F1")):
        assert f"{label} {metrics[name]['value']:.2f}".replace(".", ",") in text


def test_filters_and_selected_pair_kept_across_pages(app_config):
    at = open_page("equivalences.py")
    at.multiselect(key="eq_relations").set_value(["equivalent"]).run()
    at.multiselect(key="eq_src_certs").set_value(["ICD"]).run()
    at.text_input(key="eq_search").input("client").run()
    options = at.selectbox(key="eq_pair").options
    assert len(options) > 1
    chosen = "|".join(options[1].split(" (")[0].split(" → "))  # options are labels « S → T (…) »
    at.selectbox(key="eq_pair").set_value(chosen).run()
    at.switch_page(PAGE["matrices.py"].app_relative).run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page(PAGE["equivalences.py"].app_relative).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.multiselect(key="eq_relations").value == ["equivalent"]
    assert at.multiselect(key="eq_src_certs").value == ["ICD"]
    assert at.text_input(key="eq_search").value == "client"
    assert at.selectbox(key="eq_pair").value == chosen


def test_search_finds_titles_and_statements(app_config):
    at = open_page("equivalences.py")
    at.multiselect(key="eq_relations").set_value(["equivalent", "partial", "none"]).run()
    at.text_input(key="eq_search").input("dimension humaine").run()
    table = at.dataframe(key="eq_table").value
    assert len(table) > 0  # « Gérer la dimension humaine des projets » (CPMC) is a title
    assert all("CPMC:" in s + c for s, c in zip(table["Source"], table["Cible"]))


def test_matrix_cell_links_to_the_pair_review(app_config):
    at = open_page("matrices.py")
    for sbloc in at.selectbox(key="mx_sbloc_ICD").options:
        at.selectbox(key="mx_sbloc_ICD").set_value(sbloc).run()
        if [b for b in at.button if b.key == "mx_open_pair"]:
            break
    button = next(b for b in at.button if b.key == "mx_open_pair")
    source, target = button.label.split("Examiner la paire ")[1].split(" dans")[0].split(" → ")
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Équivalences"]
    assert at.selectbox(key="eq_pair").value == f"{source}|{target}"
    assert any(f"{source} ↔ {target}" in visible(h.value) for h in at.subheader)


def test_passerelle_row_links_to_the_pair_review(app_config):
    at = open_page("passerelles.py")
    button = next(b for b in at.button if (b.key or "").startswith("pa_open_"))
    source, target = button.label.split("Examiner la paire ")[1].split(" dans")[0].split(" → ")
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Équivalences"]
    assert at.selectbox(key="eq_pair").value == f"{source}|{target}"


def test_pair_score_decomposition(app_config):
    at = open_page("equivalences.py")
    at.toggle(key="eq_explain").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Portée" in c.value and "La source couvre" in c.value for c in at.caption)
    assert at.get("plotly_chart")


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
    # bloc details: the decisive columns first (issue 11, point 3: visible at 1366 px), scores in French
    matched = [d.value for d in at.dataframe if "Compétence visée" in d.value.columns]
    assert matched and all(list(t.columns[:2]) == ["Score", "Relation"] for t in matched)
    assert all(re.fullmatch(r"[01],\d\d", x) for t in matched for x in t["Score"])
    # a subset of the held blocs
    first = results.corpus.certification("NEOMA").blocs[0].id
    at.multiselect(key="pa_blocs_NEOMA").set_value([first]).run()
    assert not at.exception
    sub = passerelle(results.pairs, results.corpus, "NEOMA", "RS", results.config.passerelles, blocs=[first])
    assert sub["explanation"] in texts(at)


def test_a_partly_covered_competence_has_one_state(app_config):
    """Issue 11, point 10: a partly covered competence is not also listed « à justifier »."""
    results = pipeline.run(app_config)
    expected = passerelle(results.pairs, results.corpus, "CPMC", "RS", results.config.passerelles)
    assert any(b.get("partial") for b in expected["blocs"])  # the case exists here
    at = open_page("passerelles.py")
    at.selectbox(key="pa_from").set_value("CPMC").run()
    at.selectbox(key="pa_to").set_value("RS").run()
    assert not at.exception
    blocs = next(d.value for d in at.dataframe if "Couvertes" in d.value.columns)
    # decisive columns first (on screen at 1366 px), the long bloc title last
    assert list(blocs.columns[:5]) == ["Couverture", "Statut", "Couvertes", "Partiellement couvertes", "À justifier"]
    assert (blocs["Couvertes"] + blocs["Partiellement couvertes"] + blocs["À justifier"]
            == blocs["Compétences"]).all()
    assert blocs["Partiellement couvertes"].sum() > 0
    partial = {c for b in expected["blocs"] for c in b.get("partial", [])}
    listed_missing = {str(x).split(" — ")[0] for d in at.dataframe if "Critères" in d.value.columns
                      for x in d.value["Compétence"]}
    assert listed_missing and not partial & listed_missing


def test_passerelle_workbook_is_excel(app_config):
    from openpyxl import load_workbook

    results = pipeline.run(app_config)
    result = passerelle(results.pairs, results.corpus, "ICD", "NEOMA", results.config.passerelles)
    wb = load_workbook(io.BytesIO(state.passerelle_workbook_bytes(result, results.corpus)))
    assert wb.sheetnames == ["Passerelle", "Compétences"]
    ws = wb["Passerelle"]
    assert ws.max_row == 1 + len(result["blocs"])
    # French headers, percentages as percentages, French relations in the match texts
    assert [c.value for c in ws[1]][:7] == ["Certification détenue", "Certification visée", "Bloc visé",
                                             "Intitulé du bloc", "Compétences du bloc", "Couverture",
                                             "Statut du bloc"]
    assert ws.cell(row=2, column=6).number_format == "0%"
    matches = " ".join(str(c.value or "") for c in ws["I"])
    assert "equivalent" not in matches and "partial)" not in matches
    comps = wb["Compétences"]
    assert comps.max_row == 1 + len(results.corpus.certification("NEOMA").competences)
    states = [c.value for c in comps["D"]][1:]
    assert set(states) <= {"couverte", "partiellement couverte", "à justifier"}
    assert comps.freeze_panes == "A2" and comps.auto_filter.ref


VAE_TEXT = (
    "J'accueille les clients au téléphone et je traite leurs réclamations jusqu'à leur résolution. "
    "Je mesure la satisfaction des clients avec des enquêtes et je propose des actions d'amélioration. "
    "J'anime une équipe de conseillers et je suis leurs indicateurs de qualité de service.")


def test_vae_from_an_experience(app_config):
    from crossref.passerelles import vae

    results = pipeline.run(app_config)
    expected = vae(results, VAE_TEXT, "RS")
    assert expected["evidenced"]  # the text describes customer-relation work: RS competences are evidenced
    at = open_page("passerelles.py")
    at.text_input(key="vae_candidate").input("Mme Durand")
    at.selectbox(key="vae_to").set_value("RS").run()
    at.text_area(key="vae_text").input(VAE_TEXT)
    at.button(key="vae_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    n_near = sum(e["state"] == "near" for e in expected["competences"])
    assert (f"**{len(expected['evidenced'])} compétence(s) de RS attestée(s)** sur "
            f"{len(expected['competences'])}, {n_near} à la limite, d'après {len(expected['sentences'])} "
            "phrase(s) (et les paires de phrases voisines).") in texts(at)
    # every competence of the target, decisive columns first, scores in French, best first
    table = next(d.value for d in at.dataframe if "Meilleure preuve" in d.value.columns)
    assert list(table.columns[:4]) == ["État", "Score", "Compétence", "Meilleure preuve"]
    assert len(table) == len(expected["competences"])
    assert all(re.fullmatch(r"[01],\d\d", x) for x in table["Score"])
    assert list(table["Score"]) == sorted(table["Score"], reverse=True)
    # the French VAE workbook is offered (crossref.vae.workbook_bytes, tested in tests/test_vae.py)
    assert "Télécharger (Excel)" in [d.proto.label for d in at.get("download_button")]
    # the advisor rejects the best evidence, with a note: kept in the store, shown at once
    best = max(expected["competences"], key=lambda e: e["score"])["competence"]
    at.selectbox(key="vae_dec_comp").set_value(best)
    at.radio(key="vae_dec_action").set_value("reject")
    at.text_input(key="vae_dec_note").input("preuve insuffisante")
    at.text_input(key="vae_dec_reviewer").input("C. Conseil")
    at.button[[b.label for b in at.button].index("Enregistrer la décision")].click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(d.value for d in at.dataframe if "Meilleure preuve" in d.value.columns)
    row = table[table["Compétence"].str.startswith(best)].iloc[0]
    assert row["Décision"] == "rejetée" and row["Note"] == "preuve insuffisante" and row["État"] == "non attestée"
    store = DecisionStore(app_config.db_url)
    assert list(store.vae_history("Mme Durand → RS")["competence"]) == [best]


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
    # the dashboard says what the import changed (here: new pairs only, nothing among the others)
    said = [visible(i.value) for i in at.info if "Ce qui a changé" in visible(i.value)]
    assert said and "nouvelle(s) paire(s)" in said[0]
    assert "aucune relation ni aucun score ne change entre les certifications déjà chargées" in said[0]
    # the new certification joins the corpus (matched against the others)
    at.switch_page(PAGES[0].app_relative).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "EXEMPLE" in list(at.dataframe[0].value["Certification"])
    # and can be removed
    at.switch_page(PAGE["importer.py"].app_relative).run()
    at.selectbox(key="imp_remove_name").set_value("mon_modele.csv")
    at.button(key="imp_remove").click().run()
    # a destructive action asks first: nothing removed yet; « Annuler » keeps the file
    assert state.imported_files(own_data)
    assert any("Retirer mon_modele.csv du corpus ?" in visible(w.value) for w in at.warning)
    at.button(key="imp_remove_cancel").click().run()
    assert state.imported_files(own_data) and not at.warning
    at.button(key="imp_remove").click().run()
    at.button(key="imp_remove_confirm").click().run()
    assert not state.imported_files(own_data)
    assert any("retiré" in visible(s.value) for s in at.success)
    assert any("paire(s) retirée(s)" in visible(i.value) for i in at.info)


def test_bts_text_referentiel_is_accepted_as_on_the_command_line(own_data):
    raw = ROOT / "data" / "extra" / "raw" / "bts_ndrc_referentiel.txt"
    upload = state.validate_upload(own_data, raw.name, raw.read_bytes())
    assert [c.id for c in upload.certifications] == ["BTS_NDRC"]
    assert upload.filename == "bts_ndrc_referentiel.txt"
    assert not state.imported_files(own_data)  # checked, not saved
    # and the upload widget itself offers .txt (a refused type is only a hover tooltip in the browser)
    at = open_page("importer.py")
    assert ".txt" in list(at.get("file_uploader")[0].proto.type)


def test_decision_history_in_french(app_config):
    at = open_page("equivalences.py")
    at.text_input(key="eq_reviewer").input("Bob")
    at.button(key="eq_reject").click().run()
    history = next(d.value for d in at.dataframe if "Évaluateur" in d.value.columns)
    assert list(history.columns) == ["Date", "Évaluateur", "Décision", "Relation", "Relation précédente", "Note"]
    assert list(history["Décision"]) == ["rejetée"] and list(history["Relation"]) == ["aucune"]
    assert "Rejetée par Bob le" in texts(at)  # the badge keeps the name as typed (not « bob »)


def test_filenames_are_sanitised():
    assert state.sanitize_filename("../../etc/passwd.csv") == "passwd.csv"
    assert state.sanitize_filename("C:\\Users\\x\\Référentiel BTS.XLSX") == "Referentiel_BTS.xlsx"
    assert state.sanitize_filename(".cache.xml") == "cache.xml"
    assert state.sanitize_filename("...csv") == "referentiel.csv"
    from crossref.errors import InputError

    with pytest.raises(InputError, match="extension non acceptée"):
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
    assert "Score minimal : 0,50" in texts(at)
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


# ---------------------------------------------------------------- French throughout (issue 11, point 8)
def test_no_english_spinner_in_the_interface():
    """Streamlit's own spinner texts are English (« Running f(...) », « (0.0 seconds) »): every cache
    decorator hides its spinner (or gives a French one) and no spinner shows its timer."""
    import ast

    sources = [ROOT / "app.py", *sorted((ROOT / "crossref" / "ui").rglob("*.py"))]
    checked = 0
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func)
            kw = {k.arg: k.value for k in node.keywords}
            if name in ("st.cache_data", "st.cache_resource"):
                checked += 1
                spinner = kw.get("show_spinner")
                assert isinstance(spinner, ast.Constant) and (spinner.value is False or (
                    isinstance(spinner.value, str) and "Running" not in spinner.value)), f"{path}:{node.lineno}"
            if name == "st.spinner":
                checked += 1
                shown = kw.get("show_time")
                assert shown is None or (isinstance(shown, ast.Constant) and shown.value is False), \
                    f"{path}:{node.lineno}"
    assert checked >= 5
