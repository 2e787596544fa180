"""Exports: the run's results as an Excel workbook, CSV / JSON pairs, SSSOM mappings and GraphML graph."""

import streamlit as st

from crossref import views
from crossref.labels import french_date
from crossref.ui import state

st.title("Exports")
snap = state.load_or_stop()
results = snap.results

st.write("Chaque export reprend les décisions de revue enregistrées, la configuration du calcul, "
         "sa date et la version des données de chaque certification. Les fichiers sont produits "
         "au moment du clic.")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
stamp = (results.created_at or "")[:10] or "resultats"

exports = [
    ("Classeur Excel", "Synthèse, matrices de blocs, une feuille par paire de certifications, passerelles, "
     "clusters.", lambda: state.workbook_bytes(snap), f"crossref_{stamp}.xlsx", XLSX, "exp_xlsx"),
    ("Paires (CSV)", "Table des paires de compétences (schéma « pairs ») : une ligne par paire, comme le classeur ; "
     "sens (« direction »), évaluateur, date et note en colonnes.",
     lambda: state.pairs_csv_bytes(snap), f"crossref_paires_{stamp}.csv", "text/csv", "exp_csv"),
    ("Métadonnées du CSV (JSON)", "Configuration, date et versions des données qui accompagnent le CSV.",
     lambda: state.metadata_json_bytes(snap), f"crossref_paires_{stamp}.csv.meta.json", "application/json",
     "exp_meta"),
    ("Paires (JSON)", "Les mêmes paires avec leurs métadonnées dans un seul document.",
     lambda: state.pairs_json_bytes(snap), f"crossref_paires_{stamp}.json", "application/json", "exp_json"),
    ("Correspondances SSSOM", "Alignements au format SSSOM (TSV avec en-tête YAML), pour les outils "
     "d'alignement d'ontologies.", lambda: state.sssom_bytes(snap), f"crossref_{stamp}.sssom.tsv",
     "text/tab-separated-values", "exp_sssom"),
    ("Graphe (GraphML)", "Le graphe des équivalences (compétences, relations, scores) pour Gephi, yEd, "
     "Cytoscape.", lambda: state.graphml_bytes(snap), f"crossref_{stamp}.graphml", "application/xml",
     "exp_graphml"),
]

for title, help_text, make, file_name, mime, key in exports:
    with st.container(border=True):
        c1, c2 = st.columns([3, 1], vertical_alignment="center")
        c1.markdown(f"**{title}**  \n{help_text}")
        c2.download_button("Télécharger", data=make, file_name=file_name, mime=mime, key=key,
                           icon=":material/download:", width="stretch")

with st.expander("Ce que les exports enregistrent"):
    st.markdown(f"Résultats calculés le **{french_date(results.created_at) or '—'}** "
                f"({results.created_at or 'date inconnue'}).")
    st.dataframe(views.data_versions_table(results.data_versions), hide_index=True)
    st.dataframe(views.config_table(results.config),
                 hide_index=True, width="stretch")
