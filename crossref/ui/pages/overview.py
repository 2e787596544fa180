"""Vue d'ensemble: the certifications loaded, counts, and the certification × certification overlap."""

import pandas as pd
import streamlit as st

from crossref.figures import certification_heatmap
from crossref.mdsafe import escape_markdown as md
from crossref.ui import state
from crossref.ui.components import pct

st.title("Vue d'ensemble")
snap = state.load_or_stop()
results = snap.results
corpus = results.corpus
state.show_flash()

counts = state.pair_counts(results.pairs)
c = st.columns(6)
c[0].metric("Certifications", len(corpus))
c[1].metric("Blocs", sum(len(x.blocs) for x in corpus))
c[2].metric("Compétences", sum(len(x.competences) for x in corpus))
c[3].metric("Paires équivalentes", counts["equivalent"])
c[4].metric("Paires partielles", counts["partial"])
c[5].metric("À revoir", counts["pending"],
            help=f"{counts['validated']} validée(s), {counts['rejected']} rejetée(s)")

st.subheader("Certifications chargées")
imported = {p.name for p in snap.imported}
rows = []
for cert in corpus:
    sources = ", ".join(s.split("/")[-1] for s in cert.sources) if cert.sources else ""
    rows.append({
        "Certification": cert.id,
        "Intitulé": cert.title,
        "Registre": f"{cert.register} {cert.number}".strip(),
        "Niveau": cert.level,
        "Certificateur": cert.certifier,
        "Validation": "indivisible" if cert.indivisible else "par blocs",
        "Blocs": len(cert.blocs),
        "Compétences": len(cert.competences),
        "Critères": len(cert.criteria),
        "Origine": "importé" if any(s.split("/")[-1] in imported for s in cert.sources) else "intégré",
    })
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")

st.subheader("Recouvrement entre certifications")
st.caption("Part des compétences de la certification cible (colonne) couvertes par la certification "
           "source (ligne) : une correspondance équivalente compte entièrement, une partielle à moitié "
           "(règles de la configuration). La lecture est orientée : A → B n'est pas B → A.")
matrix = state.certification_matrix(snap, snap.key)
st.plotly_chart(certification_heatmap(matrix, corpus), width="stretch", key="overview_heatmap")

summary = state.overlap_summary(snap, snap.key)
st.dataframe(
    summary, hide_index=True, width="stretch",
    column_config={
        "Couverture de B par A": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
        "Couverture de A par B": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1),
    },
)
if len(summary):
    best = summary.assign(m=summary[["Couverture de B par A", "Couverture de A par B"]].max(axis=1))
    top = best.sort_values("m", ascending=False).iloc[0]
    st.caption(f"Recouvrement le plus fort : {md(top['Certification A'])} / {md(top['Certification B'])} "
               f"({pct(top['m'])} de l'une couverte par l'autre).")
