"""Matrices de recouvrement: bloc × bloc coverage of one certification by another; the pairs behind a cell."""

import streamlit as st

from crossref.labels import de
from crossref.mdsafe import escape_markdown as md
from crossref.ui import state
from crossref.ui.components import bloc_label, cert_label, pct

st.title("Matrices de recouvrement")
snap = state.load_or_stop()
results = snap.results
corpus = results.corpus
ids = corpus.ids
if len(ids) < 2:
    st.info("Il faut au moins deux certifications pour comparer leurs blocs.")
    st.stop()

c1, c2 = st.columns(2)
source = c1.selectbox("Certification détenue (source, lignes)", ids, index=0, key="mx_source",
                      format_func=lambda c: cert_label(corpus, c))
targets = [c for c in ids if c != source]
if st.session_state.get("mx_target") not in targets:
    st.session_state["mx_target"] = targets[0]
target = c2.selectbox("Certification visée (cible, colonnes)", targets, key="mx_target",
                      format_func=lambda c: cert_label(corpus, c))

st.caption(f"Cellule (ligne A, colonne B) : part des compétences du bloc B {md(de(target))} couvertes par les "
           f"compétences du bloc A {md(de(source))} (équivalente = 1, partielle = ½, selon la configuration). "
           "Matrice orientée : inversez source et cible pour l'autre sens. Cliquez sur une cellule pour "
           "voir les paires de compétences qui la composent.")

model = state.matrix_model(snap, source, target)  # once per version and pair of certifications, shared
matrix = model.matrix
event = st.plotly_chart(model.figure, width="stretch", on_select="rerun", selection_mode="points",
                        key=f"mx_chart_{source}_{target}")

src_blocs = list(matrix.index)
tgt_blocs = list(matrix.columns)
# A click on a cell selects that cell in the two lists below (before they are drawn).
points = []
try:
    points = list(event.selection.points) if event and event.selection else []
except AttributeError:
    points = []
if points:
    p = points[0]
    x, y = p.get("x"), p.get("y")
    clicked = (y, x)
    if y in src_blocs and x in tgt_blocs and st.session_state.get("mx_last_click") != clicked:
        st.session_state["mx_last_click"] = clicked
        st.session_state[f"mx_sbloc_{source}"] = y
        st.session_state[f"mx_tbloc_{target}"] = x

st.subheader("Paires derrière une cellule")
b1, b2 = st.columns(2)
sbloc = b1.selectbox("Bloc source", src_blocs, key=f"mx_sbloc_{source}",
                     format_func=lambda b: bloc_label(corpus, b))
tbloc = b2.selectbox("Bloc cible", tgt_blocs, key=f"mx_tbloc_{target}",
                     format_func=lambda b: bloc_label(corpus, b))
value = matrix.loc[sbloc, tbloc]
counted_only = st.toggle("Seulement la meilleure paire de chaque compétence cible (celles qui font la valeur)",
                         value=False, key="mx_counted")
table = state.cell_table(snap, sbloc, tbloc, counted_only)
st.markdown(f"**Couverture de {md(tbloc)} par {md(sbloc)} : {pct(value)}** — {len(table)} paire(s) créditée(s), "
            f"{len(corpus.certification(target).competences_of(tbloc))} compétence(s) dans le bloc cible.")
if table.empty:
    st.info("Aucune paire équivalente ou partielle entre ces deux blocs.")
else:
    picked = st.dataframe(table, hide_index=True, width="stretch", key="mx_cell_table", on_select="rerun",
                          selection_mode="single-row")
    cell = state.cell_pairs(snap, sbloc, tbloc, counted_only)
    rows = list(getattr(getattr(picked, "selection", None), "rows", []) or [])
    i = rows[0] if rows else 0
    pair = cell.iloc[i]
    if st.button(f"Examiner la paire {pair['source']} → {pair['target']} dans Équivalences",
                 key="mx_open_pair", icon=":material/open_in_new:",
                 help="Choisissez une ligne du tableau, puis ouvrez sa revue (énoncés, explication, décision)"):
        state.open_pair(str(pair["source"]), str(pair["target"]), str(pair["relation"]))

with st.expander("Matrice en tableau"):
    st.dataframe(model.labelled.style.format(pct), width="stretch")
