"""Small rendering helpers shared by the pages: French labels, highlighted texts. No scoring here."""

from __future__ import annotations

import html
import re
from typing import Any, Iterable

from crossref.labels import DIRECTION_FR, RELATION_FR, fr_percent, status_fr
from crossref.views import STATUS_FR, bloc_label, cert_label, comp_label  # one definition (crossref.views)

RELATIONS = ["equivalent", "partial", "none"]
STATUSES = ["suggested", "validated", "rejected"]

__all__ = ["RELATION_FR", "DIRECTION_FR", "STATUS_FR", "status_fr", "highlight_html", "cert_label",
           "comp_label", "bloc_label", "pct", "html_list"]


def pct(x: Any) -> str:
    return fr_percent(x)


def _phrase_pattern(phrase: str) -> re.Pattern | None:
    words = [re.escape(html.escape(w, quote=True)) for w in phrase.split()]
    if not words:
        return None
    return re.compile(r"\s+".join(words), re.IGNORECASE)


def highlight_html(text: str, phrases: Iterable[str]) -> tuple[str, bool]:
    """HTML of ``text`` (escaped) with each phrase found in it wrapped in ``<mark>``.

    Returns (html, found): ``found`` is False when no phrase occurs in the text
    (the caller then shows the phrase apart). Texts and phrases are escaped
    before matching, so no markup from a référentiel ever reaches the page.
    """
    escaped = html.escape(text or "", quote=True)
    found = False
    for phrase in phrases:
        phrase = (phrase or "").strip().rstrip(".;,:")
        pattern = _phrase_pattern(phrase)
        if pattern is None:
            continue
        m = pattern.search(escaped)
        if m is None:
            continue
        found = True
        escaped = escaped[: m.start()] + "<mark>" + m.group(0) + "</mark>" + escaped[m.end():]
    return escaped.replace("\n", "<br>"), found


def html_list(items: Iterable[str]) -> str:
    lis = "".join(f"<li>{html.escape(i, quote=True)}</li>" for i in items)
    return f"<ul style='margin:0 0 0 1.1em;padding:0'>{lis}</ul>" if lis else ""


def escape(text: str) -> str:
    return html.escape(text or "", quote=True)


def clickable_cells(fig: Any, size: int = 34) -> Any:
    """Make the cells of a plotly heatmap selectable by a click (Streamlit's ``on_select``).

    Plotly emits no selection for heatmap cells, so an invisible marker sits on
    each cell centre (carrying the cell's hover text); the nearest one is picked
    wherever the cell is clicked, and a selected cell is outlined.
    """
    import plotly.graph_objects as go

    heat = fig.data[0]
    xs, ys, hover = [], [], []
    for i, y in enumerate(heat.y):
        for j, x in enumerate(heat.x):
            xs.append(x)
            ys.append(y)
            hover.append(heat.customdata[i][j] if heat.customdata is not None else f"{y} → {x}")
    heat.update(hoverinfo="skip", hovertemplate=None)
    fig.add_trace(go.Scatter(
        x=xs, y=ys, mode="markers", name="cellules", showlegend=False,
        hovertext=hover, hoverinfo="text",
        marker=dict(size=size, symbol="square-open", color="#c62828", line=dict(width=3), opacity=0.0),
        selected=dict(marker=dict(opacity=1.0)), unselected=dict(marker=dict(opacity=0.0)),
    ))
    fig.update_layout(hoverdistance=-1, clickmode="event+select", dragmode=False)
    return fig
