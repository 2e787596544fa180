"""Graphe et clusters: the equivalence network coloured by certification, and the themes found across
certifications (clusters of competences with their labels)."""

import pandas as pd
import streamlit as st

from crossref.ui import state
from crossref.ui.components import RELATION_FR, comp_label

st.title("Graphe et clusters")
snap = state.load_or_stop()
results = snap.results
corpus = results.corpus

st.subheader("Réseau des correspondances")
c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
relations = c1.multiselect("Relations", ["equivalent", "partial"], default=["equivalent", "partial"],
                           key="gr_relations", format_func=lambda r: RELATION_FR[r])
min_score = c2.slider("Score minimal", 0.0, 1.0, 0.0, step=0.05, key="gr_min_score",
                      help="Une paire validée par un évaluateur reste affichée quel que soit son score.")
show_blocs = c3.toggle("Afficher les blocs", value=False, key="gr_blocs")

if not relations:
    st.info("Choisissez au moins une relation.")
else:
    fig, n_edges = state.graph_figure(snap, snap.key, tuple(relations), float(min_score), bool(show_blocs))
    st.caption(f"{n_edges} correspondance(s) entre compétences de certifications différentes. Une couleur "
               "par certification ; trait plein : équivalence, pointillés : correspondance partielle ; "
               "survolez un nœud ou le milieu d'un lien pour le détail. Les paires rejetées n'apparaissent pas.")
    fig.update_layout(height=640)
    st.plotly_chart(fig, width="stretch", key="gr_chart")

st.subheader("Clusters : thèmes communs aux certifications")
if results.clusters is None or not len(results.clusters):
    st.info("Aucun cluster calculé pour ces résultats.")
    st.stop()
summary = state.cluster_summary(snap, snap.key)
n_certs = len(corpus)
shared_only = st.toggle("Seulement les thèmes présents dans au moins deux certifications", value=True,
                        key="gr_shared")
shown = summary[summary["certifications"] >= 2] if shared_only else summary
st.caption(f"{len(summary)} cluster(s), dont {int((summary['certifications'] >= 2).sum())} communs à plusieurs "
           "certifications. Libellé : les termes qui distinguent le groupe des autres (c-TF-IDF).")
st.dataframe(pd.DataFrame({
    "Cluster": shown["cluster"],
    "Libellé": shown["label"],
    "Compétences": shown["size"],
    "Certifications": shown["certifications"],
    "Membres": shown["members"],
}), hide_index=True, width="stretch", key="gr_clusters",
    column_config={"Certifications": st.column_config.ProgressColumn(format="%d", min_value=0, max_value=n_certs)})

if len(shown):
    chosen = st.selectbox("Détail d'un cluster", shown["cluster"].tolist(), key="gr_cluster",
                          format_func=lambda c: f"{c} — {summary.loc[summary['cluster'] == c, 'label'].iloc[0]}")
    members = results.clusters[results.clusters["cluster"] == chosen]
    st.dataframe(pd.DataFrame({
        "Certification": members["certification"],
        "Compétence": [comp_label(corpus, c, 140) for c in members["competence"]],
        "Bloc": [corpus.competence(c).bloc_id for c in members["competence"]],
    }), hide_index=True, width="stretch")
