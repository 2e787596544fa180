"""Figure builders: plotly figures from coverage matrices and passerelles, independent of any UI.

Every builder returns a ``go.Figure``; the dashboard, notebooks and exports
render it as they like. Colour scales are fixed to 0..1 so that two figures
can be compared by eye.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from crossref.coverage import best_pairs_by_cell
from crossref.labels import STATUS_FULL, STATUS_NONE, STATUS_PARTIAL, de, fr_decimal, fr_percent, pair_line_fr
from crossref.model import Corpus
from crossref.passerelles import still_to_evidence

COLORSCALE = "Blues"
STATUS_COLORS = {STATUS_FULL: "#2e7d32", STATUS_PARTIAL: "#f9a825", STATUS_NONE: "#c62828"}
_TITLE_MAX = 70  # hover lines stay readable
# French percentages on axes and colour bars (« 25 % », with the space plotly's ".0%" leaves out).
_TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)
PERCENT_TICKS = {"tickvals": list(_TICKS), "ticktext": [fr_percent(t) for t in _TICKS]}


def _short(text: str, n: int = _TITLE_MAX) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _bloc_label(corpus: Corpus, bloc_id: str) -> str:
    try:
        return f"{bloc_id} — {_short(corpus.bloc(bloc_id).title)}"
    except KeyError:
        return bloc_id


def _pair_line(p: Mapping[str, Any]) -> str:
    return pair_line_fr(p["source"], p["target"], float(p["score"]), p["relation"])


def _z(matrix: pd.DataFrame) -> list[list[float | None]]:
    # None, not NaN: plotly leaves the cell blank and the figure stays JSON-clean.
    return [[None if np.isnan(v) else float(v) for v in row] for row in matrix.to_numpy(dtype=float)]


def coverage_heatmap(matrix: pd.DataFrame, corpus: Corpus, details: Any = None, config: Any = None,
                     *, n_pairs: int = 3, title: str | None = None) -> go.Figure:
    """Heatmap of a bloc matrix (crossref.coverage.bloc_matrix): rows source blocs, columns target blocs.

    ``details``: the pairs table (the best ``n_pairs`` pairs of each cell are
    computed with ``config``), or a mapping (source bloc, target bloc) -> list
    of pair dicts / lines; shown in the hover text under the bloc names.
    """
    z = _z(matrix)
    if isinstance(details, pd.DataFrame):
        details = best_pairs_by_cell(details, config, n=n_pairs, blocs=(matrix.index, matrix.columns))
    hover = []
    for a in matrix.index:
        row = []
        for b in matrix.columns:
            lines = [
                f"<b>Source</b> : {_bloc_label(corpus, a)}",
                f"<b>Cible</b> : {_bloc_label(corpus, b)}",
                f"Couverture de la cible : {fr_percent(matrix.loc[a, b])}",
            ]
            if details is not None:
                best = list(details.get((a, b), []))[:n_pairs]
            else:
                best = None
            if best is not None:
                if best:
                    lines.append("Meilleures paires :")
                    lines += [p if isinstance(p, str) else _pair_line(p) for p in best]
                else:
                    lines.append("Aucune paire retenue")
            row.append("<br>".join(lines))
        hover.append(row)
    src = _cert_of(matrix.index)
    tgt = _cert_of(matrix.columns)
    fig = go.Figure(go.Heatmap(
        z=z, x=list(matrix.columns), y=list(matrix.index),
        zmin=0.0, zmax=1.0, colorscale=COLORSCALE,
        # hover texts in customdata, the cell's French percentage as its text (« 43 % »)
        customdata=hover, hovertemplate="%{customdata}<extra></extra>",
        colorbar={"title": "Couverture", **PERCENT_TICKS},
        text=_cell_text(matrix), texttemplate="%{text}",
    ))
    fig.update_layout(
        title=title or f"Couverture des blocs {de(tgt)} par les blocs {de(src)}",
        xaxis_title=f"Bloc cible ({tgt})", yaxis_title=f"Bloc source ({src})",
        yaxis={"autorange": "reversed"},  # first bloc on top, as in the référentiel
    )
    return fig


def _cell_text(matrix: pd.DataFrame) -> list[list[str]]:
    return [["" if v is None or v != v else fr_percent(v) for v in row] for row in matrix.to_numpy(dtype=float)]


def _cert_of(ids: Any) -> str:
    certs = sorted({str(i).partition(":")[0] for i in ids})
    return ", ".join(certs)


def certification_heatmap(matrix: pd.DataFrame, corpus: Corpus, *, title: str | None = None) -> go.Figure:
    """Heatmap of crossref.coverage.certification_matrix: share of each target covered by each source."""
    def label(cid: str) -> str:
        try:
            return f"{cid} — {_short(corpus.certification(cid).title)}"
        except KeyError:
            return cid

    hover = [[
        f"<b>Source</b> : {label(a)}<br><b>Cible</b> : {label(b)}<br>"
        + ("Même certification" if a == b else f"Couverture de la cible : {fr_percent(matrix.loc[a, b])}")
        for b in matrix.columns] for a in matrix.index]
    fig = go.Figure(go.Heatmap(
        z=_z(matrix), x=list(matrix.columns), y=list(matrix.index),
        zmin=0.0, zmax=1.0, colorscale=COLORSCALE,
        # hover texts in customdata, the cell's French percentage as its text (« 43 % »)
        customdata=hover, hovertemplate="%{customdata}<extra></extra>",
        colorbar={"title": "Couverture", **PERCENT_TICKS},
        text=_cell_text(matrix), texttemplate="%{text}",
    ))
    fig.update_layout(
        title=title or "Couverture entre certifications (part de la cible couverte par la source)",
        xaxis_title="Certification cible", yaxis_title="Certification source",
        yaxis={"autorange": "reversed"},
    )
    return fig


def passerelle_bar(result: Mapping[str, Any], *, title: str | None = None) -> go.Figure:
    """Coverage of each target bloc of a passerelle or VAE dict, coloured by status, thresholds dashed."""
    blocs = list(result["blocs"])
    order = [b["bloc"] for b in blocs]
    fig = go.Figure()
    for status in (STATUS_FULL, STATUS_PARTIAL, STATUS_NONE):
        sel = [b for b in blocs if b["status"] == status]
        if not sel:
            continue
        fig.add_trace(go.Bar(
            name=status,
            x=[b["bloc"] for b in sel],
            y=[float(b["coverage"]) for b in sel],
            marker_color=STATUS_COLORS[status],
            text=[fr_percent(b["coverage"]) for b in sel],
            textposition="auto",
            hovertext=[
                f"<b>{b['bloc']}</b> — {_short(b['title'])}<br>Couverture : {fr_percent(b['coverage'])}"
                f"<br>Statut : {b['status']}<br>Compétences partiellement couvertes : {len(b.get('partial', []))}"
                f"<br>Compétences à justifier : {len(still_to_evidence(b))}"
                for b in sel
            ],
            hoverinfo="text",
        ))
    rules = result.get("rules") or {}
    for key, label in (("full_coverage", "seuil dispense totale"), ("partial_coverage", "seuil dispense partielle")):
        if key in rules:
            fig.add_hline(y=float(rules[key]), line_dash="dash", line_color="grey",
                          annotation_text=label, annotation_position="top left")
    default = f"{result['from']} → {result['to']} : couverture par bloc (statut global : {result.get('status', '—')})"
    if result.get("indivisible"):
        default += " — certification indivisible"
    fig.update_layout(
        title=title or default,
        xaxis={"title": f"Bloc {de(result['to'])}", "categoryorder": "array", "categoryarray": order},
        yaxis={"title": "Couverture", "range": [0, 1.05], **PERCENT_TICKS},
        legend_title_text="Statut",
    )
    return fig


def contribution_waterfall(contrib: Mapping[str, Any], *, top: int = 8) -> go.Figure:
    """Waterfall of a pair's score (:func:`crossref.explain.pair_contributions`): the model's base,
    each feature's contribution (the ``top`` largest, the rest summed), then the total logit; the
    parts add up to it exactly, and the title gives the score it maps to."""
    feats = sorted(contrib["features"], key=lambda f: -abs(f["contribution"]))
    shown, rest = feats[:top], feats[top:]
    labels = ["base du modèle"] + [f["label"] for f in shown]
    values = [float(contrib["intercept"])] + [float(f["contribution"]) for f in shown]
    if rest:
        labels.append(f"{len(rest)} autres éléments")
        values.append(float(sum(f["contribution"] for f in rest)))
    labels.append("total (logit)")
    values.append(float(contrib["logit"]))

    def signed(v: float) -> str:
        return ("+" if v >= 0 else "−") + fr_decimal(abs(v))

    fig = go.Figure(go.Waterfall(
        orientation="h",
        measure=["relative"] * (len(labels) - 1) + ["total"],
        y=labels, x=values,
        text=[signed(v) for v in values[:-1]] + [fr_decimal(values[-1])],
        textposition="outside",
        hovertext=[f"{lab} : {signed(v)}" for lab, v in zip(labels, values)],
        hoverinfo="text",
        increasing={"marker": {"color": "#2e7d32"}}, decreasing={"marker": {"color": "#c62828"}},
        totals={"marker": {"color": "#1565c0"}},
        connector={"line": {"color": "#bbb"}},
    ))
    fig.update_layout(
        title=f"Score {fr_decimal(contrib['score'])} = sigmoïde du total {fr_decimal(contrib['logit'])}",
        yaxis={"autorange": "reversed", "title": None},
        xaxis={"title": "contribution au logit (vers « listée » à droite)", "separatethousands": False},
        separators=", ", height=90 + 28 * len(labels), margin={"l": 10, "r": 40, "t": 50, "b": 40},
        showlegend=False,
    )
    return fig
