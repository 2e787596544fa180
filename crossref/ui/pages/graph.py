"""Graphe et clusters: the equivalence network coloured by certification, and the themes found across
certifications (clusters of competences with their labels)."""

import streamlit as st

from crossref import views
from crossref.labels import fr_decimal
from crossref.ui import state
from crossref.ui.components import RELATION_FR

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
c2.caption(f"Score minimal : {fr_decimal(min_score)}")  # the slider writes « 0.05 »: said in French

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
shown, caption = views.cluster_view(summary, shared_only)
st.caption(caption)
st.dataframe(shown, hide_index=True, width="stretch", key="gr_clusters",
             column_config={"Certifications": st.column_config.ProgressColumn(format="%d", min_value=0,
                                                                              max_value=n_certs)})

if len(shown):
    labels = dict(zip(shown["Cluster"], shown["Libellé"]))
    chosen = st.selectbox("Détail d'un cluster", list(labels), key="gr_cluster",
                          format_func=lambda c: f"{c} — {labels[c]}")
    st.dataframe(views.cluster_members_table(results.clusters, corpus, chosen), hide_index=True, width="stretch")
