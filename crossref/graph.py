"""The results as a networkx graph: certifications, blocs and competences, contained and matched.

Nodes carry ``kind`` ("certification", "bloc", "competence"); node ids are the
crossref ids (``ICD``, ``ICD:B1``, ``ICD:C1.1``). Edges carry ``kind``:
"contains" (certification -> bloc -> competence) or "equivalence" (between two
competences of different certifications, one edge per unordered pair, with the
pair's relation, score, direction and review status).

Exports: node-link JSON (:func:`graph_json`) and GraphML (:func:`write_graphml`,
scalar attributes only, readable by Gephi, yEd, Cytoscape). :func:`graph_figure`
draws the competence network with plotly.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterable

import networkx as nx
import numpy as np
import pandas as pd

from crossref.errors import CrossrefError
from crossref.labels import RELATION_FR, REVIEW_STATUS_FR, fr_decimal

EDGE_RELATIONS = ("equivalent", "partial")
_STATUS_RANK = {"validated": 0, "suggested": 1}  # which orientation's row an edge keeps


def parse_relations(relations: Iterable[str] | str | None) -> tuple[str, ...]:
    """Edge relations from a list or "equivalent,partial"; None: both. Unknown names raise."""
    if relations is None:
        return EDGE_RELATIONS
    if isinstance(relations, str):
        relations = [r for r in relations.split(",")]
    rels = tuple(dict.fromkeys(r.strip() for r in relations if r.strip()))
    bad = [r for r in rels if r not in EDGE_RELATIONS]
    if bad or not rels:
        raise CrossrefError(f"relations inconnues : {', '.join(bad) or '(aucune)'} "
                            f"(possibles : {', '.join(EDGE_RELATIONS)})")
    return rels


def _float(value: Any) -> float:
    v = float(value)
    return v if math.isfinite(v) else 0.0


# ---------------------------------------------------------------- building


def build_graph(results: Any, *, min_score: float = 0.0,
                relations: Iterable[str] | None = None) -> nx.DiGraph:
    """The graph of ``results`` (a :class:`crossref.pipeline.Results`).

    Equivalence edges: pairs whose relation is in ``relations`` (default
    equivalent and partial) with score >= ``min_score``; a pair validated by a
    reviewer is kept whatever its score (the decision outweighs the model).
    Rejected pairs never become edges. The pairs table holds both orientations
    of a pair: the edge keeps one (the validated one, else source < target)
    and its ``direction`` is the scope of the edge's source relative to its target.
    """
    rels = parse_relations(relations)
    corpus = results.corpus
    G = nx.DiGraph()
    G.graph.update({
        "name": "crossref",
        "created_at": str(getattr(results, "created_at", "") or ""),
        "data_versions": dict(getattr(results, "data_versions", {}) or {}),
        "min_score": float(min_score),
        "relations": list(rels),
    })
    clusters = _cluster_lookup(getattr(results, "clusters", None))
    for cert in corpus:
        G.add_node(cert.id, kind="certification", label=cert.title, title=cert.title,
                   register=cert.register, number=cert.number, level=cert.level,
                   certifier=cert.certifier, indivisible=bool(cert.indivisible))
        for bloc in cert.blocs:
            G.add_node(bloc.id, kind="bloc", label=f"{bloc.id} — {bloc.title}", title=bloc.title,
                       code=bloc.code, certification=cert.id)
            G.add_edge(cert.id, bloc.id, kind="contains")
        for comp in cert.competences:
            attrs: dict[str, Any] = dict(kind="competence", label=f"{comp.id} — {comp.title}",
                                         title=comp.title, statement=comp.statement, code=comp.code,
                                         certification=cert.id, bloc=comp.bloc_id)
            if comp.id in clusters:
                attrs["cluster"], attrs["cluster_label"] = clusters[comp.id]
            G.add_node(comp.id, **attrs)
            G.add_edge(comp.bloc_id, comp.id, kind="contains")
    for row in _equivalence_rows(results.pairs, rels, float(min_score)):
        if row["source"] not in G or row["target"] not in G:
            continue  # a pair from another corpus (stale table): not part of this graph
        G.add_edge(row["source"], row["target"], kind="equivalence",
                   relation=str(row["relation"]), score=_float(row["score"]),
                   semantic=_float(row["semantic"]), lexical=_float(row["lexical"]),
                   criteria=_float(row["criteria"]), direction=str(row["direction"]),
                   status=str(row["status"]), model_relation=str(row["model_relation"]),
                   shared_terms=str(row["shared_terms"]))
    return G


def _cluster_lookup(df: pd.DataFrame | None) -> dict[str, tuple[int, str]]:
    if df is None or not len(df) or "competence" not in df:
        return {}
    labels = df["label"].astype(str) if "label" in df else pd.Series([""] * len(df), index=df.index)
    return {str(c): (int(k), str(lab)) for c, k, lab in zip(df["competence"], df["cluster"], labels)}


def _equivalence_rows(pairs: pd.DataFrame, rels: tuple[str, ...], min_score: float) -> list[dict]:
    """One row per unordered pair that is an edge, in (source, target) order."""
    if pairs is None or not len(pairs):
        return []
    from crossref.pairs import unordered

    p = pairs[["source", "target", "relation", "status"]].astype(str)
    a, b = unordered(p)
    # A rejection of either orientation removes the pair.
    rejected = set(zip(a[p["status"] == "rejected"], b[p["status"] == "rejected"]))
    keep = (p["status"] != "rejected") & p["relation"].isin(rels)
    keep &= (pairs["score"].astype(float) >= min_score) | (p["status"] == "validated")
    cand = pairs[keep].assign(
        _a=a[keep], _b=b[keep],
        _status=p.loc[keep, "status"].map(_STATUS_RANK).fillna(2),
        _reverse=(p.loc[keep, "source"] != a[keep]).astype(int),
    )
    cand = cand[[(x, y) not in rejected for x, y in zip(cand["_a"], cand["_b"])]]
    cand = cand.sort_values(["_a", "_b", "_status", "_reverse"], kind="stable")
    cand = cand.drop_duplicates(["_a", "_b"], keep="first")
    return cand.drop(columns=["_a", "_b", "_status", "_reverse"]).to_dict(orient="records")


# ---------------------------------------------------------------- exports


def _plain(value: Any) -> Any:
    """A JSON-ready value: numpy scalars unwrapped, NaN as None, tuples/sets as lists."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [_plain(v) for v in items]
    return value


def graph_json(G: nx.Graph) -> dict[str, Any]:
    """Node-link data (``nx.node_link_graph(data, edges="links")`` reads it back).

    Nodes and links follow the graph's insertion order (corpus order, then
    pairs sorted by id), attributes sorted by name: same graph, same JSON.
    """
    nodes = [{"id": n, **{k: _plain(v) for k, v in sorted(d.items())}} for n, d in G.nodes(data=True)]
    links = [{"source": u, "target": v, **{k: _plain(x) for k, x in sorted(d.items())}}
             for u, v, d in G.edges(data=True)]
    return {
        "directed": G.is_directed(),
        "multigraph": G.is_multigraph(),
        "graph": {k: _plain(v) for k, v in sorted(G.graph.items())},
        "nodes": nodes,
        "links": links,
    }


def write_graph_json(G: nx.Graph, path: str | Path) -> Path:
    from crossref.io import atomic_write_text

    text = json.dumps(graph_json(G), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    return atomic_write_text(path, text)


def _scalar(value: Any) -> Any:
    """A GraphML value (str, int, float, bool), or None to leave the attribute out."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None:
        return None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return "; ".join(str(v) for v in (sorted(value, key=str) if isinstance(value, (set, frozenset)) else value))
    return json.dumps(_plain(value), ensure_ascii=False, sort_keys=True)  # dicts and anything else


def graphml_ready(G: nx.Graph) -> nx.Graph:
    """A copy of ``G`` whose graph, node and edge attributes are all GraphML scalars."""
    H = G.__class__()
    H.graph.update({k: s for k, v in G.graph.items() if (s := _scalar(v)) is not None})
    for n, d in G.nodes(data=True):
        H.add_node(n, **{k: s for k, v in d.items() if (s := _scalar(v)) is not None})
    for u, v, d in G.edges(data=True):
        H.add_edge(u, v, **{k: s for k, x in d.items() if (s := _scalar(x)) is not None})
    return H


def write_graphml(G: nx.Graph, path: str | Path) -> Path:
    from crossref.io import atomic_write

    H = graphml_ready(G)
    return atomic_write(path, lambda p: nx.write_graphml(H, p, encoding="utf-8"))


def write_graph(G: nx.Graph, path: str | Path) -> Path:
    """GraphML or node-link JSON, from the extension of ``path``."""
    suffix = Path(path).suffix.lower()
    if suffix == ".graphml":
        return write_graphml(G, path)
    if suffix == ".json":
        return write_graph_json(G, path)
    raise CrossrefError(f"{path} : extension non reconnue pour le graphe (attendu : .graphml ou .json)")


# ---------------------------------------------------------------- figure

_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
            "#bcbd22", "#17becf"]
_EDGE_STYLE = {
    "equivalent": dict(name="Équivalence", color="#444444", width=2.5, dash="solid"),
    "partial": dict(name="Correspondance partielle", color="#999999", width=1.2, dash="dash"),
}


def _wrap(text: str, width: int = 80) -> str:
    import textwrap

    return "<br>".join(textwrap.wrap(str(text), width)) or ""


def graph_figure(G: nx.Graph, *, relations: Iterable[str] | None = None, min_score: float = 0.0,
                 seed: int = 0, show_blocs: bool = False):
    """Plotly network of the competences: one colour (and legend entry) per certification,
    equivalence edges solid and thick, partial ones dashed. ``show_blocs`` adds the blocs
    linked to their competences. Hover shows ids, titles and scores (French)."""
    import plotly.graph_objects as go

    rels = parse_relations(relations)
    kinds = {"competence", "bloc"} if show_blocs else {"competence"}
    nodes = [n for n, d in G.nodes(data=True) if d.get("kind") in kinds]
    H = nx.Graph()
    H.add_nodes_from(nodes)
    edges: dict[str, list[tuple[str, str, dict]]] = {r: [] for r in rels}
    for u, v, d in G.edges(data=True):
        if u not in H or v not in H:
            continue
        if d.get("kind") == "equivalence":
            if d.get("relation") in edges and (d.get("score", 0.0) >= min_score or d.get("status") == "validated"):
                edges[d["relation"]].append((u, v, d))
                H.add_edge(u, v, weight=max(float(d.get("score", 0.0)), 0.05))
        elif d.get("kind") == "contains":
            H.add_edge(u, v, weight=0.5)
    pos = nx.spring_layout(H, seed=seed, weight="weight") if len(H) else {}

    fig = go.Figure()
    # Edges first, so nodes are drawn on top.
    if show_blocs:
        xs, ys = _segments(pos, [(u, v) for u, v, d in G.edges(data=True)
                                 if d.get("kind") == "contains" and u in H and v in H])
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name="Appartenance au bloc", hoverinfo="skip",
                                 line=dict(color="#dddddd", width=0.8)))
    for rel in rels:
        style = _EDGE_STYLE[rel]
        xs, ys = _segments(pos, [(u, v) for u, v, _ in edges[rel]])
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=style["name"], hoverinfo="skip",
                                 legendgroup=rel, line=dict(color=style["color"], width=style["width"],
                                                            dash=style["dash"])))
        # Lines take no hover: an invisible marker at each edge's middle carries it.
        mids = [((pos[u][0] + pos[v][0]) / 2, (pos[u][1] + pos[v][1]) / 2, _edge_hover(G, u, v, d))
                for u, v, d in edges[rel]]
        fig.add_trace(go.Scatter(x=[m[0] for m in mids], y=[m[1] for m in mids], mode="markers",
                                 name=f"{style['name']} (détail)", legendgroup=rel, showlegend=False,
                                 marker=dict(size=8, opacity=0.0, color=style["color"]),
                                 hovertext=[m[2] for m in mids], hoverinfo="text"))
    certs = [n for n, d in G.nodes(data=True) if d.get("kind") == "certification"]
    for k, cert in enumerate(certs):
        members = [n for n in nodes if G.nodes[n].get("kind") == "competence"
                   and G.nodes[n].get("certification") == cert]
        title = G.nodes[cert].get("title", "")
        fig.add_trace(go.Scatter(
            x=[pos[n][0] for n in members], y=[pos[n][1] for n in members], mode="markers",
            name=f"{cert} — {title}" if title else cert,
            marker=dict(size=[8 + 2 * min(H.degree(n), 6) for n in members],
                        color=_PALETTE[k % len(_PALETTE)], line=dict(color="white", width=1)),
            hovertext=[_node_hover(G, n) for n in members], hoverinfo="text",
            customdata=members,
        ))
    if show_blocs:
        blocs = [n for n in nodes if G.nodes[n].get("kind") == "bloc"]
        fig.add_trace(go.Scatter(
            x=[pos[n][0] for n in blocs], y=[pos[n][1] for n in blocs], mode="markers", name="Blocs",
            marker=dict(size=12, symbol="diamond", color="#bbbbbb", line=dict(color="#666666", width=1)),
            hovertext=[_node_hover(G, n) for n in blocs], hoverinfo="text", customdata=blocs,
        ))
    fig.update_layout(
        title="Réseau des compétences : correspondances entre certifications",
        legend_title_text="Certification / relation",
        showlegend=True, hovermode="closest", template="plotly_white",
        xaxis=dict(visible=False), yaxis=dict(visible=False),
        margin=dict(l=10, r=10, t=50, b=10),
    )
    return fig


def _segments(pos: dict, pairs: list[tuple[str, str]]) -> tuple[list, list]:
    xs: list = []
    ys: list = []
    for u, v in pairs:
        xs += [pos[u][0], pos[v][0], None]
        ys += [pos[u][1], pos[v][1], None]
    return xs, ys


def _node_hover(G: nx.Graph, n: str) -> str:
    d = G.nodes[n]
    text = f"<b>{n}</b> — {_wrap(d.get('title', ''), 70)}"
    if d.get("kind") == "competence":
        text += f"<br>Bloc : {d.get('bloc', '')}"
        if "cluster" in d:
            text += f"<br>Groupe {d['cluster']} : {d.get('cluster_label', '')}"
    return text


def _edge_hover(G: nx.Graph, u: str, v: str, d: dict) -> str:
    relation, status = str(d.get("relation")), str(d.get("status"))
    return (f"<b>{u}</b> ↔ <b>{v}</b><br>{_wrap(G.nodes[u].get('title', ''), 70)}<br>"
            f"↔ {_wrap(G.nodes[v].get('title', ''), 70)}<br>"
            f"Relation {RELATION_FR.get(relation, relation)}, score {fr_decimal(d.get('score', 0))}"
            f" ({REVIEW_STATUS_FR.get(status, status)})")


__all__ = ["build_graph", "graph_json", "write_graph_json", "graphml_ready", "write_graphml", "write_graph",
           "graph_figure", "parse_relations"]


def equivalence_edge_count(graph: Any) -> int:
    """Equivalence edges of a graph built by :func:`build_graph` (containment edges left out)."""
    return sum(1 for _, _, d in graph.edges(data=True) if d.get("kind") == "equivalence")
