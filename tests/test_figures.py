"""Figure builders return plotly figures whose data and hover text we can check without a browser."""

from __future__ import annotations

import re

import numpy as np
import pytest
from test_coverage import tiny_corpus, tiny_pairs

from crossref import coverage, figures, passerelles
from crossref.config import PasserelleConfig


@pytest.fixture(scope="module")
def corpus():
    return tiny_corpus()


@pytest.fixture(scope="module")
def pairs(corpus):
    return tiny_pairs(corpus)


def test_coverage_heatmap(corpus, pairs) -> None:
    m = coverage.bloc_matrix(pairs, corpus, "AA", "BB", PasserelleConfig())
    fig = figures.coverage_heatmap(m, corpus, details=pairs)
    trace = fig.to_dict()["data"][0]
    assert trace["type"] == "heatmap"
    assert np.allclose(np.asarray(trace["z"], dtype=float), [[0.375, 0.0], [0.25, 0.25]])
    assert list(trace["x"]) == ["BB:B1", "BB:B2"] and list(trace["y"]) == ["AA:B1", "AA:B2"]
    assert trace["zmin"] == 0.0 and trace["zmax"] == 1.0
    hover = trace["customdata"][0][0]
    assert "Bloc B1 de Certif A" in hover and "Bloc B1 de Certif B" in hover
    assert "38 %" in hover
    # best pairs, one per target competence, strongest first
    assert hover.index("AA:C1 → BB:C1 (équivalente, 0,90)") < hover.index("AA:C2 → BB:C2 (partielle, 0,60)")
    assert "Aucune paire retenue" in trace["customdata"][0][1]
    assert "Couverture des blocs de BB par les blocs d'AA" in fig.layout.title.text  # elided before a vowel
    # titles on both axes (issue 11): which side is the source, which the target
    assert fig.layout.xaxis.title.text == "Bloc cible (BB)" and fig.layout.yaxis.title.text == "Bloc source (AA)"


def test_coverage_heatmap_without_details(corpus, pairs) -> None:
    m = coverage.bloc_matrix(pairs, corpus, "RS", "BB")
    trace = figures.coverage_heatmap(m, corpus).to_dict()["data"][0]
    assert "Habilitation RS" in trace["customdata"][0][0] and "paire" not in trace["customdata"][0][0]
    details = {("RS:B1", "BB:B2"): ["ligne écrite à la main"]}
    trace = figures.coverage_heatmap(m, corpus, details=details).to_dict()["data"][0]
    assert "ligne écrite à la main" in trace["customdata"][0][1]


def test_certification_heatmap(corpus, pairs) -> None:
    m = coverage.certification_matrix(pairs, corpus)
    trace = figures.certification_heatmap(m, corpus).to_dict()["data"][0]
    z = trace["z"]
    assert z[0][0] is None and z[1][1] is None  # diagonal blank, JSON-clean
    assert z[0][1] == pytest.approx(0.5)
    assert trace["zmin"] == 0.0 and trace["zmax"] == 1.0
    assert "Certif A" in trace["customdata"][0][1] and "Certif B" in trace["customdata"][0][1]
    assert "Même certification" in trace["customdata"][2][2]
    layout = figures.certification_heatmap(m, corpus).layout
    assert (layout.xaxis.title.text, layout.yaxis.title.text) == ("Certification cible", "Certification source")


def test_passerelle_bar(corpus, pairs) -> None:
    r = passerelles.passerelle(pairs, corpus, "AA", "RS")
    fig = figures.passerelle_bar(r)
    data = fig.to_dict()["data"]
    by = {t["name"]: t for t in data}
    assert set(by) == {passerelles.STATUS_FULL, passerelles.STATUS_PARTIAL}
    assert list(by[passerelles.STATUS_FULL]["x"]) == ["RS:B1"]
    assert list(by[passerelles.STATUS_FULL]["y"]) == [1.0]
    assert list(by[passerelles.STATUS_PARTIAL]["y"]) == [0.5]
    assert by[passerelles.STATUS_FULL]["marker"]["color"] == figures.STATUS_COLORS[passerelles.STATUS_FULL]
    assert "Bloc B2 de Habilitation RS" in by[passerelles.STATUS_PARTIAL]["hovertext"][0]
    layout = fig.to_dict()["layout"]
    assert list(layout["xaxis"]["categoryarray"]) == ["RS:B1", "RS:B2"]
    assert sorted(s["y0"] for s in layout["shapes"]) == [0.35, 0.85]  # thresholds drawn
    assert "indivisible" in layout["title"]["text"]
    assert layout["xaxis"]["title"]["text"] == "Bloc de RS"
    assert figures.passerelle_bar({**r, "to": "ICD"}).to_dict()["layout"]["xaxis"]["title"]["text"] == "Bloc d'ICD"


def test_no_streamlit_import() -> None:
    # figures must stay usable outside the dashboard
    for module in (coverage, figures, passerelles):
        assert "streamlit" not in open(module.__file__, encoding="utf-8").read()


def test_percent_ticks_are_french() -> None:
    from crossref.figures import PERCENT_TICKS

    assert PERCENT_TICKS["ticktext"] == ["0 %", "25 %", "50 %", "75 %", "100 %"]


def test_heatmap_cells_read_as_french_percentages(corpus, pairs) -> None:
    from crossref.coverage import bloc_matrix
    from crossref.figures import coverage_heatmap

    matrix = bloc_matrix(pairs, corpus, "AA", "BB")
    trace = coverage_heatmap(matrix, corpus).data[0]
    cells = [t for row in trace["text"] for t in row if t]
    assert cells and all(re.fullmatch(r"\d{1,3} %", t) for t in cells), cells
