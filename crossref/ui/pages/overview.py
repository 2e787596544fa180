"""Vue d'ensemble: the certifications loaded, counts, and the certification × certification overlap."""

import streamlit as st

from crossref.mdsafe import escape_markdown as md
from crossref.ui import state
from crossref.ui.components import pct

st.title("Vue d'ensemble")
snap = state.load_or_stop()
state.show_flash()

model = state.overview_model(snap)  # computed once per results and decision version, shared
counts = model.counts
c = st.columns(6)
c[0].metric("Certifications", counts["certifications"])
c[1].metric("Blocs", counts["blocs"])
c[2].metric("Compétences", counts["competences"])
c[3].metric("Paires équivalentes", counts["equivalent"])
c[4].metric("Paires partielles", counts["partial"])
c[5].metric("À revoir", counts["pending"],
            help=f"{counts['validated']} validée(s), {counts['rejected']} rejetée(s)")

st.subheader("Certifications chargées")
st.dataframe(model.certifications, hide_index=True, width="stretch")

st.subheader("Recouvrement entre certifications")
st.caption("Part des compétences de la certification cible (colonne) couvertes par la certification "
           "source (ligne) : une correspondance équivalente compte entièrement, une partielle à moitié "
           "(règles de la configuration). La lecture est orientée : A → B n'est pas B → A.")
st.plotly_chart(model.figure, width="stretch", key="overview_heatmap")

COVERAGE = ("Couverture de B par A", "Couverture de A par B")
st.dataframe(
    # shown in whole percents (« 43 % »): no decimal mark to get wrong in French
    model.summary.assign(**{c: (model.summary[c] * 100).round() for c in COVERAGE}), hide_index=True,
    width="stretch",
    column_config={c: st.column_config.ProgressColumn(format="%d %%", min_value=0, max_value=100) for c in COVERAGE},
)
if model.strongest:
    a, b, m = model.strongest
    st.caption(f"Recouvrement le plus fort : {md(a)} / {md(b)} ({pct(m)} de l'une couverte par l'autre).")
