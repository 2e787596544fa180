"""The competence graph: nodes, containment and equivalence edges, GraphML/JSON exports, figure, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import crossref.pipeline
from crossref import graph as gr
from crossref.cli import main
from crossref.clusters import cluster_competences
from crossref.config import Config
from crossref.errors import CrossrefError
from crossref.model import Bloc, Certification, Competence, Corpus
from crossref.pipeline import Results
from crossref.tables import PAIR_COLUMNS, validate


def _cert(cid: str, blocs: dict[str, list[str]], **kw) -> Certification:
    cert = Certification(id=cid, title=f"Certification {cid}", **kw)
    for b, comps in blocs.items():
        cert.blocs.append(Bloc(id=f"{cid}:{b}", certification=cid, code=b, title=f"Bloc {b} de {cid}"))
        for c in comps:
            cert.competences.append(Competence(
                id=f"{cid}:{c}", certification=cid, code=c, title=f"Compétence {c} de {cid}",
                statement=f"Énoncé de {cid} {c}", bloc_id=f"{cid}:{b}"))
    cert.validate()
    return cert


def tiny_corpus() -> Corpus:
    return Corpus([
        _cert("AA", {"B1": ["C1", "C2"], "B2": ["C3"]}, register="RNCP", number="111", level="6"),
        _cert("BB", {"B1": ["C1", "C2"]}, register="RS", number="222", indivisible=True),
        _cert("CC", {"B1": ["C1"]}),
    ])


def _row(source: str, target: str, score: float, relation: str, direction: str = "same",
         status: str = "suggested") -> dict:
    return {
        "source": source, "target": target, "source_cert": source.split(":")[0],
        "target_cert": target.split(":")[0], "source_bloc": source.rsplit("C", 1)[0] + "B1",
        "target_bloc": target.rsplit("C", 1)[0] + "B1", "score": score, "semantic": score,
        "lexical": score / 2, "criteria": 0.0, "rank": 1, "relation": relation, "direction": direction,
        "model_relation": relation if status != "rejected" else "partial", "status": status,
        "reviewer": "" if status == "suggested" else "alice", "decided_at": "", "note": "",
        "source_phrase": "a", "target_phrase": "b", "shared_terms": "client; offre", "explanation": "x",
    }


def tiny_pairs() -> pd.DataFrame:
    rows = [
        _row("AA:C1", "BB:C1", 0.9, "equivalent"), _row("BB:C1", "AA:C1", 0.9, "equivalent"),
        # Both orientations, directions mirrored: the edge keeps source < target.
        _row("BB:C2", "AA:C2", 0.6, "partial", "narrower"), _row("AA:C2", "BB:C2", 0.6, "partial", "broader"),
        # Rejected by a reviewer: never an edge.
        _row("AA:C3", "BB:C1", 0.7, "none", status="rejected"), _row("BB:C1", "AA:C3", 0.7, "none", status="rejected"),
        # Validated below any score filter; only one orientation present.
        _row("CC:C1", "AA:C3", 0.3, "partial", "broader", status="validated"),
        _row("BB:C2", "CC:C1", 0.2, "none"),
    ]
    return validate(pd.DataFrame(rows, columns=PAIR_COLUMNS), "pairs")


def tiny_clusters(corpus: Corpus) -> pd.DataFrame:
    comps = corpus.competences()
    x = np.eye(len(comps))
    x[1] = x[0]  # AA:C1 and AA:C2 together
    return cluster_competences(x, [c.id for c in comps], [c.certification for c in comps],
                               [c.title for c in comps])


@pytest.fixture
def results() -> Results:
    corpus = tiny_corpus()
    return Results(config=Config(), corpus=corpus, pairs=tiny_pairs(), clusters=tiny_clusters(corpus),
                   created_at="2025-01-01T00:00:00Z", data_versions={"AA": "h1", "BB": "h2", "CC": "h3"})


def _edges(G: nx.DiGraph, kind: str) -> dict[tuple[str, str], dict]:
    return {(u, v): d for u, v, d in G.edges(data=True) if d["kind"] == kind}


# ---------------------------------------------------------------- building
def test_nodes_and_containment(results: Results) -> None:
    G = gr.build_graph(results)
    kinds = nx.get_node_attributes(G, "kind")
    assert sorted(k for k in kinds.values()) == ["bloc"] * 4 + ["certification"] * 3 + ["competence"] * 6
    assert G.nodes["AA"]["register"] == "RNCP" and G.nodes["AA"]["title"] == "Certification AA"
    assert G.nodes["AA"]["number"] == "111" and G.nodes["AA"]["level"] == "6"
    assert G.nodes["BB"]["indivisible"] is True
    assert G.nodes["AA:B2"] == {"kind": "bloc", "label": "AA:B2 — Bloc B2 de AA", "title": "Bloc B2 de AA",
                                "code": "B2", "certification": "AA"}
    c = G.nodes["AA:C3"]
    assert (c["kind"], c["certification"], c["bloc"], c["statement"]) == ("competence", "AA", "AA:B2",
                                                                         "Énoncé de AA C3")
    assert G.nodes["AA:C1"]["cluster"] == G.nodes["AA:C2"]["cluster"] == 0
    assert G.nodes["AA:C1"]["cluster_label"]
    contains = _edges(G, "contains")
    assert len(contains) == 4 + 6
    assert ("AA", "AA:B2") in contains and ("AA:B2", "AA:C3") in contains and ("CC:B1", "CC:C1") in contains


def test_equivalence_edges_one_per_pair_no_rejected(results: Results) -> None:
    G = gr.build_graph(results)
    eq = _edges(G, "equivalence")
    assert set(eq) == {("AA:C1", "BB:C1"), ("AA:C2", "BB:C2"), ("CC:C1", "AA:C3")}
    assert eq[("AA:C1", "BB:C1")]["relation"] == "equivalent" and eq[("AA:C1", "BB:C1")]["score"] == 0.9
    # Direction is the scope of the edge's source: AA:C2 is broader than BB:C2.
    assert eq[("AA:C2", "BB:C2")]["direction"] == "broader"
    assert eq[("CC:C1", "AA:C3")]["status"] == "validated"
    assert not G.has_edge("AA:C3", "BB:C1") and not G.has_edge("BB:C1", "AA:C3")
    assert G.graph["created_at"] == "2025-01-01T00:00:00Z" and G.graph["data_versions"]["BB"] == "h2"


def test_filters(results: Results) -> None:
    high = _edges(gr.build_graph(results, min_score=0.7), "equivalence")
    assert set(high) == {("AA:C1", "BB:C1"), ("CC:C1", "AA:C3")}  # validated pairs stay whatever the score
    only_eq = _edges(gr.build_graph(results, relations=["equivalent"]), "equivalence")
    assert set(only_eq) == {("AA:C1", "BB:C1")}
    assert gr.parse_relations("partial, equivalent") == ("partial", "equivalent")
    for bad in (["none"], "equivalent,typo", []):
        with pytest.raises(CrossrefError):
            gr.build_graph(results, relations=bad)


def test_validated_orientation_wins() -> None:
    corpus = tiny_corpus()
    pairs = pd.DataFrame([_row("AA:C1", "BB:C1", 0.9, "equivalent"),
                          _row("BB:C1", "AA:C1", 0.9, "partial", "narrower", status="validated")],
                         columns=PAIR_COLUMNS)
    G = gr.build_graph(Results(config=Config(), corpus=corpus, pairs=pairs))
    assert list(_edges(G, "equivalence")) == [("BB:C1", "AA:C1")]
    assert G.edges["BB:C1", "AA:C1"]["relation"] == "partial"
    assert "cluster" not in G.nodes["AA:C1"]  # no clusters in these results


def test_empty_pairs() -> None:
    G = gr.build_graph(Results(config=Config(), corpus=tiny_corpus(), pairs=pd.DataFrame(columns=PAIR_COLUMNS)))
    assert G.number_of_nodes() == 13 and not _edges(G, "equivalence")


# ---------------------------------------------------------------- exports
def test_graphml_round_trip(results: Results, tmp_path: Path) -> None:
    G = gr.build_graph(results)
    path = gr.write_graphml(G, tmp_path / "g.graphml")
    assert path == tmp_path / "g.graphml" and not list(tmp_path.glob(".*.tmp"))
    H = nx.read_graphml(path)
    assert H.number_of_nodes() == G.number_of_nodes() and H.number_of_edges() == G.number_of_edges()
    assert H.nodes["AA:C1"]["title"] == "Compétence C1 de AA" and H.nodes["AA:C1"]["cluster"] == 0
    assert H.nodes["BB"]["indivisible"] is True
    assert H.edges["AA:C1", "BB:C1"]["score"] == pytest.approx(0.9)
    assert H.edges["AA:C2", "BB:C2"]["direction"] == "broader"
    assert json.loads(H.graph["data_versions"]) == {"AA": "h1", "BB": "h2", "CC": "h3"}
    assert H.graph["relations"] == "equivalent; partial"


def test_graphml_sanitises_non_scalars(tmp_path: Path) -> None:
    G = nx.DiGraph(meta={"a": [1, 2]})
    G.add_node("X", none=None, items=["a", "b"], nan=float("nan"), n=np.int64(3), f=np.float32(0.5))
    H = nx.read_graphml(gr.write_graphml(G, tmp_path / "s.graphml"))
    assert H.nodes["X"] == {"items": "a; b", "n": 3, "f": 0.5}
    assert json.loads(H.graph["meta"]) == {"a": [1, 2]}


def test_json_round_trip_and_determinism(results: Results, tmp_path: Path) -> None:
    G = gr.build_graph(results)
    data = gr.graph_json(G)
    assert data["nodes"][0]["id"] == "AA" and data["directed"] is True
    path = gr.write_graph_json(G, tmp_path / "g.json")
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == data
    assert gr.write_graph_json(gr.build_graph(results), tmp_path / "g2.json").read_text(encoding="utf-8") == text
    H = nx.node_link_graph(json.loads(text), edges="links")
    assert set(H.edges) == set(G.edges) and H.nodes["AA:C1"] == G.nodes["AA:C1"]
    assert H.edges["CC:C1", "AA:C3"]["status"] == "validated"
    with pytest.raises(CrossrefError):
        gr.write_graph(G, tmp_path / "g.txt")


# ---------------------------------------------------------------- figure
def test_figure_traces(results: Results) -> None:
    G = gr.build_graph(results)
    fig = gr.graph_figure(G, seed=1).to_dict()
    names = [t["name"] for t in fig["data"]]
    certs = [n for n in names if n.startswith(("AA —", "BB —", "CC —"))]
    assert certs == ["AA — Certification AA", "BB — Certification BB", "CC — Certification CC"]
    lines = {t["name"]: t for t in fig["data"] if t["mode"] == "lines"}
    assert lines["Équivalence"]["line"]["dash"] == "solid" and lines["Correspondance partielle"]["line"]["dash"] == "dash"
    assert lines["Équivalence"]["line"]["width"] > lines["Correspondance partielle"]["line"]["width"]
    assert len([v for v in lines["Correspondance partielle"]["x"] if v is None]) == 2  # two partial edges
    hover = next(t for t in fig["data"] if t["name"] == "Équivalence (détail)")["hovertext"]
    assert "AA:C1" in hover[0] and "score 0,90" in hover[0]
    aa = next(t for t in fig["data"] if t["name"].startswith("AA —"))
    assert list(aa["customdata"]) == ["AA:C1", "AA:C2", "AA:C3"]
    assert "compétences" in fig["layout"]["title"]["text"]
    # Same seed, same layout.
    assert gr.graph_figure(G, seed=1).to_dict()["data"][-1]["x"] == fig["data"][-1]["x"]
    only_eq = gr.graph_figure(G, relations=["equivalent"], min_score=0.5, show_blocs=True).to_dict()
    names = [t["name"] for t in only_eq["data"]]
    assert "Correspondance partielle" not in names and "Blocs" in names and "Appartenance au bloc" in names


# ---------------------------------------------------------------- CLI
@pytest.fixture
def fake_run(results: Results, monkeypatch: pytest.MonkeyPatch) -> list:
    calls: list = []

    def run(config, data, *, use_cache=True, decisions=True):
        calls.append(list(data))
        return results

    monkeypatch.setattr(crossref.pipeline, "run", run)
    return calls


def test_cli_clusters(fake_run: list, capsys: pytest.CaptureFixture) -> None:
    assert main(["clusters"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "cluster,label,size,certifications,competence,certification"
    assert len(out.splitlines()) == 1 + 6
    assert main(["clusters", "--summary", "--format", "json", "--data", "x.json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary[0]["cluster"] == 0 and summary[0]["members"] == "AA:C1; AA:C2" and summary[0]["size"] == 2
    assert fake_run[-1] == ["x.json"]


def test_cli_clusters_out_and_empty(results: Results, fake_run: list, tmp_path: Path,
                                    capsys: pytest.CaptureFixture) -> None:
    assert main(["clusters", "--out", str(tmp_path / "c.csv")]) == 0
    assert (tmp_path / "c.csv").read_text(encoding="utf-8").startswith("cluster,label")
    results.clusters = pd.DataFrame()
    assert main(["clusters", "--summary"]) == 0
    assert capsys.readouterr().out == "cluster,label,size,certifications,members\n"


def test_cli_graph(fake_run: list, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["graph", "--out", str(tmp_path / "g.graphml")]) == 0
    H = nx.read_graphml(tmp_path / "g.graphml")
    assert H.number_of_nodes() == 13
    assert "3 correspondances" in capsys.readouterr().err
    assert main(["graph", "--out", str(tmp_path / "g.json"), "--min-score", "0.8",
                 "--relations", "equivalent"]) == 0
    data = json.loads((tmp_path / "g.json").read_text(encoding="utf-8"))
    assert [(e["source"], e["target"]) for e in data["links"] if e["kind"] == "equivalence"] == [("AA:C1", "BB:C1")]


def test_cli_graph_bad_input(fake_run: list, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["graph", "--out", str(tmp_path / "g.png")]) == 2
    assert "graphml" in capsys.readouterr().err
    assert main(["graph", "--out", str(tmp_path / "g.json"), "--relations", "none"]) == 2
    assert "relations inconnues" in capsys.readouterr().err
    assert not fake_run  # refused before the long run
    with pytest.raises(SystemExit):
        main(["graph"])  # --out is required
