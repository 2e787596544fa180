"""Registre: the certifications of the whole France Compétences registry that overlap most with a fiche."""

import streamlit as st

from crossref import views

from crossref.errors import CrossrefError
from crossref.model import Certification
from crossref.registry import Registry, default_dir, load_certification, registry_embedder
from crossref.ui import state

st.title("Registre")
config = state.get_config()
reg = Registry(default_dir(config), cache_dir=config.embedding.cache_dir)
try:
    n_fiches, n_units = reg.counts()
    meta = reg.meta()
except CrossrefError:
    st.info("Aucun registre indexé. Indexez l'export France Compétences (toutes les fiches RNCP et RS) "
            "en ligne de commande : `crossref registry index --export export.xml`.")
    st.stop()

st.caption(views.registry_caption(n_fiches, n_units, meta["embedder"]))
c1, c2 = st.columns([3, 1])
fiche = c1.text_input("Fiche du registre (RNCP38938, RS5678) ou certification chargée (ICD)", key="reg_fiche")
top = c2.number_input("Certifications listées", 1, 50, 10, key="reg_top")
if fiche and st.button("Rechercher", key="reg_go", type="primary"):
    wanted, embedder = fiche.replace(" ", "").upper(), None
    try:
        target: str | Certification = wanted
        if not reg.has_fiche(wanted):
            from crossref.referentiels import load_corpus

            local = load_certification(load_corpus(config.data_dir, state.imported_files(config)), wanted)
            if local is None:
                raise CrossrefError(f"fiche {fiche} : ni dans le registre ni parmi les certifications chargées")
            target = local
            embedder = registry_embedder(meta["embedder"].split(":")[0], config)
        with st.spinner("Recherche…"):
            res = reg.search(target, embedder, top=int(top))
    except CrossrefError as exc:
        st.error(str(exc))
        st.stop()
    st.subheader(f"{res.fiche} « {res.title} » ({res.units} compétences)")
    st.dataframe(views.registry_overlaps_table(res), hide_index=True, width="stretch", column_config={
        c: st.column_config.ProgressColumn(c, format="percent", min_value=0, max_value=1)
        for c in ("Recouvrement", "Couvre", "Couverte par")})
    st.caption("Couvre : part de la fiche listée couverte par la fiche recherchée ; couverte par : part de la "
               "fiche recherchée couverte par la fiche listée (crédit 1 dès la similarité « équivalente », "
               "0,5 dès « partielle »).")
