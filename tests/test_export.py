"""Exports: the Excel workbook, SSSOM TSV, CSV/JSON and `crossref export`.

The workbook is reopened with openpyxl to check sheets, headers, layout and,
above all, that no cell is ever a formula (formula injection).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from crossref.config import Config
from crossref.errors import CrossrefError
from crossref.export import export, infer_format
from crossref.export.safe import csv_safe, csv_unsafe, is_dangerous, write_cell
from crossref.export.sssom import (
    BROAD, CLOSE, EXACT, LEXICAL_MATCHING, MANUAL_CURATION, NARROW, RELATED, SSSOM_COLUMNS,
    mapping_predicate, predicate, render_sssom, sssom_table, write_sssom,
)
from crossref.export.tables import metadata_path, read_pairs_csv, write_pairs
from crossref.export.xlsx import (
    CERTIFICATION_COLUMNS, CLUSTER_COLUMNS, PAIR_SHEET_COLUMNS, PASSERELLE_COLUMNS, SUMMARY_COLUMNS,
    sheet_name, write_workbook,
)
from crossref.model import Bloc, Certification, Competence, Corpus
from crossref.pipeline import Results
from crossref.tables import PAIR_COLUMNS, validate

HYPERLINK = '=HYPERLINK("http://x","y") Analyser le marché et ses tendances.'
DANGEROUS_TITLES = ["+Piloter les ventes", "-Négocier des contrats", "@Fidéliser la clientèle",
                    "\tCommuniquer avec les clients"]


# ---------------------------------------------------------------- fixtures
def _cert(cid: str, blocs: list[tuple[str, str]], comps: list[tuple[str, str, str, str]], **kw) -> Certification:
    return Certification(
        id=cid, title=kw.pop("title", f"Certification {cid}"),
        blocs=[Bloc(id=f"{cid}:{b}", certification=cid, code=b, title=t) for b, t in blocs],
        competences=[Competence(id=f"{cid}:{c}", certification=cid, code=c, title=t, statement=s,
                                bloc_id=f"{cid}:{b}") for c, b, t, s in comps],
        **kw,
    )


def make_corpus() -> Corpus:
    aaa = _cert("AAA", [("B1", "Stratégie marketing"), ("B2", "+Négociation")], [
        ("C1", "B1", "Analyser le marché", HYPERLINK),
        ("C2", "B1", DANGEROUS_TITLES[0], "Piloter les ventes et suivre les indicateurs."),
        ("C3", "B2", DANGEROUS_TITLES[1], "Négocier des contrats commerciaux."),
    ], register="RNCP", number="12345", certifier="École A", level="6")
    bbb = _cert("BBB", [("B1", "Relation client")], [
        ("C1", "B1", DANGEROUS_TITLES[2], "Fidéliser la clientèle par des actions ciblées."),
        ("C2", "B1", DANGEROUS_TITLES[3], "\rCommuniquer avec les clients."),
    ], register="RS", number="6789", certifier="Organisme B", indivisible=True)
    ccc = _cert("CCC", [("B1", "Management")], [
        ("C1", "B1", "Manager une équipe", "Manager une équipe commerciale."),
    ])
    for c in (aaa, bbb, ccc):
        c.validate()
    return Corpus([aaa, bbb, ccc])


# (source, target) -> overrides of the default "none" row
SPECIAL = {
    ("AAA:C1", "BBB:C1"): dict(score=0.91, relation="equivalent", model_relation="equivalent",
                               source_phrase=HYPERLINK, explanation="=1+1 mêmes termes"),
    ("BBB:C1", "AAA:C1"): dict(score=0.90, relation="equivalent", model_relation="equivalent"),
    ("AAA:C2", "BBB:C2"): dict(score=0.70, relation="partial", model_relation="partial", status="validated",
                               reviewer="Marie Curie", decided_at="2024-05-03T10:00:00Z", note="-vu en commission"),
    ("BBB:C2", "AAA:C2"): dict(score=0.69, relation="partial", model_relation="partial", status="validated",
                               reviewer="Marie Curie", decided_at="2024-05-03T10:00:00Z", note="-vu en commission"),
    ("AAA:C3", "BBB:C1"): dict(score=0.60, relation="partial", model_relation="partial", direction="broader"),
    ("BBB:C1", "AAA:C3"): dict(score=0.60, relation="partial", model_relation="partial", direction="narrower"),
    ("AAA:C1", "CCC:C1"): dict(score=0.58, relation="none", model_relation="partial", status="rejected",
                               reviewer="Jean Dupont", decided_at="2024-06-10T08:30:00Z"),
    ("CCC:C1", "AAA:C1"): dict(score=0.57, relation="none", model_relation="partial", status="rejected",
                               reviewer="Jean Dupont", decided_at="2024-06-10T08:30:00Z"),
}


def make_pairs(corpus: Corpus) -> pd.DataFrame:
    rows = []
    comps = corpus.competences()
    for s in comps:
        for t in comps:
            if s.certification == t.certification:
                continue
            row = dict(
                source=s.id, target=t.id, source_cert=s.certification, target_cert=t.certification,
                source_bloc=s.bloc_id, target_bloc=t.bloc_id, score=0.20, semantic=0.25, lexical=0.10,
                criteria=0.0, rank=1, relation="none", direction="same", model_relation="none",
                status="suggested", reviewer="", decided_at="", note="", source_phrase="",
                target_phrase="", shared_terms="", explanation="",
            )
            row.update(SPECIAL.get((s.id, t.id), {}))
            rows.append(row)
    df = pd.DataFrame(rows, columns=PAIR_COLUMNS)
    return validate(df, "pairs")


def make_config() -> Config:
    """Explicit settings (the defaults change over time) and a URL with a password."""
    return Config.from_dict({
        "database_url": "postgresql://officier:secret@db.example/crossref",
        "matching": {"direction_margin": 0.1, "top_k": 7},
        "passerelles": {"full_coverage": 0.85, "partial_coverage": 0.35},
    })


def make_results(config: Config | None = None) -> Results:
    corpus = make_corpus()
    clusters = pd.DataFrame([
        (0, "marché; clients", "AAA:C1", "AAA"), (0, "marché; clients", "BBB:C1", "BBB"),
        (1, "-ventes", "AAA:C2", "AAA"), (1, "-ventes", "BBB:C2", "BBB"),
        (2, "négociation", "AAA:C3", "AAA"), (3, "équipe", "CCC:C1", "CCC"),
    ], columns=["cluster", "label", "competence", "certification"])
    return Results(
        config=config or make_config(),
        corpus=corpus, pairs=make_pairs(corpus), clusters=clusters,
        created_at="2024-07-01T09:00:00Z",
        data_versions={"AAA": "sha256:aaa111", "BBB": "sha256:bbb222", "CCC": "sha256:ccc333"},
    )


@pytest.fixture(scope="module")
def results() -> Results:
    return make_results()


@pytest.fixture(scope="module")
def workbook_path(results: Results, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_workbook(tmp_path_factory.mktemp("xlsx") / "export.xlsx", results)


@pytest.fixture(scope="module")
def wb(workbook_path: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(workbook_path)


def _header(ws, row: int = 1) -> list:
    return [c.value for c in ws[row] if c.value is not None]


def _records(ws) -> list[dict]:
    rows = list(ws.iter_rows(values_only=True))
    head = rows[0]
    return [dict(zip(head, r)) for r in rows[1:]]


# ---------------------------------------------------------------- safe
@pytest.mark.parametrize("text", ["=1+1", "+33 6", "-2", "@SUM(A1)", "\tx", "\rcmd", HYPERLINK])
def test_dangerous_text_detected_and_escaped_for_csv(text: str) -> None:
    assert is_dangerous(text)
    assert csv_safe(text) == "'" + text
    assert csv_unsafe(csv_safe(text)) == text


@pytest.mark.parametrize("value", ["Analyser", "", " =pas en tête", "'déjà", 0.5, -0.5, 3, None])
def test_harmless_values_unchanged(value) -> None:
    assert not is_dangerous(value)
    assert csv_safe(value) == value
    assert csv_unsafe(value) == value


def test_write_cell_strips_illegal_characters_and_never_writes_formulas(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    write_cell(ws, 1, 1, "=A2\x01")
    write_cell(ws, 2, 1, "#N/A")
    write_cell(ws, 3, 1, float("nan"))
    assert ws["A1"].data_type == "s" and ws["A1"].value == "=A2" and ws["A1"].quotePrefix
    assert ws["A2"].data_type == "s"
    assert ws["A3"].value is None
    wb.save(tmp_path / "c.xlsx")
    back = openpyxl.load_workbook(tmp_path / "c.xlsx").active
    assert back["A1"].value == "=A2" and back["A1"].data_type == "s"
    assert back["A2"].value == "#N/A" and back["A2"].data_type == "s"


# ---------------------------------------------------------------- workbook
def test_workbook_sheets(wb) -> None:
    assert wb.sheetnames == ["Synthèse", "Matrices", "AAA–BBB", "AAA–CCC", "BBB–CCC", "Passerelles", "Clusters"]


def test_workbook_headers_are_french_and_exact(wb) -> None:
    ws = wb["Synthèse"]
    assert _header(ws) == CERTIFICATION_COLUMNS == [
        "Certification", "Intitulé", "Registre", "Numéro", "Certificateur", "Niveau", "Validation",
        "Blocs", "Compétences", "Version des données"]
    assert _header(ws, 6) == SUMMARY_COLUMNS == ["Rubrique", "Valeur"]
    for name in ("AAA–BBB", "AAA–CCC", "BBB–CCC"):
        assert _header(wb[name]) == PAIR_SHEET_COLUMNS
    assert PAIR_SHEET_COLUMNS == [
        "Compétence source", "Bloc source", "Intitulé source", "Énoncé source",
        "Compétence cible", "Bloc cible", "Intitulé cible", "Énoncé cible",
        "Score", "Part sémantique", "Part lexicale", "Part critères",
        "Relation", "Portée de la source", "Relation proposée par le modèle", "Statut", "Évaluateur",
        "Date de la décision", "Note", "Termes communs", "Explication"]
    assert _header(wb["Passerelles"]) == PASSERELLE_COLUMNS
    assert PASSERELLE_COLUMNS[:7] == ["Certification détenue", "Certification visée", "Bloc visé",
                                      "Intitulé du bloc", "Compétences du bloc", "Couverture", "Statut du bloc"]
    assert _header(wb["Clusters"]) == CLUSTER_COLUMNS == [
        "Groupe", "Libellé du groupe", "Certification", "Compétence", "Intitulé", "Énoncé"]


def test_workbook_layout_frozen_bold_filtered_wrapped(wb) -> None:
    for name in ("Synthèse", "AAA–BBB", "AAA–CCC", "BBB–CCC", "Passerelles", "Clusters"):
        ws = wb[name]
        assert ws.freeze_panes == "A2", name
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), name
        assert all(c.font.bold for c in ws[1] if c.value is not None), name
        for letter, dim in ws.column_dimensions.items():
            if dim.width:
                assert 8 <= dim.width <= 60, (name, letter, dim.width)
    ws = wb["AAA–BBB"]
    assert ws.auto_filter.ref == f"A1:U{ws.max_row}"
    statement = PAIR_SHEET_COLUMNS.index("Énoncé source") + 1
    assert ws.cell(row=2, column=statement).alignment.wrap_text
    assert ws.cell(row=2, column=PAIR_SHEET_COLUMNS.index("Score") + 1).number_format == "0.00"


def test_no_cell_is_a_formula(wb, workbook_path: Path) -> None:
    n = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                n += cell.value is not None
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    assert n > 100
    # And at the XML level: no <f> element in any sheet.
    with zipfile.ZipFile(workbook_path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<f[ >]", z.read(name)), name


def test_dangerous_texts_preserved_visibly(wb) -> None:
    values = {c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
              if isinstance(c.value, str)}
    assert HYPERLINK in values
    for title in DANGEROUS_TITLES:
        assert title in values, title
    assert "=1+1 mêmes termes" in values and "-vu en commission" in values
    assert "+Négociation" in {v.split(" — ", 1)[-1] for v in values}
    hyper = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value == HYPERLINK]
    assert hyper and all(c.data_type == "s" and c.quotePrefix for c in hyper)


def test_pair_sheet_lists_related_and_reviewed_pairs(wb) -> None:
    recs = _records(wb["AAA–BBB"])
    # one row per pair, oriented from the sheet's first certification (never the pair twice)
    assert [(r["Compétence source"], r["Compétence cible"]) for r in recs] == [
        ("AAA:C1", "BBB:C1"), ("AAA:C2", "BBB:C2"), ("AAA:C3", "BBB:C1")]
    first = recs[0]
    assert first["Énoncé source"] == HYPERLINK
    assert first["Intitulé cible"] == "@Fidéliser la clientèle"
    assert first["Énoncé cible"] == "Fidéliser la clientèle par des actions ciblées."
    assert first["Bloc source"] == "AAA:B1 — Stratégie marketing"
    assert first["Relation"] == "équivalente" and first["Statut"] == "suggérée"
    assert first["Évaluateur"] in ("", None) and first["Date de la décision"] in ("", None)
    assert first["Score"] == pytest.approx(0.91)
    assert first["Explication"] == "=1+1 mêmes termes"
    # reviewer, date and note: columns of their own
    assert (recs[1]["Statut"], recs[1]["Évaluateur"], recs[1]["Date de la décision"]) == (
        "validée", "Marie Curie", "03/05/2024")
    assert recs[1]["Relation"] == "partielle" and recs[1]["Note"] == "-vu en commission"
    assert recs[2]["Portée de la source"] == "source plus large"
    rejected = _records(wb["AAA–CCC"])
    assert len(rejected) == 1
    assert (rejected[0]["Statut"], rejected[0]["Évaluateur"], rejected[0]["Date de la décision"]) == (
        "rejetée", "Jean Dupont", "10/06/2024")
    assert rejected[0]["Relation"] == "aucune" and rejected[0]["Relation proposée par le modèle"] == "partielle"
    assert _records(wb["BBB–CCC"]) == []  # only "none" pairs: not listed


def test_workbook_counts_equal_the_dashboards(wb, results) -> None:
    from crossref.views import pair_counts

    counts = pair_counts(results.pairs)  # what the dashboard shows
    info = {r[0]: r[1] for r in wb["Synthèse"].iter_rows(min_row=7, values_only=True) if r[0]}
    assert info["Correspondances équivalentes"] == str(counts["equivalent"])
    assert info["Correspondances partielles"] == str(counts["partial"])
    assert info["Paires validées"] == str(counts["validated"])
    assert info["Paires rejetées"] == str(counts["rejected"])
    rows = [r for name in ("AAA–BBB", "AAA–CCC", "BBB–CCC") for r in _records(wb[name])]
    keys = [frozenset((r["Compétence source"], r["Compétence cible"])) for r in rows]
    assert len(keys) == len(set(keys))  # no pair twice across the pair sheets
    assert sum(r["Relation"] == "équivalente" for r in rows) == counts["equivalent"]
    assert sum(r["Relation"] == "partielle" for r in rows) == counts["partial"]
    assert sum(r["Statut"] == "validée" for r in rows) == counts["validated"]
    assert sum(r["Statut"] == "rejetée" for r in rows) == counts["rejected"]


def test_matrices_have_colour_scale_and_coverage(wb) -> None:
    ws = wb["Matrices"]
    rules = [r for cf in ws.conditional_formatting for r in cf.rules]
    assert len(rules) == 6  # one per ordered pair of certifications
    assert all(r.type == "colorScale" for r in rules)
    values = list(ws.iter_rows(values_only=True))
    titles = [r[0] for r in values if r and isinstance(r[0], str) and " → " in r[0]]
    assert titles[0].startswith("AAA → BBB")
    # AAA -> BBB: BBB:B1 has C1 (equivalent with AAA:C1, credit 1) and C2 (partial with AAA:C2, 0.5).
    i = next(k for k, r in enumerate(values) if r[0] == "AAA:B1 — Stratégie marketing")
    assert values[i - 1][1] == "BBB:B1 — Relation client"
    assert values[i][1] == pytest.approx(0.75)
    cell = ws.cell(row=i + 1, column=2)
    assert cell.number_format == "0%" and cell.comment is not None
    assert "AAA:C1 → BBB:C1 (équivalente, 0,91)" in cell.comment.text


def test_summary_records_config_counts_and_versions(wb) -> None:
    ws = wb["Synthèse"]
    certs = _records(ws)[:3]
    assert certs[0]["Certification"] == "AAA" and certs[0]["Registre"] == "RNCP"
    assert certs[0]["Numéro"] == "12345" and certs[0]["Blocs"] == 2 and certs[0]["Compétences"] == 3
    assert certs[1]["Validation"] == "indivisible"
    assert certs[2]["Version des données"] == "sha256:ccc333"
    info = {r[0]: r[1] for r in ws.iter_rows(min_row=7, values_only=True) if r[0]}
    assert info["Date des résultats"] == "01/07/2024 09:00 UTC"
    assert info["Paires de compétences évaluées"] == "11"  # each pair once (the table holds 22 orientations)
    assert info["Paires validées"] == "1" and info["Paires rejetées"] == "1"
    model = info["Modèle (similarité)"]
    conf = make_config().to_dict()
    for name in conf["matching"].get("channels") or conf["embedding"].get("backends"):
        assert name in model
    from crossref.calibration import load_artifact

    art = load_artifact(make_config().matching.calibration)
    # French decimals for people; the configuration rows below keep JSON
    assert info["Seuil « équivalente » (probabilité)"] == f"{art.model.equivalent_threshold:g}".replace(".", ",")
    assert info["Calibration"].startswith("ajustée le ") and "paires de référence" in info["Calibration"]
    f1 = art.provenance["out_of_sample"]["metrics"]["f1"]["value"]
    quality = info["Qualité des suggestions"]
    assert "hors échantillon" in quality and f"F1 {f1:.2f}".replace(".", ",") in quality
    assert "« aucune »" in info["Feuilles par paire de certifications"]
    assert info["Configuration : matching.top_k"] == "7"
    assert info["Configuration : passerelles.full_coverage"] == "0.85"
    assert info["Version des données : BBB"] == "sha256:bbb222"
    full = json.loads(info["Configuration complète (JSON)"])
    expected = make_config().to_dict()
    expected["database_url"] = "postgresql://officier:***@db.example/crossref"
    assert full == expected
    assert not any("secret" in str(v) for v in info.values())


def test_passerelles_and_clusters_sheets(wb) -> None:
    pas = _records(wb["Passerelles"])
    # 6 ordered pairs of certifications, one row per target bloc (AAA 2 blocs, BBB 1, CCC 1)
    assert len(pas) == 2 * 1 + 2 * 2 + 2 * 1
    row = next(r for r in pas if r["Certification détenue"] == "AAA" and r["Certification visée"] == "BBB")
    assert row["Bloc visé"] == "BBB:B1" and row["Couverture"] == pytest.approx(0.75)
    assert row["Statut du bloc"] == "dispense partielle"
    assert row["Correspondances retenues"] == "AAA:C1 → BBB:C1 (équivalente, 0,91)\nAAA:C2 → BBB:C2 (partielle, 0,70)"
    # one state per competence (issue 11): partly covered, not also « à justifier »
    assert "BBB:C2 — \tCommuniquer avec les clients" in row["Compétences partiellement couvertes"]
    assert "BBB:C2" not in (row["Compétences à justifier"] or "")
    clusters = _records(wb["Clusters"])
    assert [r["Compétence"] for r in clusters] == ["AAA:C1", "BBB:C1", "AAA:C2", "BBB:C2", "AAA:C3", "CCC:C1"]
    assert clusters[2]["Libellé du groupe"] == "-ventes"
    assert clusters[0]["Énoncé"] == HYPERLINK


def test_workbook_with_fake_coverage_and_passerelles(monkeypatch, tmp_path: Path) -> None:
    """The workbook only needs matrix_table / all_passerelles / passerelle_table by name."""
    import crossref.coverage as coverage
    import crossref.passerelles as passerelles

    def fake_matrix(pairs, corpus, config):
        return pd.DataFrame([dict(source_cert="AAA", target_cert="CCC", source_bloc="AAA:B1",
                                  target_bloc="CCC:B1", coverage=0.4, best_pairs="")])

    fake = {"from": "AAA", "to": "CCC", "status": "non couvert", "explanation": "Aucun bloc.",
            "blocs": [{"bloc": "CCC:B1"}]}

    def fake_table(p):
        return pd.DataFrame([dict(from_cert="AAA", to_cert="CCC", blocs_held="", bloc="CCC:B1",
                                  title="Management", competences=1, coverage=0.0, status="non couvert",
                                  matched_count=0, matched="", partial="", missing="CCC:C1",
                                  overall_status="non couvert")])

    monkeypatch.setattr(coverage, "matrix_table", fake_matrix)
    monkeypatch.setattr(passerelles, "all_passerelles", lambda pairs, corpus, config: [fake])
    monkeypatch.setattr(passerelles, "passerelle_table", fake_table)
    wb = openpyxl.load_workbook(write_workbook(tmp_path / "f.xlsx", make_results()))
    pas = _records(wb["Passerelles"])
    assert len(pas) == 1 and pas[0]["Compétences à justifier"] == "CCC:C1 — Manager une équipe"
    assert pas[0]["Explication"] == "Aucun bloc."
    assert len([r for cf in wb["Matrices"].conditional_formatting for r in cf.rules]) == 1


def test_sheet_names_sanitised_short_and_unique() -> None:
    assert sheet_name("ICD", "NEOMA") == "ICD–NEOMA"
    long = sheet_name("A" * 40, "B" * 40)
    assert len(long) <= 31 and long.startswith("A") and long.endswith("B")
    assert len(sheet_name("SHORT", "B" * 40)) == 31 and sheet_name("SHORT", "B" * 40).startswith("SHORT–")
    taken = [sheet_name("A" * 40, "B" * 40)]
    again = sheet_name("A" * 40, "B" * 40, taken)
    assert again != taken[0] and len(again) <= 31
    assert not re.search(r"[\[\]:*?/\\]", sheet_name("a[b]", "c:d*?/\\"))


def test_schema_checked_before_writing(tmp_path: Path) -> None:
    res = make_results()
    res.pairs = res.pairs.assign(relation="peut-être")
    out = tmp_path / "bad.xlsx"
    with pytest.raises(CrossrefError, match="pairs"):
        write_workbook(out, res)
    assert not out.exists()
    with pytest.raises(CrossrefError):
        write_sssom(tmp_path / "bad.sssom.tsv", res)
    with pytest.raises(CrossrefError):
        write_pairs(tmp_path / "bad.csv", res, "csv")
    assert list(tmp_path.iterdir()) == []


def test_failing_write_leaves_previous_file_intact(monkeypatch, tmp_path: Path) -> None:
    out = tmp_path / "export.xlsx"
    out.write_bytes(b"previous export")

    def broken_save(self, filename):
        Path(filename).write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(openpyxl.Workbook, "save", broken_save)
    from crossref.errors import OutputError

    with pytest.raises(OutputError, match="disk full") as info:  # a message naming the file, exit 2
        write_workbook(out, make_results())
    assert info.value.path == str(out)
    assert out.read_bytes() == b"previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["export.xlsx"]


# ---------------------------------------------------------------- SSSOM
@pytest.mark.parametrize("relation, direction, expected", [
    ("equivalent", "same", EXACT),
    ("partial", "same", CLOSE),
    ("partial", "broader", NARROW),   # source broader => object (target) narrower
    ("partial", "narrower", BROAD),   # source narrower => object (target) broader
    ("equivalent", "broader", NARROW),
    ("equivalent", "narrower", BROAD),
    ("none", "same", RELATED),
])
def test_sssom_predicate(relation: str, direction: str, expected: str) -> None:
    assert predicate(relation, direction) == expected


def test_sssom_predicate_of_reviewed_rows() -> None:
    base = dict(relation="none", model_relation="partial", direction="narrower", status="rejected")
    assert mapping_predicate(base) == (BROAD, "Not")
    assert mapping_predicate({**base, "model_relation": "none"}) == (RELATED, "Not")
    assert mapping_predicate({**base, "status": "validated"}) == (RELATED, "Not")
    assert mapping_predicate({**base, "status": "validated", "relation": "equivalent",
                              "direction": "same"}) == (EXACT, "")


def _read_sssom(path: Path) -> tuple[dict, pd.DataFrame]:
    text = path.read_text(encoding="utf-8")
    meta_lines = [line[1:] for line in text.splitlines() if line.startswith("#")]
    meta = yaml.safe_load("\n".join(meta_lines))
    df = pd.read_csv(path, sep="\t", comment="#", keep_default_na=False)
    return meta, df


def test_sssom_file(results: Results, tmp_path: Path) -> None:
    path = write_sssom(tmp_path / "mappings.sssom.tsv", results)
    meta, df = _read_sssom(path)
    assert meta["mapping_tool"] == "crossref"
    assert meta["mapping_tool_version"]
    assert meta["mapping_date"] == "2024-07-01"
    assert meta["license"].startswith("https://")
    assert meta["mapping_set_id"].startswith("urn:crossref:mapping-set:2024-07-01:")
    cmap = meta["curie_map"]
    assert cmap["AAA"] == "https://www.francecompetences.fr/recherche/rncp/12345/#"
    assert cmap["BBB"] == "https://www.francecompetences.fr/recherche/rs/6789/#"
    assert cmap["CCC"] == "urn:crossref:CCC:"
    assert cmap["skos"] == "http://www.w3.org/2004/02/skos/core#"
    assert cmap["semapv"] == "https://w3id.org/semapv/vocab/"
    other = json.loads(meta["other"])
    assert other["crossref_config"]["matching"]["direction_margin"] == 0.1
    assert other["data_versions"]["AAA"] == "sha256:aaa111"
    assert "secret" not in path.read_text(encoding="utf-8")

    assert list(df.columns) == SSSOM_COLUMNS
    assert {"subject_id", "predicate_id", "object_id", "mapping_justification", "confidence",
            "author_label", "subject_label", "object_label"} <= set(df.columns)
    assert len(df) == 8  # the related or reviewed pairs; the "none" suggestions are left out
    got = {(r.subject_id, r.object_id): r for r in df.itertuples()}
    exact = got[("AAA:C1", "BBB:C1")]
    assert (exact.predicate_id, exact.predicate_modifier) == (EXACT, "")
    assert exact.mapping_justification == LEXICAL_MATCHING and exact.confidence == pytest.approx(0.91)
    assert exact.author_label == ""
    assert exact.comment == "'=1+1 mêmes termes"  # formula protection in the TSV too
    close = got[("AAA:C2", "BBB:C2")]
    assert close.predicate_id == CLOSE and close.mapping_justification == MANUAL_CURATION
    assert close.author_label == "Marie Curie" and close.confidence == 1.0
    assert close.similarity_score == pytest.approx(0.70) and close.mapping_date == "2024-05-03"
    assert got[("AAA:C3", "BBB:C1")].predicate_id == NARROW
    assert got[("BBB:C1", "AAA:C3")].predicate_id == BROAD
    rejected = got[("AAA:C1", "CCC:C1")]
    assert (rejected.predicate_id, rejected.predicate_modifier) == (CLOSE, "Not")
    assert rejected.mapping_justification == MANUAL_CURATION and rejected.author_label == "Jean Dupont"
    labels = dict(zip(df.subject_id, df.subject_label))
    assert labels["AAA:C2"] == "'+Piloter les ventes"
    assert labels["BBB:C2"] == "Communiquer avec les clients"  # tab: one-line cells, trimmed
    assert got[("BBB:C1", "AAA:C1")].subject_label == "'@Fidéliser la clientèle"


def test_sssom_table_schema(results: Results) -> None:
    df = sssom_table(results)
    assert df["subject_label"].str.contains("Piloter").any()
    assert "Not" in set(df["predicate_modifier"])
    text = render_sssom(results, license="https://creativecommons.org/licenses/by/4.0/",
                        mapping_set_id="https://example.org/set/1")
    assert '#license: "https://creativecommons.org/licenses/by/4.0/"' in text
    assert '#mapping_set_id: "https://example.org/set/1"' in text


# ---------------------------------------------------------------- CSV / JSON
def test_csv_formula_protection_and_sidecar(results: Results, tmp_path: Path) -> None:
    path = write_pairs(tmp_path / "pairs.csv", results, "csv")
    raw = path.read_text(encoding="utf-8")
    assert raw.splitlines()[0] == ",".join(PAIR_COLUMNS)
    import csv

    cells = [c for row in csv.reader(io.StringIO(raw)) for c in row]
    assert not any(is_dangerous(c) for c in cells)
    assert "'" + HYPERLINK in cells and "'=1+1 mêmes termes" in cells and "'-vu en commission" in cells
    back = read_pairs_csv(path)
    from crossref.pairs import one_row_per_pair
    from crossref.explanations import fill_explanations

    # The export writes the explanations the table leaves empty (the hostile one is kept as is).
    pd.testing.assert_frame_equal(back.reset_index(drop=True),
                                  fill_explanations(one_row_per_pair(results.pairs, results.corpus.ids)),
                                  check_dtype=False)
    assert (back["explanation"] != "").all()
    assert len(back) * 2 == len(results.pairs)  # the table holds each pair twice, the export once
    meta = json.loads(metadata_path(path).read_text(encoding="utf-8"))
    assert meta["config"]["matching"] == make_config().to_dict()["matching"]
    assert meta["created_at"] == "2024-07-01T09:00:00Z"
    assert meta["config"]["database_url"] == "postgresql://officier:***@db.example/crossref"


def test_csv_json_workbook_and_dashboard_hold_the_same_rows(wb, results: Results, tmp_path: Path) -> None:
    """One truth: the CSV and JSON hold one row per pair, oriented as the workbook's pair sheets,
    with reviewer, date and note as columns; their counts are the dashboard's."""
    from crossref.views import pair_counts

    csv_rows = read_pairs_csv(write_pairs(tmp_path / "p.csv", results, "csv"))
    json_rows = pd.DataFrame(json.loads(write_pairs(tmp_path / "p.json", results, "json").read_text())["pairs"])
    assert list(csv_rows["source"] + "|" + csv_rows["target"]) == list(json_rows["source"] + "|" + json_rows["target"])
    keys = {frozenset(k) for k in zip(csv_rows["source"], csv_rows["target"])}
    assert len(keys) == len(csv_rows)  # no pair twice
    assert {"direction", "reviewer", "decided_at", "note"} <= set(csv_rows.columns)
    sheet_rows = [r for name in ("AAA–BBB", "AAA–CCC", "BBB–CCC") for r in _records(wb[name])]
    sheet_keys = [(r["Compétence source"], r["Compétence cible"]) for r in sheet_rows]
    oriented = set(zip(csv_rows["source"], csv_rows["target"]))
    assert set(sheet_keys) <= oriented  # the sheets list the CSV's rows, in the same orientation
    counts = pair_counts(results.pairs)
    for relation in ("equivalent", "partial"):
        assert int((csv_rows["relation"] == relation).sum()) == counts[relation]
    for status in ("validated", "rejected"):
        assert int((csv_rows["status"] == status).sum()) == counts[status]
    reviewed = csv_rows[csv_rows["status"] == "validated"].iloc[0]
    assert (reviewed["reviewer"], reviewed["decided_at"], reviewed["note"]) == (
        "Marie Curie", "2024-05-03T10:00:00Z", "-vu en commission")
    scope = dict(zip(zip(csv_rows["source"], csv_rows["target"]), csv_rows["direction"]))
    sheet_scope = {(r["Compétence source"], r["Compétence cible"]): r["Portée de la source"] for r in sheet_rows}
    from crossref.labels import DIRECTION_FR

    assert all(DIRECTION_FR[scope[k]] == v for k, v in sheet_scope.items())


def test_json_export(results: Results, tmp_path: Path) -> None:
    path = write_pairs(tmp_path / "pairs.json", results, "json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["metadata"]["config"]["matching"] == make_config().to_dict()["matching"]
    assert doc["metadata"]["data_versions"]["CCC"] == "sha256:ccc333"
    assert len(doc["pairs"]) == 11 and list(doc["pairs"][0]) == PAIR_COLUMNS
    first = next(p for p in doc["pairs"] if p["source"] == "AAA:C1" and p["target"] == "BBB:C1")
    assert first["source_phrase"] == HYPERLINK  # JSON is not a spreadsheet: unchanged
    with pytest.raises(CrossrefError):
        write_pairs(tmp_path / "pairs.xml", results, "xml")


# ---------------------------------------------------------------- dispatch / CLI
@pytest.mark.parametrize("name, fmt", [
    ("a.xlsx", "xlsx"), ("a.CSV", "csv"), ("a.json", "json"), ("a.tsv", "sssom"),
    ("a.sssom.tsv", "sssom"), ("a.graphml", "graphml"),
])
def test_infer_format(name: str, fmt: str) -> None:
    assert infer_format(name) == fmt


def test_infer_format_refuses_unknown_extension() -> None:
    with pytest.raises(CrossrefError, match="extension"):
        infer_format("a.docx")


@pytest.fixture
def fake_run(monkeypatch):
    import crossref.pipeline as pipeline

    calls = []

    def run(config, extra=(), *, use_cache=True, decisions=True):
        calls.append((config, list(extra)))
        return make_results(config)

    monkeypatch.setattr(pipeline, "run", run)
    return calls


@pytest.mark.parametrize("name", ["out.xlsx", "out.csv", "out.json", "out.sssom.tsv"])
def test_cli_export(fake_run, tmp_path: Path, name: str, capsys) -> None:
    from crossref.cli import main

    out = tmp_path / "sub" / name
    assert main(["export", "--out", str(out), "--data", "extra.csv"]) == 0
    assert out.is_file()
    assert fake_run and fake_run[0][1] == ["extra.csv"]
    assert f"écrit : {out}" in capsys.readouterr().err
    if name.endswith(".xlsx"):
        assert openpyxl.load_workbook(out).sheetnames[0] == "Synthèse"


def test_cli_export_explicit_format(fake_run, tmp_path: Path) -> None:
    from crossref.cli import main

    out = tmp_path / "mappings.txt"
    assert main(["export", "--out", str(out), "--format", "sssom"]) == 0
    assert out.read_text(encoding="utf-8").startswith("#curie_map:")


def test_cli_export_unknown_extension(fake_run, tmp_path: Path, capsys) -> None:
    from crossref.cli import main

    assert main(["export", "--out", str(tmp_path / "x.docx")]) == 2
    assert "extension non reconnue" in capsys.readouterr().err
    assert fake_run == []  # refused before the (long) run
    assert list(tmp_path.iterdir()) == []


def test_export_graphml(tmp_path: Path) -> None:
    pytest.importorskip("crossref.graph")
    import networkx as nx

    path = export(make_results(), tmp_path / "g.graphml")
    assert path.is_file()
    assert nx.read_graphml(path).number_of_nodes() > 0
